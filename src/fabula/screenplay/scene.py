"""One planned scene written as screenplay elements: heading, action, speeches.

- the heading comes from the plan (`heading_for`);
- the action is `draft_scene` on the scene's brief with a small word budget, cut into at most two
  paragraphs;
- the speeches are `write_dialogue` among the scene's characters (a second character joins a scene
  planned for one, so there is someone to talk to): on models that take constraints the model picks
  each speaker with a constraint that allows only the known names, so every cue is a bible
  character; cues are printed upper case, and a line that opens with `(...)` gives a parenthetical.

Model text is cleaned of what Fountain would read as markup (emphasis marks, notes, boneyard,
forcing marks), so the output reads back as the same elements in any Fountain reader. House
models write action with their default controls and dialogue as a play (`form=play`), where the
model knows that control.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from fabula.backends.base import Backend
from fabula.errors import FabulaError
from fabula.screenplay.fountain import write
from fabula.screenplay.model import (
    Action,
    Character,
    Dialogue,
    Element,
    Parenthetical,
    SceneHeading,
    Screenplay,
)
from fabula.story.bible import Bible
from fabula.story.draft import DraftResult, SceneBrief, draft_scene
from fabula.story.plan import Scene

__all__ = ["SceneText", "clean", "fit_line", "readable", "scene_fountain", "speeches", "write_scene"]

ACTION_PARAGRAPHS = 2
_MARKUP = re.compile(r"\[\[|\]\]|/\*|\*/|[*_\\~^|<>#=@!{}]")
_PAREN = re.compile(r"^\(([^()]{1,60})\)\s*(.*)$")


@dataclass
class SceneText:
    """A written scene: its elements, and the drafting record of its action."""

    elements: list[Element]
    action: DraftResult | None = None
    dropped: int = 0  # dialogue model output that was not a chosen speaker's line
    notes: list[str] = field(default_factory=list)

    def fountain(self) -> str:
        return scene_fountain(self.elements)


def clean(text: str) -> str:
    """Model text as plain words on one line: no markup Fountain would read, no control bytes."""
    text = "".join(ch for ch in text if ch.isprintable() or ch.isspace())
    text = _MARKUP.sub(" ", text)
    return " ".join(text.split()).lstrip(".")


def write_scene(
    backend: Backend, bible: Bible, scene: Scene, heading: SceneHeading, brief: SceneBrief,
    seed: int = 0, words: int = 40, turns: int = 4, chat: bool | None = None,
) -> SceneText:
    """The scene's heading, action and dialogue."""
    if turns < 1:
        raise FabulaError(f"A scene needs at least one line of dialogue (got turns={turns}).")
    draft = draft_scene(backend, brief, words=words, step_tokens=_step_tokens(backend), seed=seed, chat=chat)
    action = _paragraphs(draft.text[len(brief.opening):] if brief.opening else draft.text) or [clean(scene.beat)]
    elements: list[Element] = [heading, *(Action(p) for p in action)]
    lines, dropped = _dialogue(backend, bible, scene, brief, seed, turns, chat)
    elements += lines
    return SceneText(elements, draft, dropped)


def _paragraphs(text: str) -> list[str]:
    paragraphs = [clean(p) for p in re.split(r"\n\s*\n", text)]
    return [p for p in paragraphs if any(ch.isalpha() for ch in p)][:ACTION_PARAGRAPHS]


