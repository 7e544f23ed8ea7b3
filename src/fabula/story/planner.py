"""The planner: a bible and a structure become a `StoryPlan`, on any backend.

Chapters are laid over the structure by position: chapter i of N covers the stretch [i/N, (i+1)/N)
of the story and serves the beat that takes up most of it (the first chapter the first beat, the
last the last); scene j of M within it covers its own stretch, so with enough scenes every beat of
the sheet is told somewhere. Levels are planned top down: every chapter first (the outline), then
the scenes of each chapter. Items locked in `keep` stay as they are and serve as context for the
rest.

Two ways to fill the plan, chosen by the backend:

- instruction-following chat backends (`openai:`) get one prompt per level (the outline, then one
  per chapter) asking for JSON, parsed strictly; an answer that cannot be used is asked for again
  with the problem named, and after `tries` answers a `PlanJSONError` says what to do;
- plain language models (house:, hf:, llamacpp:, openai-completions:) cannot follow instructions,
  so each chapter and scene is one sentence the model completes from the beat's *stem*
  ("At the start, Mara lives in Vell, where"), after the bible's memory lines and the plan so far.
  Where the backend takes constraints, end-of-text and newlines are never sampled, a sentence end
  is not allowed for the first few tokens (so the model cannot stop at once), the sentence ends at
  the first ".", "!" or "?" after that, and the names of the characters the beat is about are
  echoed (`Echo`) until used. Any text comes back as a sentence, so even a random model gives a
  structurally complete plan.

Scenes get the characters named in their beat (else the protagonist), the bible place named in it
(else the places in turn) and a time label ("day 1", ...). The same seed gives the same plan.
"""

from __future__ import annotations

import copy
import json
import re
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fabula.backends.base import Backend
from fabula.backends.options import GenerationOptions
from fabula.engine.constraints import Constraint, Without
from fabula.engine.echo import Echo
from fabula.errors import FabulaError
from fabula.story.bible import Bible
from fabula.story.draft import DEFAULT_CONTEXT, fit_prompt
from fabula.story.plan import Chapter, PlanError, Scene, StoryPlan, chapter_id, scene_id, text_hash
from fabula.story.structures import Beat, Structure, archetype_for, archetypes, get_structure

__all__ = ["PlanJSONError", "extract_json", "make_plan", "parse_chapters", "parse_scenes"]

SENTENCE_TOKENS = 40  # most tokens one plan sentence may take
MIN_TOKENS = 6  # a sentence may not end before this many tokens
ENDS = ".!?"
DEFAULT_OPTIONS = GenerationOptions(temperature=0.8, top_p=0.95)
CHAT_OPTIONS = GenerationOptions(temperature=0.7, top_p=0.95)
MAX_CHAPTERS, MAX_SCENES = 100, 30

T = TypeVar("T")


class PlanJSONError(FabulaError):
    """A chat backend gave no usable JSON in the tries allowed; `answers` keeps what it said."""

    def __init__(self, message: str, answers: list[str]) -> None:
        super().__init__(message)
        self.answers = answers


