"""Fluency: perplexity under a reference language model, and an n-gram model to cross-check it.

`perplexity(backend, texts)` scores each text with `Backend.score` (any backend that exposes
token log-probabilities: house:, hf:, llamacpp:, or a server with echo + logprobs) and returns
exp of the mean negative log-likelihood per token, pooled over all texts. Perplexities are
comparable only under the same reference model: each model counts its own tokens.

A text longer than a local model's context is scored in windows: pieces of at most half the
context, each conditioned on as much of the preceding text as fits (a sliding window with a
stride of half the context), so every token is scored once with at least a half-context of
history where the text has it.

`NgramLM` is an interpolated Kneser-Ney n-gram model (Chen & Goodman 1999) over the shared word
tokens, trained on a corpus in memory: a second, model-free opinion on fluency.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from fabula.backends.base import Backend
from fabula.errors import FabulaError
from fabula.eval.ngram import NgramLM
from fabula.eval.perplexity import Perplexity
from fabula.eval.tokens import check_texts

__all__ = ["NgramLM", "Perplexity", "perplexity"]

_WORDS = re.compile(r"\s*\S+|\s+$")


def perplexity(backend: Backend, texts: Sequence[str], prompt: str = "") -> Perplexity:
    """Perplexity of `texts` under `backend`, each scored as a continuation of `prompt`.

    On a model without a beginning-of-text token and with an empty prompt, the first word of each
    text has nothing to be predicted from: it is used as context and not scored."""
    texts = check_texts(texts)
    empty = [i for i, t in enumerate(texts) if not t.strip()]
    if empty:
        raise FabulaError(f"Text {empty[0]} is empty; perplexity needs text to score (drop empty texts).")
    scored = [_text_logprobs(backend, prompt, text) for text in texts]
    short = [i for i, s in enumerate(scored) if not s]
    if short:
        raise FabulaError(f"Text {short[0]} has no token to score after its first word; give it more text.")
    return Perplexity.of(scored, backend.spec)


def _text_logprobs(backend: Backend, prompt: str, text: str) -> list[float]:
    tok, context = backend.tokenizer, backend.context_length
    if tok is None or context is None:  # a remote server: it tokenizes, and refuses what does not fit
        return list(backend.score(prompt, text).logprobs)
    from fabula.story.draft import prompt_sizer  # sizes prompts with the model's header and BOS

    size = prompt_sizer(backend)

    def count(s: str) -> int:
        return len(tok.encode(s))

    fixed = size("")
    out: list[float] = []
    done = ""  # the text already scored (or used as context)
    whole = size(prompt) + count(text) <= context
    for piece in [text] if whole else _pieces(text, count, max(1, (context - fixed) // 2)):
        history = _tail(prompt + done, lambda s, piece=piece: size(s) + count(piece) <= context)
        if not history and fixed == 0:  # nothing predicts the first token: the first word is context
            first, *rest = _WORDS.findall(piece)
            history, piece = first, "".join(rest)
            done += first
            if not piece:
                continue
        out.extend(backend.score(history, piece).logprobs)
        done += piece
    return out


def _pieces(text: str, count: Callable[[str], int], limit: int) -> list[str]:
    """`text` cut at word boundaries into pieces of at most `limit` tokens (a longer word alone)."""
    pieces: list[str] = []
    current = ""
    for word in _WORDS.findall(text):
        if current and count(current + word) > limit:
            pieces.append(current)
            current = ""
        current += word
    if current:
        pieces.append(current)
    return pieces


def _tail(text: str, fits: Callable[[str], bool]) -> str:
    """The longest run of whole words ending `text` that `fits` (all of it when it fits)."""
    if fits(text):
        return text
    words = _WORDS.findall(text)
    lo, hi = 0, len(words)  # the fewest leading words to drop so that the rest fits
    while lo < hi:
        mid = (lo + hi) // 2
        if fits("".join(words[mid:]).lstrip()):
            hi = mid
        else:
            lo = mid + 1
    return "".join(words[lo:]).lstrip()
