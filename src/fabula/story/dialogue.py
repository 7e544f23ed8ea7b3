"""A scene's dialogue for chosen characters, each in the voice their bible entry gives them.

Plain language models continue a script. The prompt is the situation, each speaker's bible
sentence and voice, and the lines so far, one `Name: line` a line; every turn the cue (the
speaker's name and a colon) is forced, the model completes the line and stops at the newline. The
speaker is either taken in turn (`order="round-robin"`) or chosen by the model (`order="model"`):
a constraint allows only the tokens that spell a chosen speaker's cue, so the model picks who
talks next but can never invent a speaker (nor give anyone a third line in a row). Each prompt is
sized by `fit_prompt`, so a long dialogue keeps its latest lines and never overflows the context.

Chat models are asked for the lines in one request and the answer is parsed strictly: only
`Name: line` lines of a chosen speaker are kept; every other non-blank line is dropped and counted
(`Dialogue.dropped`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import torch

from fabula.backends.base import Backend, Tokenizer
from fabula.backends.options import GenerationOptions
from fabula.engine.constraints import Constraint
from fabula.errors import FabulaError
from fabula.story.bible import Bible, Character
from fabula.story.draft import DEFAULT_CONTEXT, fit_prompt, prompt_sizer

__all__ = ["CueConstraint", "Dialogue", "Line", "parse_script", "write_dialogue"]

Order = Literal["round-robin", "model"]
LINE_TOKENS = 48  # most tokens of one spoken line
_CUE_LINE = re.compile(r"^\s*\**\s*([^:\n*]{1,60}?)\s*\**\s*:\s*(.*?)\s*$")
_SENTENCE_END = re.compile(r"""[.!?\u2026]+["'\u201d\u2019)\]]*""")


@dataclass(frozen=True)
class Line:
    speaker: str
    text: str


class Dialogue(list[Line]):
    """The lines, in order; `dropped` counts model output that was not a chosen speaker's line."""

    def __init__(self, lines: list[Line] | None = None, dropped: int = 0) -> None:
        super().__init__(lines or [])
        self.dropped = dropped

    def text(self) -> str:
        """The dialogue as a script: one `Name: line` a line."""
        return "\n".join(f"{line.speaker}: {line.text}" for line in self)


class CueConstraint(Constraint):
    """Allow only token sequences that spell one of `cues`; complete once one is spelt."""

    def __init__(self, cues: list[str]) -> None:
        self.cues = cues

    def begin(self, tokenizer: Tokenizer, n: int) -> None:
        super().begin(tokenizer, n)
        self.sequences = [tuple(tokenizer.encode(c)) for c in self.cues]

    def adjust(self, logits: torch.Tensor, rows: list[int], generated: list[list[int]]) -> torch.Tensor:
        out = torch.full_like(logits, float("-inf"))
        for k, ids in enumerate(generated):
            done = len(ids)
            allowed = sorted({s[done] for s in self.sequences if len(s) > done and s[:done] == tuple(ids)})
            out[k, allowed] = logits[k, allowed]
        return out

    def is_complete(self, row: int, generated: list[int]) -> bool:
        return tuple(generated) in self.sequences


@lru_cache(maxsize=4)
def _bad_starts(tokenizer: Tokenizer) -> torch.Tensor:
    """Tokens a spoken line cannot start with (computed once per tokenizer): blanks, newlines and
    end-of-text, and, where the vocabulary has words with a leading space, every token without one,
    so the line after `Name:` is spaced like a script and not glued to the colon."""
    texts = [tokenizer.token_text(t) for t in range(tokenizer.vocab_size)]
    eos = tokenizer.eos_token_ids
    blank = torch.tensor([not x.strip() or "\n" in x or t in eos for t, x in enumerate(texts)])
    spaced = torch.tensor([len(x) > 1 and x[0] == " " and not x[1].isspace() for x in texts])
    return blank | ~spaced if bool(spaced.any()) else blank


class _LineStart(Constraint):
    """A spoken line starts with a spaced, visible word: no empty line, no end-of-text straight away."""

    def begin(self, tokenizer: Tokenizer, n: int) -> None:
        super().begin(tokenizer, n)
        self.blank = _bad_starts(tokenizer)

    def adjust(self, logits: torch.Tensor, rows: list[int], generated: list[list[int]]) -> torch.Tensor:
        out = logits.clone()
        width = min(out.shape[-1], len(self.blank))
        for k, ids in enumerate(generated):
            if not ids:
                out[k, :width] = out[k, :width].masked_fill(self.blank[:width], float("-inf"))
        return out


def write_dialogue(
    backend: Backend,
    bible: Bible,
    speakers: list[str],
    situation: str,
    turns: int = 8,
    seed: int | None = None,
    chat: bool | None = None,
    order: Order = "round-robin",
    options: GenerationOptions | None = None,
) -> Dialogue:
    """`turns` lines of dialogue between `speakers` (bible names or aliases) in `situation`."""
    cast = _speakers(bible, speakers)
    if turns < 1:
        raise FabulaError(f"A dialogue needs at least one turn (got turns={turns}).")
    if not situation.strip():
        raise FabulaError("Describe the situation the characters are talking in (one or two sentences).")
    if order not in ("round-robin", "model"):
        raise FabulaError(f"Unknown turn order {order!r}: use 'round-robin' or 'model'.")
    base = options or GenerationOptions(temperature=0.8, top_p=0.95, repetition_penalty=1.1)
    chat = backend.kind == "openai" if chat is None else chat
    if chat:
        return _ask(backend, bible, cast, situation, turns, seed, base)
    return _script(backend, bible, cast, situation, turns, seed, order, base)


