"""Several endings for one story, drafted from the same final-scene plan.

The kinds of ending (happy, tragic, open, twist) are data: `[[ending]]` tables in TOML files from
folders named by entry points in the `fabula.endings` group, Fabula's own `fabula/story/data/`
first, so a plugin package adds kinds with one entry point and a folder of TOML files:

    [project.entry-points."fabula.endings"]
    my_endings = "my_package:endings_folder"   # a function returning a Path

Each ending is `draft_scene` on the final scene's brief with the kind's words added to its beat
(narration for plain language models, a request for chat models), the bible's lines added to its
memory, and the same seed for every kind: the endings differ by their kind alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from fabula.plugins import catalog_folders, read_catalog_file
from fabula.backends.base import Backend
from fabula.errors import FabulaError
from fabula.story.bible import Bible
from fabula.story.draft import DraftResult, SceneBrief, draft_scene, fit_prompt

__all__ = [
    "DEFAULT_KINDS",
    "Ending",
    "UnknownEnding",
    "all_endings",
    "builtin_endings",
    "ending_brief",
    "get_ending",
    "read_endings",
    "write_endings",
]

ENTRY_POINT_GROUP = "fabula.endings"
DEFAULT_KINDS = ("happy", "tragic", "open", "twist")
_FIELDS = ("kind", "description", "beat", "request")


class UnknownEnding(FabulaError):
    """An ending kind that no catalogue file defines."""


@dataclass(frozen=True)
class Ending:
    kind: str
    description: str
    beat: str  # narration added to the final beat, for plain language models
    request: str  # an instruction added to the final beat, for chat models
    source: str = ""  # the file it came from


def builtin_endings() -> Path:
    """Fabula's own catalogue folder (for the `builtin` entry point)."""
    return Path(__file__).parent / "data"


def _folders() -> list[Path]:
    return catalog_folders(ENTRY_POINT_GROUP, builtin_endings())


def _read(path: Path) -> list[Ending]:
    tables = read_catalog_file(path, "Ending catalogue").get("ending", [])
    out = []
    for t in tables:
        fields = ", ".join(_FIELDS)
        missing = ", ".join(k for k in _FIELDS if not str(t.get(k, "")).strip())
        if missing:
            raise FabulaError(f"An ending in {path} lacks {missing}: give each [[ending]] {fields}.")
        unknown = ", ".join(sorted(set(t) - set(_FIELDS)))
        if unknown:
            raise FabulaError(f"Ending {t['kind']!r} in {path}: unknown field(s) {unknown} (use {fields}).")
        out.append(Ending(*(str(t[k]).strip() for k in _FIELDS), source=str(path)))
    return out


def read_endings(folders: Sequence[Path]) -> dict[str, Ending]:
    """Every ending kind in the TOML files of `folders`; a later file may not redefine a kind."""
    endings: dict[str, Ending] = {}
    for folder in folders:
        for path in sorted(Path(folder).glob("*.toml")):
            for ending in _read(path):
                key = ending.kind.casefold()
                if key in endings:
                    raise FabulaError(
                        f"Ending kind {ending.kind!r} in {path} is already defined in {endings[key].source}."
                    )
                endings[key] = ending
    return endings


@cache
def all_endings() -> dict[str, Ending]:
    """Every registered ending kind (lower-cased name -> Ending), built-in first."""
    return read_endings(_folders())


def get_ending(kind: str) -> Ending:
    found = all_endings().get(kind.strip().casefold())
    if found is None:
        known = ", ".join(e.kind for e in all_endings().values())
        raise UnknownEnding(
            f"No ending kind {kind!r}. Known kinds: {known}. A plugin adds kinds through the "
            f"{ENTRY_POINT_GROUP!r} entry-point group."
        )
    return found


def ending_brief(final: SceneBrief, bible: Bible, ending: Ending, chat: bool) -> SceneBrief:
    """The final scene's brief for one ending: the kind's words after the beat, the bible in memory."""
    words = ending.request if chat else ending.beat
    memory = [*final.memory, *(line for line in bible.memory_lines() if line not in final.memory)]
    return replace(final, beat=f"{final.beat.strip()} {words}", memory=memory)


def write_endings(
    backend: Backend,
    bible: Bible,
    final_brief: SceneBrief,
    kinds: Sequence[str] = DEFAULT_KINDS,
    words: int = 300,
    seed: int | None = None,
    chat: bool | None = None,
    step_tokens: int = 96,
) -> dict[str, DraftResult]:
    """One draft of the final scene per ending kind, in the order asked."""
    endings = [get_ending(k) for k in dict.fromkeys(k.strip().casefold() for k in kinds)]
    if not endings:
        known = ", ".join(e.kind for e in all_endings().values())
        raise FabulaError(f"Name at least one ending kind ({known}).")
    chat = backend.kind == "openai" if chat is None else chat
    briefs = {e.kind: ending_brief(final_brief, bible, e, chat) for e in endings}
    for kind, brief in briefs.items():  # without its beat every ending would be the same draft
        _, step = fit_prompt(backend, brief.lines()[:1], "", step_tokens, chat=chat)
        if step.dropped or step.cut_words:
            raise FabulaError(
                f"The {kind} ending's beat does not fit {backend.spec}'s context with {step_tokens} tokens "
                "a step: shorten the final scene's beat or draft with fewer step tokens."
            )
    return {
        kind: draft_scene(backend, brief, words=words, step_tokens=step_tokens, seed=seed, chat=chat)
        for kind, brief in briefs.items()
    }
