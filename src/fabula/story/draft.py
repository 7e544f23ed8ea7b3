"""Drafting a scene within any model's context, however long the story.

A scene is written in steps. Every step's prompt is rebuilt from scratch as

    [memory: what the scene must know]  +  [the last words of the scene so far]

and sized against the backend's context: the memory (the beat, who is present, where and when,
the previous scene's summary, retrieved canon facts, most important first) gets at most
`memory_share` of the room left after the step's new tokens (the first line, the beat, may take
up to `FIRST_LINE_SHARE` of it), the tail of the text gets the rest, and whatever does not fit is
dropped from the memory list (a line too long for the room left is skipped, so it does not push
out the shorter lines after it) and from the start of the tail — never silently: `Step.dropped`
counts what was left out. So a story of any number of scenes never overflows the context, and
`DraftResult.steps` records every prompt's size (header and BOS included).

Plain language models (the house model) read the memory as a paragraph of prose they continue,
headed by the beat: what happens, who is there, what came before, the facts; instruction-following
chat backends get the same lines as a list of notes in a request (`chat=True`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from fabula.backends.base import Backend
from fabula.backends.options import GenerationOptions
from fabula.engine.constraints import Constraint, Without
from fabula.engine.echo import Echo
from fabula.errors import FabulaError
from fabula.generation_log import make_record
from fabula.store.records import GenerationRecord

__all__ = ["DraftResult", "SceneBrief", "Step", "draft_scene", "fit_prompt", "prompt_sizer"]

# Steps sampled again when a backend that cannot forbid end-of-text ends a scene almost at once.
EARLY_END_RETRIES = 3

# When a backend does not know its context (remote servers), assume a common small one.
DEFAULT_CONTEXT = 4096
# The first memory line (a scene's beat) directs the step: better a short tail than no direction.
FIRST_LINE_SHARE = 0.75


@dataclass
class SceneBrief:
    """What one scene must know to be written."""

    beat: str  # what happens in the scene, one or two sentences
    characters: list[str] = field(default_factory=list)
    place: str | None = None
    time: str | None = None  # a story-time label: "that night", "ten years later"
    previous: str | None = None  # the previous scene's summary
    memory: list[str] = field(default_factory=list)  # retrieved facts, most important first
    opening: str = ""  # text the scene must start with (the writer's, or a locked start)

    def __post_init__(self) -> None:
        if not self.beat.strip():
            raise FabulaError("A scene brief needs a beat: a sentence or two of what happens in the scene.")

    def lines(self) -> list[str]:
        """The memory as sentences, most important first (the order in which they are kept):
        the beat, who is present and where, the previous scene's summary, then the facts."""
        out = [self.beat.strip()]
        setting = ", ".join(x for x in (self.place, self.time) if x)
        who = ", ".join(self.characters)
        if who or setting:
            out.append(" ".join(x for x in (f"With {who}." if who else "", f"{setting.capitalize()}." if setting else "") if x))
        if self.previous and self.previous.strip():
            out.append(f"Before this: {self.previous.strip()}")
        out.extend(m.strip() for m in self.memory if m.strip())
        return out


@dataclass(frozen=True)
class Step:
    prompt_tokens: int  # what the model receives: its header and BOS included
    new_tokens: int
    memory_lines: int  # memory sentences kept
    dropped: int  # memory sentences left out for room
    tail_tokens: int  # tokens of the scene so far in the prompt
    cut_words: int = 0  # words cut from the end of the first line (the beat) to make it fit


@dataclass
class DraftResult:
    text: str  # the scene, the opening included
    steps: list[Step]
    finish: str  # "length" (the word budget was reached) or "stop" (the model ended the scene)
    calls: list[GenerationRecord] = field(default_factory=list)  # every model call, for the generation log