def make_plan(
    backend: Backend,
    bible: Bible,
    structure: str = "three-act",
    chapters: int | None = None,
    scenes_per_chapter: int = 3,
    seed: int = 0,
    keep: StoryPlan | None = None,
    chat: bool | None = None,
    tries: int = 3,
    options: GenerationOptions | None = None,
    echo_weight: float = 3.0,
) -> StoryPlan:
    """A plan of `chapters` chapters (default: one per beat) of `scenes_per_chapter` scenes each.

    Everything not locked in `keep` is made anew; locked chapters and scenes are kept, ids and all.
    `chat` defaults to True for `openai:` backends (instruction-following) and False otherwise.
    """
    shape = get_structure(structure)
    n = len(shape.beats) if chapters is None else chapters
    _check_counts(n, scenes_per_chapter, tries, keep)
    chat = backend.kind == "openai" if chat is None else chat
    fill: _Filler = (_ChatFiller(backend, bible, shape, seed, tries, options or CHAT_OPTIONS) if chat
                     else _StemFiller(backend, bible, shape, seed, options or DEFAULT_OPTIONS, echo_weight))
    old = {c.id: c for c in copy.deepcopy(keep).chapters} if keep else {}  # never change the caller's plan
    outline = fill.chapters(n, {i: old[chapter_id(i)] for i in range(n) if _locked(old.get(chapter_id(i)))})
    plan = StoryPlan(shape.name, outline)
    for i, chapter in enumerate(outline):
        previous = old.get(chapter.id)
        kept = {s.id: s for s in previous.scenes if s.locked} if previous else {}
        made = fill.scenes(plan, i, scenes_per_chapter, kept)
        if previous:
            _carry_prose(previous.scenes, [s for s in made if s.id not in kept])
        chapter.scenes = made
        chapter.agree_with_scenes([s.id for s in made if s.id not in kept])  # made from this summary
    return plan


def _carry_prose(old: list[Scene], new: list[Scene]) -> None:
    """A remade scene keeps its id's accepted prose record, so the prose shows up as stale, not lost."""
    by_id = {s.id: s for s in old}
    for s in new:
        before = by_id.get(s.id)
        if before is not None and before.drafted_from:
            s.summary, s.prose_basis, s.drafted_from = before.summary, before.prose_basis, before.drafted_from


def _locked(c: Chapter | None) -> Chapter | None:
    return c if c is not None and c.locked else None


def _check_counts(n: int, m: int, tries: int, keep: StoryPlan | None) -> None:
    if not 1 <= n <= MAX_CHAPTERS:
        raise PlanError(f"Plan between 1 and {MAX_CHAPTERS} chapters (asked for {n}).")
    if not 1 <= m <= MAX_SCENES:
        raise PlanError(f"Plan between 1 and {MAX_SCENES} scenes a chapter (asked for {m}).")
    if tries < 1:
        raise PlanError(f"tries must be at least 1 (got {tries}).")
    for c in keep.chapters if keep else []:
        index = int(c.id[1:]) if re.fullmatch(r"c\d+", c.id) else 0
        if c.locked and index > n:
            raise PlanError(f"Chapter {c.id} is locked but the new plan has {n} chapters: "
                            f"unlock it or plan {index} chapters.")
        for s in c.scenes:
            found = re.fullmatch(r"c\d+s(\d+)", s.id)
            if s.locked and index > n:
                raise PlanError(f"Scene {s.id} is locked but the new plan has {n} chapters: "
                                f"unlock it or plan {index} chapters.")
            if s.locked and found and int(found.group(1)) > m:
                raise PlanError(f"Scene {s.id} is locked but chapters now have {m} scenes: "
                                f"unlock it or plan {found.group(1)} scenes a chapter.")


# -- who, where and when ------------------------------------------------------------------------


@dataclass
class _Cast:
    """The bible's characters by archetype role, with stand-ins for roles nobody plays."""

    roles: dict[str, str]  # archetype key -> a bible name or the archetype's stand-in
    bible_roles: dict[str, str]  # archetype key -> bible name, for roles somebody plays
    protagonist: str | None
    goal: str
    setting: str

    @classmethod
    def of(cls, bible: Bible) -> _Cast:
        played: dict[str, str] = {}
        unroled = []
        for c in bible.characters:
            a = archetype_for(c.role)
            if a is not None:
                played.setdefault(a.key, c.name)
            elif not c.role.strip():
                unroled.append(c.name)
        if "protagonist" not in played and bible.characters:
            played["protagonist"] = bible.characters[0].name
        spare = [n for n in unroled if n not in played.values()]
        if "ally" not in played and spare:
            played["ally"] = spare[0]  # a character with no role is more use than "a friend"
        roles = {k: played.get(k, a.stand_in) for k, a in archetypes().items()}
        hero = played.get("protagonist")
        setting = bible.setting or (bible.places[0].name if bible.places else "their world")
        return cls(roles, played, hero, _goal(bible, hero), setting)

    def fill(self, stem: str, bible: Bible, place: str | None) -> str:
        """The stem with the bible's names; `{who}` is the protagonist (the echo brings the others in)."""
        values = {**self.roles, "setting": self.setting, "place": place or self.setting, "goal": self.goal,
                  "who": self.roles["protagonist"], "title": bible.title}
        text = stem.format(**values)
        return text[:1].upper() + text[1:]

    def echoed(self, beat: Beat, extra: list[str], stem: str) -> list[str]:
        """Bible names the sentence should use and the stem does not already say."""
        names = [self.bible_roles[k] for k in beat.cast if k in self.bible_roles] + extra
        return [n for n in dict.fromkeys(names) if not re.search(rf"\b{re.escape(n)}\b", stem)]


