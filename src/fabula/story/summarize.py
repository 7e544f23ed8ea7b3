"""Scene summaries short enough to carry into the next scene's prompt.

`summarize(text, words=60)` keeps the scene's most central sentences, in text order, up to the word
budget: each sentence is embedded with MiniLM (`fabula.story.embeddings`), its centrality is its
mean cosine similarity to the other sentences (what the scene keeps returning to), and sentences
are picked greedily by centrality minus their similarity to what is already picked (maximal
marginal relevance), so a line said twice is not kept twice (a near-copy never is). It needs no
language model, so it is the same for every backend that is not an instruction-following one; with
a chat backend (`chat=True`, the default for `openai:`) the model is asked for the summary instead,
and the answer is held to the same word budget.
"""

from __future__ import annotations

import re

import numpy as np

from fabula.backends.base import Backend
from fabula.backends.options import GenerationOptions
from fabula.errors import FabulaError
from fabula.story.draft import DEFAULT_CONTEXT, prompt_sizer

__all__ = ["cap", "extract", "split_sentences", "summarize"]

# How much a candidate's similarity to the sentences already kept counts against its centrality.
REDUNDANCY = 0.5
# A sentence this similar to one already kept says the same thing again: never kept.
DUPLICATE = 0.9
# Sentences shorter than this ("Where?", "He nodded.") say little out of their place; they are
# kept only when a text has nothing longer.
MIN_WORDS = 4

# Words that end in a full stop without ending a sentence (compared in lower case, without the stop).
ABBREVIATIONS = frozenset(
    "mr mrs ms dr st mt prof rev fr sr jr capt col gen lt sgt cpl gov sen rep hon messrs mme mlle "
    "vs etc cf al approx no nos vol ch pp fig jan feb mar apr jun jul aug sep sept oct nov dec "
    "e.g i.e a.m p.m u.s".split()
)

# A candidate end: terminal punctuation, any closing quotes or brackets, then space before what
# could start a sentence (a capital, a digit, or an opening quote or bracket).
_END = re.compile(r"""([.!?\u2026]+)(["'\u201d\u2019)\]]*)(\s+)(?=["'\u201c\u2018(\[]*[A-Z0-9])""")
_PARAGRAPH = re.compile(r"\n\s*\n")


def split_sentences(text: str) -> list[str]:
    """`text` as sentences: ends at . ! ? or … (with their closing quotes) before a capital, not
    after a known abbreviation or an initial; a blank line always ends one."""
    out: list[str] = []
    for paragraph in _PARAGRAPH.split(text):
        start = 0
        for m in _END.finditer(paragraph):
            if m.group(1) == "." and _abbreviated(paragraph[start : m.start(1)]):
                continue
            out.append(paragraph[start : m.end(2)])
            start = m.end(3)
        out.append(paragraph[start:])
    return [" ".join(s.split()) for s in out if s.strip()]


def _abbreviated(before: str) -> bool:
    """True when the word before a full stop is an abbreviation or a single-letter initial."""
    word = before.rsplit(None, 1)[-1] if before.strip() else ""
    word = word.lstrip("\"'\u201c\u2018([").lower()
    return word in ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _words(text: str) -> int:
    return len(text.split())


def summarize(text: str, backend: Backend | None = None, words: int = 60, chat: bool | None = None) -> str:
    """A summary of `text` in at most `words` words.

    Extractive (no model needed) unless `backend` is an instruction-following one: `chat=None`
    means chat for `openai:` backends; `chat=True` asks any given backend for the summary.
    """
    if words < 1:
        raise FabulaError(f"A summary needs a budget of at least one word (got words={words}).")
    if not text.strip():
        raise FabulaError("Nothing to summarise: the text is empty. Draft the scene first.")
    chat = (backend is not None and backend.kind == "openai") if chat is None else chat
    if chat:
        if backend is None:
            raise FabulaError(
                "A chat summary needs a backend: pass backend=..., or chat=False for an extractive one."
            )
        answer = _ask(backend, text, words)
        if answer:
            return answer
    return extract(text, words)


def extract(text: str, words: int) -> str:
    """The most central, least redundant sentences of `text`, in text order, within `words` words."""
    from fabula.story.embeddings import embed  # loads MiniLM on first use only

    sentences = split_sentences(text)
    if sum(_words(s) for s in sentences) <= words:
        return " ".join(sentences)
    vectors = embed(sentences)
    sim = vectors @ vectors.T
    n = len(sentences)
    centrality = (sim.sum(axis=1) - np.diag(sim)) / max(n - 1, 1)
    kept: list[int] = []
    left = words
    candidates = {i for i in range(n) if _words(sentences[i]) >= MIN_WORDS} or set(range(n))
    while candidates and left > 0:
        best = max(sorted(candidates), key=lambda i: centrality[i] - REDUNDANCY * _closest(sim, i, kept))
        candidates.remove(best)
        if _closest(sim, best, kept) >= DUPLICATE:
            continue
        if _words(sentences[best]) <= left:  # a sentence too long for what is left is skipped
            kept.append(best)
            left -= _words(sentences[best])
    if not kept:  # every sentence is longer than the budget: the most central one, cut
        return cap(sentences[int(np.argmax(centrality))], words)
    return " ".join(sentences[i] for i in sorted(kept))


def _closest(sim: np.ndarray, i: int, kept: list[int]) -> float:
    return float(sim[i, kept].max()) if kept else 0.0


def cap(text: str, words: int) -> str:
    """`text` held to `words` words: cut after its last full sentence within them, else mid-sentence
    with an ellipsis."""
    text = " ".join(text.split())
    if _words(text) <= words:
        return text
    sentences = split_sentences(text)
    out: list[str] = []
    for s in sentences:
        if _words(" ".join([*out, s])) > words:
            break
        out.append(s)
    if out:
        return " ".join(out)
    return " ".join(text.split()[:words]) + "\u2026"


def _ask(backend: Backend, text: str, words: int) -> str:
    """The model's summary, within the budget; the scene is condensed first if it does not fit."""
    new_tokens = 2 * words + 16  # English runs about 1.3 tokens a word; room to end the sentence
    size = prompt_sizer(backend)
    room = (backend.context_length or DEFAULT_CONTEXT) - new_tokens
    prompt = _request(text, words)
    while size(prompt) > room:
        shorter = extract(text, max(1, _words(text) * 3 // 4))
        if shorter == text:
            raise FabulaError(
                f"{backend.spec}'s context is too small to summarise in {words} words; ask for fewer words."
            )
        text = shorter
        prompt = _request(text, words)
    opts = GenerationOptions(max_tokens=new_tokens, temperature=0.0, seed=0)
    [done] = backend.generate(prompt, opts)
    answer = re.sub(r"^\s*summary\s*:\s*", "", done.text, flags=re.IGNORECASE)
    return cap(answer, words)


def _request(text: str, words: int) -> str:
    return (
        f"Summarise the story scene below in at most {words} words: who does what, and what has changed "
        f"by its end. Reply with the summary only.\n\nScene:\n{text.strip()}\n\nSummary:"
    )
