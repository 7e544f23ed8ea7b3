"""An LLM judge: a model rates a story on a rubric's criteria (HANNA's six by default).

The scores are a *model judgement*, not a measurement: every `Judgement` carries the label
"model judgement" and the judge's model spec, and reports should print both.

Two methods:

- `"reply"` (default, for instruction-following backends such as `openai:`): the model is asked
  for one line per criterion, "coherence: 4", and the reply is parsed strictly (`parse_scores`):
  every criterion exactly once, a whole number within the scale. A reply that breaks the format is
  retried (`retries` more times, sampled at temperature 0.7 with seeds seed+1, seed+2, ...; the
  first attempt is greedy); after the last a `JudgeFormatError` holds every reply.
- `"likelihood"` (any backend that can score): after the same prompt and "coherence:", the
  probability of each answer " 1" ... " 5" is read from `Backend.score`, renormalised over the
  scale, and the criterion's score is the expected value sum(k * p_k) (as G-Eval does, Liu et
  al. 2023). It always yields a number, so it also works with base models, whose numbers mean
  little: a small model's preferences among digits are not a reading of the story.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from fabula.backends.base import Backend
from fabula.backends.options import GenerationOptions
from fabula.errors import FabulaError
from fabula.eval.rubrics import Criterion, Rubric, get_rubric

__all__ = ["MODEL_JUDGEMENT", "JudgeFormatError", "Judgement", "judge", "judge_prompt", "parse_scores"]

MODEL_JUDGEMENT = "model judgement"
RETRY_TEMPERATURE = 0.7

# "relevance: 4", "- **Coherence**: 4/5 (clear)", "3. Empathy (EM) = 2" ...
_LINE = re.compile(
    r"^(?:[-•]|\d+[.)])?\s*(?P<name>[A-Za-z][A-Za-z -]*?)\s*(?:\([^)]*\))?\s*[:：=]\s*"
    r"(?P<score>\d+(?:\.\d+)?)\s*(?:/\s*(?P<of>\d+))?(?P<rest>.*)$"
)


class JudgeFormatError(FabulaError):
    """The judge's reply does not give every criterion one score on the scale."""

    def __init__(self, message: str, replies: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.replies = list(replies)


@dataclass(frozen=True)
class Judgement:
    scores: dict[str, float]  # criterion -> score on the rubric's scale
    rubric: str
    judge: str  # the judging model's spec
    method: str  # "reply" or "likelihood"
    attempts: int  # model calls made (reply: replies read; likelihood: always 1)
    replies: list[str] = field(default_factory=list)  # the raw replies read, last one parsed
    label: str = MODEL_JUDGEMENT

    @property
    def mean(self) -> float:
        return sum(self.scores.values()) / len(self.scores)


def _criteria(rubric: Rubric, names: Sequence[str] | None, premise: str | None) -> list[Criterion]:
    if names is None:
        return [c for c in rubric.criteria if premise is not None or not c.needs_premise]
    chosen = [rubric.criterion(n) for n in names]
    lacking = [c.name for c in chosen if c.needs_premise and premise is None]
    if lacking:
        raise FabulaError(
            f"Rating {', '.join(lacking)} needs the story's premise: pass premise=..., or leave it out."
        )
    if not chosen:
        raise FabulaError(
            f"Name at least one criterion of {rubric.name} to rate ({', '.join(rubric.names)})."
        )
    return chosen


def judge_prompt(story: str, premise: str | None, rubric: Rubric, criteria: Sequence[Criterion]) -> str:
    """The request sent to the judge (its last line, "Scores:", is where the answer starts)."""
    scale = f"a whole number from {rubric.low} (lowest) to {rubric.high} (highest)"
    parts = [f"Rate the story below as a careful reader would. Give each criterion {scale}.", ""]
    if premise is not None:
        parts += [f"Premise: {premise.strip()}", ""]
    parts += ["Story:", story.strip(), "", "Criteria:"]
    parts += [f"{c.name}: {c.question}" for c in criteria]
    parts += ["", "Answer with one line per criterion, in this order and form, and nothing else:"]
    parts += [f"{c.name}: <{rubric.low}-{rubric.high}>" for c in criteria]
    parts += ["", "Scores:"]
    return "\n".join(parts) + "\n"


def parse_scores(reply: str, rubric: Rubric, criteria: Sequence[str]) -> dict[str, int]:
    """The score of each criterion in `reply`, or a JudgeFormatError saying what is wrong.

    A score line is `name: N` (case, a list marker, markdown emphasis, a parenthesised abbreviation,
    "/high" and a trailing comment are allowed); other lines are ignored. Each criterion must have
    a line; N must be a whole number in the scale; a criterion given twice must agree."""
    wanted = set(criteria)
    found: dict[str, int] = {}
    for raw in reply.splitlines():
        m = _LINE.match(raw.replace("*", "").replace("#", "").strip())
        if not m or (name := " ".join(m["name"].lower().split())) not in wanted:
            continue
        value = float(m["score"])
        if m["rest"][:1].isdigit() or not value.is_integer() or not rubric.low <= value <= rubric.high:
            raise JudgeFormatError(
                f"{name} is scored {m['score']}{m['rest'][:1]}, not a whole number {rubric.low}-{rubric.high}"
            )
        if m["of"] is not None and int(m["of"]) != rubric.high:
            raise JudgeFormatError(f"{name} is scored out of {m['of']}, not out of {rubric.high}")
        if found.get(name, int(value)) != int(value):
            raise JudgeFormatError(f"{name} is scored twice, {found[name]} and {int(value)}")
        found[name] = int(value)
    missing = [c for c in criteria if c not in found]
    if missing:
        raise JudgeFormatError(f"no score line for {', '.join(missing)}")
    return {c: found[c] for c in criteria}


def judge(
    backend: Backend,
    story: str,
    premise: str | None = None,
    rubric: str | Rubric = "hanna",
    criteria: Sequence[str] | None = None,
    method: Literal["reply", "likelihood"] = "reply",
    retries: int = 2,
    seed: int = 0,
    max_tokens: int = 200,
) -> Judgement:
    """`backend`'s ratings of `story` on `rubric` (all its criteria by default; the ones that need a
    premise only when `premise` is given)."""
    if not story.strip():
        raise FabulaError("There is no story to judge: the text is empty.")
    if retries < 0:
        raise FabulaError(f"retries counts extra attempts and cannot be negative (got {retries}).")
    rub = get_rubric(rubric) if isinstance(rubric, str) else rubric
    chosen = _criteria(rub, criteria, premise)
    prompt = judge_prompt(story, premise, rub, chosen)
    if method == "likelihood":
        scores = {c.name: _expected_score(backend, prompt, c.name, rub) for c in chosen}
        return Judgement(scores, rub.name, backend.spec, method, 1)
    if method != "reply":
        raise FabulaError(f"Unknown judging method {method!r}: use 'reply' or 'likelihood'.")
    replies: list[str] = []
    for attempt in range(retries + 1):
        temperature = 0.0 if attempt == 0 else RETRY_TEMPERATURE
        options = GenerationOptions(max_tokens=max_tokens, temperature=temperature, seed=seed + attempt)
        replies.append(backend.generate(prompt, options)[0].text)
        try:
            found = parse_scores(replies[-1], rub, [c.name for c in chosen])
        except JudgeFormatError as exc:
            problem = str(exc)
            continue
        scores = {k: float(v) for k, v in found.items()}
        return Judgement(scores, rub.name, backend.spec, method, len(replies), replies)
    raise JudgeFormatError(
        f"{backend.spec} did not answer in the rubric's format in {len(replies)} attempts (last reply: {problem}; "
        f"it began {replies[-1][:60]!r}). Judge with an instruction-following model (openai:MODEL@URL), "
        "or with method='likelihood' on a model that can score text.",
        replies,
    )


def _expected_score(backend: Backend, prompt: str, name: str, rubric: Rubric) -> float:
    """sum(k * p_k) with p_k the model's probability of " k" after "name:", renormalised over the scale."""
    values = range(rubric.low, rubric.high + 1)
    logps = [backend.score(f"{prompt}{name}:", f" {k}").total for k in values]
    top = max(logps)
    weights = [math.exp(lp - top) for lp in logps]
    return sum(k * w for k, w in zip(values, weights, strict=True)) / sum(weights)