def _goal(bible: Bible, hero: str | None) -> str:
    """The protagonist's first goal as a verb phrase ("find her father"), else the archetype's."""
    goals = bible.character(hero).goals if hero else []
    if not goals:
        return archetypes()["protagonist"].goals[0]
    return re.sub(r"^(to|wants to)\s+", "", goals[0].strip(), flags=re.IGNORECASE)


def _named(text: str, bible: Bible) -> list[str]:
    """The bible characters `text` names (by name or alias), in bible order."""
    return [c.name for c in bible.characters
            if any(re.search(rf"\b{re.escape(n)}\b", text) for n in c.names() if n.strip())]


def _place_in(text: str, bible: Bible) -> str | None:
    """The bible place `text` names first, if any."""
    hits = [(m.start(), p.name) for p in bible.places
            if (m := re.search(rf"\b{re.escape(p.name)}\b", text, re.IGNORECASE))]
    return min(hits)[1] if hits else None


def _default_place(bible: Bible, k: int) -> str | None:
    if bible.places:
        return bible.places[k % len(bible.places)].name
    return bible.setting or None


def _scene_cast(text: str, bible: Bible, cast: _Cast) -> list[str]:
    named = _named(text, bible)
    return named or ([cast.protagonist] if cast.protagonist else [])


def _seed(seed: int, key: str) -> int:
    """A seed per plan item, so one item's sample does not depend on how many came before it."""
    return (seed * 1_000_003 + zlib.crc32(key.encode("utf-8"))) % 2**31


def _scene_beat(shape: Structure, i: int, n: int, j: int, m: int) -> Beat:
    return shape.beat_for((i + j / m) / n, (i + (j + 1) / m) / n)


def _chapter_beats(shape: Structure, n: int) -> list[Beat]:
    """The beat each chapter serves: the one covering most of it, but a story opens with its first
    beat and ends with its last (with few chapters a long middle beat would win both ends)."""
    beats = [shape.beat_for(i / n, (i + 1) / n) for i in range(n)]
    if n > 1:
        beats[0], beats[-1] = shape.beats[0], shape.beats[-1]
    return beats


def _titles(beats: list[Beat]) -> list[str]:
    """Beat names as chapter titles, numbered where one beat serves several chapters."""
    seen: dict[str, int] = {}
    out = []
    for b in beats:
        seen[b.name] = seen.get(b.name, 0) + 1
        out.append(b.name if seen[b.name] == 1 else f"{b.name} ({seen[b.name]})")
    return out