def _step_tokens(backend: Backend) -> int:
    # a step leaves three quarters of a small context to the memory and the scene so far
    return max(16, min(96, (backend.context_length or 4096) // 4))


def _cast(bible: Bible, scene: Scene) -> list[str]:
    """The scene's speakers: its characters that the bible knows, at least two when the bible has two."""
    known = {n.casefold(): c.name for c in bible.characters for n in c.names()}
    cast = list(dict.fromkeys(known[n.casefold()] for n in scene.characters if n.casefold() in known))
    for name in bible.cast():
        if len(cast) >= 2:
            break
        if name not in cast:
            cast.append(name)
    if not cast:
        raise FabulaError("The bible has no characters to speak; add one with `fabula screenplay edit NAME bible`.")
    return cast


def _dialogue(
    backend: Backend, bible: Bible, scene: Scene, brief: SceneBrief, seed: int, turns: int,
    chat: bool | None,
) -> tuple[list[Element], int]:
    from fabula.story.dialogue import write_dialogue

    cast = _cast(bible, scene)
    order = "model" if len(cast) > 1 and backend.supports_constraints and backend.tokenizer is not None else "round-robin"
    situation = fit_line(backend, " ".join(x for x in (scene.beat, f"At {scene.place}." if scene.place else "") if x))
    with _as_play(backend):
        lines = write_dialogue(backend, bible, cast, situation, turns=turns, seed=seed, chat=chat, order=order)
    return speeches([(line.speaker, line.text) for line in lines]), lines.dropped


def fit_line(backend: Backend, situation: str) -> str:
    """The situation cut to about a third of a dialogue prompt's room, so that on a small context
    the speakers' voice lines still fit after it (`fit_prompt` alone would cut the first line only
    to three quarters of the room, and the voices would be left out)."""
    from fabula.story.dialogue import LINE_TOKENS
    from fabula.story.draft import DEFAULT_CONTEXT, prompt_sizer

    size = prompt_sizer(backend)
    room = 0.35 * ((backend.context_length or DEFAULT_CONTEXT) - LINE_TOKENS - size(""))
    words = situation.split()
    while len(words) > 4 and size(" ".join(words)) > room:
        words = words[: max(4, len(words) * 3 // 4)]
    text = " ".join(words)
    return text if text[-1:] in ".!?" else text.rstrip(",;:") + "."


def speeches(lines: list[tuple[str, str]]) -> list[Element]:
    """Cue (upper case), optional parenthetical and dialogue per spoken line; a speaker's next line
    joins their speech, and lines with no words are left out."""
    out: list[Element] = []
    last = ""
    for speaker, raw in lines:
        paren = _PAREN.match(clean(raw))
        words = _spoken(paren.group(2) if paren else clean(raw))
        if not any(ch.isalnum() for ch in words):
            continue
        if speaker != last:
            out.append(Character(speaker.upper()))
        if paren and paren.group(1).strip():
            out.append(Parenthetical(paren.group(1).strip()))
        elif speaker == last and isinstance(out[-1], Dialogue):
            out[-1] = Dialogue(f"{out[-1].text} {words}")
            continue
        out.append(Dialogue(words))
        last = speaker
    return out


def _spoken(text: str) -> str:
    """What is said, without a novel's quotation marks: a line that opens with a quotation keeps
    the quotation; stray quotes go; the first letter is upper case."""
    text = text.strip()
    if text.startswith('"') and '"' in text[1:]:
        text = text[1 : text.index('"', 1)]
    text = " ".join(text.replace('"', " ").split()).strip(" ,;")
    return text[:1].upper() + text[1:]


@contextmanager
def _as_play(backend: Backend) -> Iterator[None]:
    """A house model that knows `form=play` writes dialogue as a play; others are left as they are."""
    before = getattr(backend, "conditioning", None)
    condition = getattr(backend, "condition", None)
    try:
        if before is not None and condition is not None:
            try:
                condition({**before.controls, "form": "play"}, before.title)
            except FabulaError:
                pass  # the model has no play form: its default controls it is
        yield
    finally:
        if before is not None:
            backend.conditioning = before  # type: ignore[attr-defined]


def scene_fountain(elements: list[Element]) -> str:
    """A scene's elements as Fountain (what the store keeps per scene)."""
    return write(Screenplay(elements=tuple(elements)))


def readable(elements: list[Element]) -> str:
    """A scene as prose for summaries and canon: the action, then `Name: line` per speech."""
    out: list[str] = []
    speaker = ""
    for e in elements:
        if isinstance(e, Action):
            out.append(e.text)
        elif isinstance(e, Character):
            speaker = e.name.title()
        elif isinstance(e, Dialogue) and e.text:
            out.append(f"{speaker}: {e.text}" if speaker else e.text)
    return "\n".join(out)