def _speakers(bible: Bible, names: list[str]) -> list[Character]:
    if not names:
        known = ", ".join(bible.cast()) or "the bible's characters"
        raise FabulaError(f"Choose who speaks: one or more of {known}.")
    cast = [bible.character(n) for n in names]  # a BibleError names the characters there are
    seen = [c.name for c in cast]
    twice = sorted({n for n in seen if seen.count(n) > 1})
    if twice:
        raise FabulaError(f"{', '.join(twice)} is listed twice among the speakers: name each speaker once.")
    return cast


def _voice(c: Character) -> str:
    """The bible sentence and, where the bible gives one, how the character talks."""
    voice = c.voice.strip().rstrip(".")
    return f"{c.sentence()} {c.name}'s voice: {voice}." if voice else c.sentence()


def _memory(bible: Bible, cast: list[Character], situation: str) -> list[str]:
    """What every turn's prompt carries, most important first."""
    return [situation.strip(), *(_voice(c) for c in cast), f"{bible.title}: {bible.premise}"]


def _script(
    backend: Backend, bible: Bible, cast: list[Character], situation: str, turns: int,
    seed: int | None, order: Order, base: GenerationOptions,
) -> Dialogue:
    memory = _memory(bible, cast, situation)
    lines = Dialogue()
    for turn in range(turns):
        turn_seed = None if seed is None else seed + turn
        script = "".join(f"{x.speaker}: {x.text}\n" for x in lines)
        if order == "model" and len(cast) > 1:
            speaker = _choose(backend, memory, script, cast, _hogging(lines), turn_seed)
        else:
            speaker = cast[turn % len(cast)]
        prompt, _ = fit_prompt(backend, memory, f"{script}{speaker.name}:", LINE_TOKENS)
        opts = GenerationOptions(
            **{**base.model_dump(), "n": 1, "max_tokens": LINE_TOKENS, "stop": ("\n",), "seed": turn_seed}
        )
        [done] = backend.generate(prompt, opts, _LineStart() if _constrainable(backend) else None)
        lines.append(Line(speaker.name, _spoken(done.text, done.finish_reason == "length")))
    return lines


def _spoken(text: str, cut_short: bool) -> str:
    """One line of speech on one line; a line the token budget cut short ends at its last stop."""
    text = " ".join(text.split())
    ends = [m.end() for m in _SENTENCE_END.finditer(text)] if cut_short else []
    return text[: ends[-1]] if ends else text


def _constrainable(backend: Backend) -> bool:
    return backend.supports_constraints and backend.tokenizer is not None


def _hogging(lines: Dialogue) -> str | None:
    """Who spoke the last two lines: a small model left to choose would let them talk on for ever."""
    return lines[-1].speaker if len(lines) >= 2 and lines[-1].speaker == lines[-2].speaker else None


def _choose(
    backend: Backend, memory: list[str], script: str, cast: list[Character], barred: str | None,
    seed: int | None,
) -> Character:
    """The next speaker as the model picks among `cast` (but not `barred`)."""
    if not _constrainable(backend):
        raise FabulaError(
            f"{backend.spec} cannot restrict its next token, so it cannot choose the speaker; "
            "use order='round-robin'."
        )
    choices = [c for c in cast if c.name != barred]
    cues = [f"{c.name}:" for c in choices]
    prompt, _ = fit_prompt(backend, memory, script, LINE_TOKENS)
    longest = max(len(backend.tokenizer.encode(c)) for c in cues)
    opts = GenerationOptions(max_tokens=longest, temperature=1.0, seed=seed)
    [done] = backend.generate(prompt, opts, CueConstraint(cues))
    picked = done.text.strip().rstrip(":")
    return next((c for c in choices if c.name == picked), choices[0])


def parse_script(text: str, cast: list[Character]) -> Dialogue:
    """The `Name: line` lines of `text` whose name is one of `cast` (a name or alias, any case)."""
    names = {n.casefold(): c.name for c in cast for n in c.names()}
    out = Dialogue()
    for raw in text.splitlines():
        if not raw.strip():
            continue
        m = _CUE_LINE.match(raw)
        speaker = names.get(m.group(1).strip().casefold()) if m else None
        if speaker is None or not m.group(2):
            out.dropped += 1
            continue
        out.append(Line(speaker, m.group(2)))
    return out


def _ask(
    backend: Backend, bible: Bible, cast: list[Character], situation: str, turns: int,
    seed: int | None, base: GenerationOptions,
) -> Dialogue:
    who = "\n".join(f"- {_voice(c)}" for c in cast)
    request = (
        f"Write the dialogue of one scene: {turns} lines, each on its own line as NAME: what they say, "
        f"with each character in their own voice. Only these characters speak: "
        f"{', '.join(c.name for c in cast)}. No narration.\n\n"
        f"Characters:\n{who}\n\nStory: {bible.title}: {bible.premise}\n"
        f"Situation: {situation.strip()}\n\nDialogue:\n"
    )
    new_tokens = turns * LINE_TOKENS
    if prompt_sizer(backend)(request) + new_tokens > (backend.context_length or DEFAULT_CONTEXT):
        raise FabulaError(
            f"{backend.spec}'s context cannot hold a {turns}-line dialogue request; ask for fewer turns."
        )
    opts = GenerationOptions(**{**base.model_dump(), "n": 1, "max_tokens": new_tokens, "seed": seed})
    [done] = backend.generate(request, opts)
    parsed = parse_script(done.text, cast)
    return Dialogue(parsed[:turns], parsed.dropped)