class _Filler(ABC):
    """Makes the chapters of an outline and the scenes of a chapter; kept items pass through."""

    def __init__(self, backend: Backend, bible: Bible, shape: Structure, seed: int) -> None:
        self.backend, self.bible, self.shape, self.seed = backend, bible, shape, seed
        self.cast = _Cast.of(bible)
        self.premise = text_hash(bible.premise)

    @abstractmethod
    def chapters(self, n: int, kept: dict[int, Chapter]) -> list[Chapter]:
        """The outline: chapter i is kept[i] where given."""

    @abstractmethod
    def scenes(self, plan: StoryPlan, i: int, m: int, kept: dict[str, Scene]) -> list[Scene]:
        """The m scenes of chapter i: scenes in `kept` (by id) stay."""

    def _scene(
        self, plan: StoryPlan, i: int, j: int, beat: str, k: int,
        characters: list[str] | None = None, place: str | None = None, time: str | None = None,
    ) -> Scene:
        chapter = plan.chapters[i]
        return Scene(
            scene_id(i, j), beat,
            characters=characters or _scene_cast(beat, self.bible, self.cast),
            place=place or _place_in(beat, self.bible) or _default_place(self.bible, k),
            time=time or f"day {k + 1}",
            basis=text_hash(chapter.summary),
        )


# -- plain language models: one completed stem per item -----------------------------------------


class _OneSentence(Constraint):
    """One sentence: no newline ever, no sentence end before `min_tokens`, complete at the first end."""

    def __init__(self, min_tokens: int) -> None:
        self.min_tokens = min_tokens

    def begin(self, tokenizer: Any, n: int) -> None:
        super().begin(tokenizer, n)
        texts = [tokenizer.token_text(t) for t in range(tokenizer.vocab_size)]
        self.ends = torch.tensor([any(e in t for e in ENDS) for t in texts])
        self.breaks = torch.tensor(["\n" in t or "\r" in t for t in texts])

    def adjust(self, logits: torch.Tensor, rows: list[int], generated: list[list[int]]) -> torch.Tensor:
        width = logits.shape[-1]
        out = logits.masked_fill(_width(self.breaks, width), float("-inf"))
        early = [k for k, ids in enumerate(generated) if len(ids) < self.min_tokens]
        if early:
            out[early] = out[early].masked_fill(_width(self.ends, width), float("-inf"))
        return out

    def is_complete(self, row: int, generated: list[int]) -> bool:
        return bool(generated) and generated[-1] < len(self.ends) and bool(self.ends[generated[-1]])


def _width(mask: torch.Tensor, width: int) -> torch.Tensor:
    """`mask` cut or padded (False) to the logits' width (some models pad their vocabulary)."""
    if len(mask) >= width:
        return mask[:width]
    return torch.cat([mask, torch.zeros(width - len(mask), dtype=torch.bool)])