def _counter(backend: Backend) -> Callable[[str], int]:
    """Tokens of a piece of a prompt (no header, BOS or chat template)."""
    tok = backend.tokenizer
    if tok is not None:
        return lambda text: len(tok.encode(text))
    base = backend.count_tokens("")
    if base is not None:  # a server that counts: what a piece adds to an empty prompt
        return lambda text: max(0, (backend.count_tokens(text) or 0) - base)
    return lambda text: max(1, len(text) // 4)  # a server that cannot count: about four characters a token


def prompt_sizer(backend: Backend) -> Callable[[str], int]:
    """A function giving the tokens the model receives for a prompt: its header and BOS included
    (counted by the server for remote backends that can; else about four characters a token)."""
    if backend.count_tokens("") is not None:
        return lambda text: backend.count_tokens(text) or 0
    count = _counter(backend)
    return lambda text: count(text)


def fit_prompt(
    backend: Backend, memory: list[str], tail: str, new_tokens: int, memory_share: float = 0.4,
    chat: bool = False,
) -> tuple[str, Step]:
    """The prompt for the next step and its accounting: memory first, then as much tail as fits.

    The prompt the model receives (header and BOS included) is at most context - `new_tokens`."""
    count = _counter(backend)
    size = prompt_sizer(backend)
    context = backend.context_length or DEFAULT_CONTEXT
    budget = context - new_tokens
    room = budget - size("")
    if room < 16:
        raise FabulaError(
            f"{backend.spec}'s context ({context} tokens) leaves no room for a prompt with {new_tokens} new "
            "tokens a step; draft with fewer tokens per step."
        )
    kept: list[str] = []
    used = cut_words = 0
    for k, line in enumerate(memory):
        cost = count(line + " ")
        allowed = room * (max(memory_share, FIRST_LINE_SHARE) if k == 0 else memory_share)
        if used + cost > allowed:
            if k > 0:
                continue
            # the direction cut short beats none: a prompt with neither beat nor tail is empty
            whole, line = line, _head(line, int(allowed) - 1, count)
            if not line:
                continue
            cut_words = len(whole.split()) - len(line.split())
            cost = count(line + " ")
        kept.append(line)
        used += cost
    lead = _memory_text(kept, chat)
    tail_text = _tail(tail, room - count(lead), count)
    prompt = lead + tail_text
    while (over := size(prompt) - budget) > 0:  # pieces counted apart can tokenize longer together
        if tail_text:
            tail_text = _tail(tail_text, count(tail_text) - over, count)
        elif kept:
            kept.pop()
            lead = _memory_text(kept, chat)
        else:
            break
        prompt = lead + tail_text
    tail_tokens = count(tail_text) if tail_text else 0
    step = Step(size(prompt), new_tokens, len(kept), len(memory) - len(kept), tail_tokens, cut_words)
    return prompt, step


def _memory_text(lines: list[str], chat: bool) -> str:
    if not lines:
        return ""
    if chat:
        return "Continue the story scene below. Keep to these notes:\n- " + "\n- ".join(lines) + "\n\nScene:\n"
    return " ".join(lines) + "\n\n"


def _head(text: str, room: int, count: Callable[[str], int]) -> str:
    """The longest start of `text` in whole words that fits in `room` tokens."""
    words = text.split()
    lo, hi = 0, len(words)
    while lo < hi:  # the most words whose start fits
        mid = (lo + hi + 1) // 2
        if count(" ".join(words[:mid])) <= room:
            lo = mid
        else:
            hi = mid - 1
    return " ".join(words[:lo])


def _tail(text: str, room: int, count: Callable[[str], int]) -> str:
    """The end of `text` that fits in `room` tokens, cut at a word boundary."""
    if room <= 0 or not text:
        return ""
    if count(text) <= room:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # the smallest start whose suffix fits
        mid = (lo + hi) // 2
        if count(text[mid:]) <= room:
            hi = mid
        else:
            lo = mid + 1
    if text[lo - 1].isspace():  # already at a word's start
        return text[lo:]
    cut = text.find(" ", lo)
    return text[cut + 1 :] if 0 <= cut < len(text) - 1 else text[lo:]


def draft_scene(
    backend: Backend,
    brief: SceneBrief,
    words: int = 300,
    step_tokens: int = 96,
    seed: int | None = None,
    options: GenerationOptions | None = None,
    chat: bool | None = None,
    echo_weight: float = 3.0,
) -> DraftResult:
    """Write the scene in steps of `step_tokens` until about `words` words (or the model ends it).

    On backends that take constraints, end-of-text is never sampled inside a scene, and the names of
    the characters present get `echo_weight` added to their first token's logits in each step until
    the step has used them (`Echo`): a small model forgets the cast otherwise.
    """
    chat = backend.kind == "openai" if chat is None else chat
    memory = brief.lines()
    text = brief.opening
    steps: list[Step] = []
    calls: list[GenerationRecord] = []
    base = options or GenerationOptions(temperature=0.8, top_p=0.95)
    finish = "length"
    early_ends = 0
    for k in range(max(1, 4 * words // max(step_tokens // 2, 1))):  # a bound even if steps add little
        if len(text.split()) >= words:
            break
        prompt, step = fit_prompt(backend, memory, text, step_tokens, chat=chat)
        opts = GenerationOptions(**{**base.model_dump(), "n": 1, "max_tokens": step_tokens,
                                    "seed": None if seed is None else seed + k})
        constraint = _scene_constraint(backend, brief, echo_weight)
        started, t0 = datetime.now(timezone.utc), time.perf_counter()
        [done] = backend.generate(prompt, opts, constraint)
        calls.append(make_record(backend.spec, prompt, opts, [done], backend.last_usage, started, None,
                                 time.perf_counter() - t0))
        steps.append(step)
        text += done.text
        if done.finish_reason == "stop" or not done.text.strip():
            # A backend that cannot forbid end-of-text may end a scene at once: sample again
            # (the next seed) a few times before taking so short a scene as the model's end.
            if constraint is None and early_ends < EARLY_END_RETRIES and len(text.split()) < words // 4:
                early_ends += 1
                continue
            finish = "stop"
            break
    return DraftResult(_trim(text, words, len(brief.opening)), steps, finish, calls)


def _scene_constraint(backend: Backend, brief: SceneBrief, weight: float) -> Constraint | None:
    """No end-of-text inside a scene (its length is the word budget's), and the cast echoed."""
    tok = backend.tokenizer
    if not backend.supports_constraints or tok is None:
        return None
    names = {name: [f" {name}", name] for name in brief.characters if name.strip()}
    echo = Echo(names, weight) if names and weight else None
    return Without(tok.eos_token_ids, echo)


# A sentence's end: its stop and any closing quotes or brackets (a lone opening quote is not an end).
_SENTENCE_END = re.compile(r"""[.!?\u2026]+["'\u201d\u2019)\]]*""")


def _trim(text: str, words: int, keep: int = 0) -> str:
    """End at the last full sentence once the budget is passed (no half sentence at a scene's end),
    never inside the first `keep` characters (the opening the scene was given)."""
    if len(text.split()) < words:
        return text.rstrip()
    ends = [m.end() for m in _SENTENCE_END.finditer(text, keep)]  # a stop and its closing quotes
    end = ends[-1] if ends else -1
    return (text[:end] if end > max(keep, len(text) // 2) else text).rstrip()