class _StemFiller(_Filler):
    def __init__(self, backend: Backend, bible: Bible, shape: Structure, seed: int,
                 options: GenerationOptions, echo_weight: float) -> None:
        super().__init__(backend, bible, shape, seed)
        self.options = options
        self.echo_weight = echo_weight
        context = backend.context_length or DEFAULT_CONTEXT
        self.tokens = min(SENTENCE_TOKENS, max(8, context // 4))
        self.memory = bible.memory_lines()
        self.told: set[str] = set()  # beats whose own stem the plan has used
        self.generic = 0

    def chapters(self, n: int, kept: dict[int, Chapter]) -> list[Chapter]:
        beats = _chapter_beats(self.shape, n)
        titles = _titles(beats)
        out: list[Chapter] = []
        for i, beat in enumerate(beats):
            if i in kept:
                out.append(kept[i])
                continue
            place = _default_place(self.bible, i)
            stem = self.cast.fill(beat.stem, self.bible, place)
            story = [c.summary for c in out]
            summary = self._complete(story, stem, self.cast.echoed(beat, [], stem), chapter_id(i))
            out.append(Chapter(chapter_id(i), titles[i], summary, beat.name, basis=self.premise))
        self.told = {c.beat for c in out}  # a beat's own stem is told once in a plan
        return out

    def scenes(self, plan: StoryPlan, i: int, m: int, kept: dict[str, Scene]) -> list[Scene]:
        n = len(plan.chapters)
        self.generic = 0  # scenes of this chapter told with the scene stems so far
        others = [c.name for c in self.bible.characters if c.name != self.cast.protagonist]
        out: list[Scene] = []
        for j in range(m):
            sid, k = scene_id(i, j), i * m + j
            if sid in kept:
                out.append(kept[sid])
                continue
            beat = _scene_beat(self.shape, i, n, j, m)
            text = self.cast.fill(self._stem(beat), self.bible, _default_place(self.bible, k))
            extra = [others[k % len(others)]] if others else []
            story = [c.summary for c in plan.chapters[: i + 1]] + [s.beat for s in out]
            sentence = self._complete(story, text, self.cast.echoed(beat, extra, text), sid)
            said = f"{text}\n{sentence}"  # the stem names its people even if the model glued a word on
            who, where = _named(said, self.bible), _place_in(said, self.bible)
            out.append(self._scene(plan, i, j, sentence, k, who, where))
        return out

    def _stem(self, beat: Beat) -> str:
        """The beat's own stem the first time the plan tells it, then the scene stems in turn."""
        if beat.name not in self.told:
            self.told.add(beat.name)
            return beat.stem
        stems = beat.scene_stems or self.shape.scene_stems or (beat.stem,)
        self.generic += 1
        return stems[(self.generic - 1) % len(stems)]

    def _complete(self, story: list[str], stem: str, names: list[str], key: str) -> str:
        """The stem completed as one sentence, after the bible and the story so far."""
        prompt, _ = fit_prompt(self.backend, self.memory, " ".join([*story, stem]), self.tokens)
        constraint = self._constraint(names)
        stops = () if constraint is not None else (".", "!", "?", "\n")  # servers: four stops at most
        opts = self.options.model_copy(
            update={"n": 1, "max_tokens": self.tokens, "seed": _seed(self.seed, key), "stop": stops})
        [done] = self.backend.generate(prompt, opts, constraint)
        return _as_sentence(stem, done.text, cut=done.finish_reason != "stop")  # "length" or "context"

    def _constraint(self, names: list[str]) -> Constraint | None:
        tok = self.backend.tokenizer
        if not self.backend.supports_constraints or tok is None:
            return None
        inner: Constraint = _OneSentence(MIN_TOKENS)
        if names and self.echo_weight:
            inner = Echo({n: [f" {n}", n] for n in names}, self.echo_weight, inner=inner)
        never = set(tok.eos_token_ids) | ({tok.bos_token_id} if tok.bos_token_id is not None else set())
        return Without(frozenset(never), inner)  # no end of text, no start-of-text marker as text


_CLOSERS = "\"'\u201d\u2019)"


def _as_sentence(stem: str, completion: str, cut: bool) -> str:
    """Stem plus completion as one tidy sentence; a completion cut short loses its last (partial) word."""
    completion = "".join(ch for ch in completion if ch.isprintable() or ch.isspace())  # no control bytes
    words = completion.split()
    if cut and len(words) > 1:
        words = words[:-1]
    body = " ".join(words)
    if not any(ch.isalnum() for ch in body):
        return stem.rstrip(" ,;:") + "\u2026"  # nothing usable: the stem, visibly unfinished
    joined = stem + (" " if completion[:1].isspace() else "") + body
    if joined.rstrip(_CLOSERS)[-1:] not in ENDS:
        joined = joined.rstrip(" ,;:-\u2013\u2014(\"'") + "."
    return joined + '"' if body.count('"') % 2 else joined  # close a quotation the sentence opened


# -- instruction-following chat models: JSON per level -----------------------------------------


class _ChapterAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)
    title: str = Field(min_length=1)
    summary: str = Field(min_length=1)


class _ChaptersAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)
    chapters: list[_ChapterAnswer]


class _SceneAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)
    beat: str = Field(min_length=1)
    characters: list[str] = Field(default_factory=list)
    place: str | None = None
    time: str | None = None


class _ScenesAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)
    scenes: list[_SceneAnswer]


def _cut_fences(text: str) -> str:
    """The inside of the first ``` fence, if the answer has one."""
    found = re.search(r"```[a-zA-Z]*\s*\n?(.*?)(```|$)", text, re.DOTALL)
    return found.group(1) if found else text


def _balanced(text: str, start: int) -> str | None:
    """The JSON value opening at `start`, up to its matching bracket (strings respected), or None."""
    depth, in_string, escaped = 0, False, False
    for pos in range(start, len(text)):
        ch = text[pos]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
            if depth == 0:
                return text[start : pos + 1]
    return None


def extract_json(text: str) -> Any:
    """The JSON value in a model's answer: fences and chatter around it dropped, trailing commas
    forgiven. Anything else wrong is a ValueError naming the problem."""
    body = _cut_fences(text)
    problem, end = "", 0
    for start in (i for i, ch in enumerate(body) if ch in "{["):
        if start < end:
            continue  # inside a value already tried: its parts are not the answer
        candidate = _balanced(body, start)
        if candidate is None:
            problem = problem or "the JSON is cut off before its closing bracket"
            break
        try:
            return _loads(candidate)
        except ValueError as exc:
            # brackets in the chatter before the JSON: try the next value
            problem, end = problem or str(exc), start + len(candidate)
    raise ValueError(problem or "the answer contains no JSON object")


def _loads(candidate: str) -> Any:
    try:
        return json.loads(candidate)
    except json.JSONDecodeError:
        pass
    try:
        return json.loads(re.sub(r",\s*([}\]])", r"\1", candidate))
    except json.JSONDecodeError as exc:
        raise ValueError(f"the JSON is invalid: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def _validated(model: type[BaseModel], data: Any, key: str) -> Any:
    if isinstance(data, list):
        data = {key: data}  # a bare list of items is what was asked for, unwrapped
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or key}: {e['msg'].lower()}"
                             for e in exc.errors()[:3])
        raise ValueError(f"the JSON does not have the asked-for shape ({problems})") from None


def parse_chapters(text: str, n: int) -> list[tuple[str, str]]:
    """(title, summary) of exactly `n` chapters from an answer, or a ValueError saying what is wrong."""
    answer = _validated(_ChaptersAnswer, extract_json(text), "chapters")
    if len(answer.chapters) != n:
        raise ValueError(f"it has {len(answer.chapters)} chapters, not {n}")
    return [(c.title.strip(), c.summary.strip()) for c in answer.chapters]


def parse_scenes(text: str, m: int) -> list[dict[str, Any]]:
    """Exactly `m` scenes (beat, characters, place, time) from an answer, or a ValueError."""
    answer = _validated(_ScenesAnswer, extract_json(text), "scenes")
    if len(answer.scenes) != m:
        raise ValueError(f"it has {len(answer.scenes)} scenes, not {m}")
    return [s.model_dump() for s in answer.scenes]


class _ChatFiller(_Filler):
    def __init__(self, backend: Backend, bible: Bible, shape: Structure, seed: int, tries: int,
                 options: GenerationOptions) -> None:
        super().__init__(backend, bible, shape, seed)
        self.tries, self.options = tries, options
        self.memory = bible.memory_lines()

    def chapters(self, n: int, kept: dict[int, Chapter]) -> list[Chapter]:
        if len(kept) == n:  # nothing to ask for
            return [kept[i] for i in range(n)]
        beats = _chapter_beats(self.shape, n)
        lines = [f"{i + 1}. {b.name}: {b.description}" for i, b in enumerate(beats)]
        fixed = [f"Chapter {i + 1} is written already; repeat it unchanged: {json.dumps(c.title)}, "
                 f"{json.dumps(c.summary)}" for i, c in sorted(kept.items())]
        task = "\n".join([
            f"Plan the story above in {n} chapters, following the {self.shape.title}: "
            f"{self.shape.description} The chapters serve these beats, in order:", *lines, *fixed,
            'Answer with JSON only, no other text: {"chapters": [{"title": "a short title", '
            '"summary": "what happens, in one or two sentences"}]}, with exactly ' f"{n} chapters.",
        ])
        answers = self._ask(task, lambda text: parse_chapters(text, n), 80 * n + 40, "outline", "chapters")
        return [kept.get(i) or Chapter(chapter_id(i), title, summary, beats[i].name, basis=self.premise)
                for i, (title, summary) in enumerate(answers)]

    def scenes(self, plan: StoryPlan, i: int, m: int, kept: dict[str, Scene]) -> list[Scene]:
        if len(kept) == m:
            return [kept[scene_id(i, j)] for j in range(m)]
        n, chapter = len(plan.chapters), plan.chapters[i]
        outline = [f"Chapter {k + 1}, {json.dumps(c.title)}: {c.summary}"
                   for k, c in enumerate(plan.chapters)]
        beats = [_scene_beat(self.shape, i, n, j, m).name for j in range(m)]
        fixed = [f"Scene {sid.split('s')[1]} is written already; repeat it unchanged: {json.dumps(s.beat)}"
                 for sid, s in sorted(kept.items())]
        task = "\n".join([
            "Outline:", *outline, "",
            f"Plan chapter {i + 1}, {json.dumps(chapter.title)} ({chapter.beat}), in {m} scenes; "
            f"they serve the beats {', '.join(beats)}.",
            f"Characters: {', '.join(self.bible.cast()) or 'invent them'}. "
            f"Places: {', '.join(p.name for p in self.bible.places) or self.cast.setting}.", *fixed,
            'Answer with JSON only, no other text: {"scenes": [{"beat": "what happens, in one or two '
            'sentences", "characters": ["names from the list"], "place": "a place from the list", '
            f'"time": "when, e.g. day 1"}}]}}, with exactly {m} scenes.',
        ])
        answers = self._ask(task, lambda text: parse_scenes(text, m), 90 * m + 40,
                            f"scene list for {chapter.id}", chapter.id)
        out = []
        for j, a in enumerate(answers):
            sid, k = scene_id(i, j), i * m + j
            if sid in kept:
                out.append(kept[sid])
                continue
            names = list(dict.fromkeys(self.bible.character(c).name for c in a["characters"]
                                        if _knows(self.bible, c)))  # the bible's spelling, once each
            asked = (a["place"] or "").strip().lower()
            place = next((p.name for p in self.bible.places if p.name.lower() == asked), None)
            when = (a["time"] or "").strip()
            out.append(self._scene(plan, i, j, a["beat"].strip(), k, names, place, when))
        return out

    def _ask(self, task: str, parse: Callable[[str], T], max_tokens: int, what: str, key: str) -> T:
        """Ask until `parse` accepts the answer, naming the last problem in each new prompt."""
        answers: list[str] = []
        problem = ""
        for attempt in range(self.tries):
            retry = (f"\n\nYour last answer could not be used: {problem}. Answer again with the JSON only."
                     if problem else "")
            prompt, _ = fit_prompt(self.backend, self.memory, task + retry, max_tokens)
            opts = self.options.model_copy(update={"n": 1, "max_tokens": max_tokens,
                                                   "seed": _seed(self.seed, key) + attempt})
            [done] = self.backend.generate(prompt, opts)
            answers.append(done.text)
            try:
                return parse(done.text)
            except ValueError as exc:
                problem = str(exc)
        raise PlanJSONError(
            f"{self.backend.spec} gave no usable JSON {what} in {self.tries} tries "
            f"(last problem: {problem}). "
            "Try another seed or more tries, an instruction-following model, or chat=False to plan by "
            "completing the structure's stems.", answers)


def _knows(bible: Bible, name: str) -> bool:
    return any(name.strip().lower() == n.lower() for c in bible.characters for n in c.names())
