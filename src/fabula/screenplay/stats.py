"""Screenplay statistics: length, scenes, who speaks how much, and where and when scenes are set.

The page count is the PDF's own (`layout.paginate`, the same pages `to_pdf` draws), so it is a
real measure of length, about a minute a page. A speaking part is a character with at least one
speech; characters are counted by name without the extension, so `ROSA (V.O.)` is `ROSA`.
Scene settings come from the headings: INT, EXT (EST counts as EXT) or INT/EXT (I/E), and the
time after the last ` - `: a time with the word DAY is day, with NIGHT night, any other
(CONTINUOUS, LATER, DAWN) is listed under its own name.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass

from fabula.screenplay.emphasis import plain
from fabula.screenplay.layout import Pages, paginate
from fabula.screenplay.model import Action, Character, Dialogue, Lyrics, SceneHeading, Screenplay

__all__ = ["CharacterStats", "ScreenplayStats", "stats"]

_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")


@dataclass(frozen=True)
class CharacterStats:
    name: str
    speeches: int  # how many times the character speaks (cues)
    lines: int  # printed lines of dialogue and lyrics in the PDF
    words: int  # words spoken
    scenes: int  # scenes in which the character speaks


@dataclass(frozen=True)
class ScreenplayStats:
    title: str
    pages: int
    scenes: int
    characters: tuple[CharacterStats, ...]  # most words first
    int_ext: dict[str, int]  # INT, EXT, INT/EXT and "none" (a heading without a prefix)
    times: dict[str, int]  # DAY, NIGHT and every other time as written
    action_words: int
    dialogue_words: int

    @property
    def speaking_parts(self) -> int:
        return len(self.characters)

    @property
    def minutes(self) -> int:
        return self.pages

    def share(self, counts: dict[str, int], key: str) -> float:
        total = sum(counts.values())
        return counts.get(key, 0) / total if total else 0.0

    @property
    def day_night(self) -> dict[str, int]:
        """Scenes by DAY and NIGHT alone (the ratio's base)."""
        return {k: self.times.get(k, 0) for k in ("DAY", "NIGHT")}

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["characters"] = [asdict(c) for c in self.characters]
        d["speaking_parts"] = self.speaking_parts
        d["int_ext_share"] = {k: round(self.share(self.int_ext, k), 3) for k in self.int_ext}
        d["day_night_share"] = {k: round(self.share(self.day_night, k), 3) for k in self.day_night}
        return d

    def render(self) -> str:
        lines = [self.title] if self.title else []
        lines += [
            f"pages          {self.pages} (about {self.minutes} minute{'s' if self.minutes != 1 else ''})",
            f"scenes         {self.scenes}",
            f"speaking parts {self.speaking_parts}",
            f"INT/EXT        {_shares(self.int_ext, self)}",
            f"DAY/NIGHT      {_shares(self.day_night, self)}"
            + (
                f"; other times: {', '.join(f'{k} {v}' for k, v in self.times.items() if k not in ('DAY', 'NIGHT'))}"
                if set(self.times) - {"DAY", "NIGHT"}
                else ""
            ),
            f"words          {self.action_words} in action, {self.dialogue_words} in dialogue",
        ]
        if self.characters:
            width = max(9, *(len(c.name) for c in self.characters))
            lines += ["", f"{'character':<{width}}  speeches  lines  words  scenes"]
            lines += [
                f"{c.name:<{width}}  {c.speeches:>8}  {c.lines:>5}  {c.words:>5}  {c.scenes:>6}"
                for c in self.characters
            ]
        return "\n".join(lines)


def _shares(counts: dict[str, int], s: ScreenplayStats) -> str:
    shown = [f"{k} {v} ({s.share(counts, k):.0%})" for k, v in counts.items() if v]
    return ", ".join(shown) if shown else "-"


def _words(text: str) -> int:
    return len(_WORD.findall(plain(text)))


def stats(sp: Screenplay, pages: Pages | None = None) -> ScreenplayStats:
    """Statistics of a screenplay (pass `pages` if it is already paginated)."""
    pages = pages or paginate(sp)
    speeches: Counter[str] = Counter()
    words: Counter[str] = Counter()
    scenes_of: dict[str, set[int]] = {}
    names: dict[str, str] = {}
    scene, speaker = 0, None
    action_words = dialogue_words = 0
    headings = sp.scenes()
    for e in sp.elements:
        if isinstance(e, SceneHeading):
            scene += 1
            speaker = None
        elif isinstance(e, Character):
            speaker = e.name.upper()
            names.setdefault(speaker, e.name)
            speeches[speaker] += 1
            scenes_of.setdefault(speaker, set()).add(scene)
        elif isinstance(e, (Dialogue, Lyrics)) and speaker:
            n = _words(e.text)
            words[speaker] += n
            dialogue_words += n
        elif isinstance(e, Action):
            action_words += _words(e.text)
            speaker = None
    printed: Counter[str] = Counter(
        (item.speaker or "").upper()
        for page in pages.body
        for item in page.items
        if item.kind in ("dialogue", "lyrics") and item.text.strip()
    )
    characters = sorted(
        (CharacterStats(names[k], speeches[k], printed[k], words[k], len(scenes_of[k])) for k in speeches),
        key=lambda c: (-c.words, -c.speeches, c.name),
    )
    int_ext = Counter(h.int_ext or "none" for h in headings)
    times = Counter(_time(h.time) for h in headings if h.time)
    return ScreenplayStats(
        title=plain(sp.title),
        pages=pages.count,
        scenes=len(headings),
        characters=tuple(characters),
        int_ext={k: int_ext[k] for k in ("INT", "EXT", "INT/EXT", "none") if k in int_ext},
        times={
            **{k: times[k] for k in ("DAY", "NIGHT") if k in times},
            **{k: v for k, v in times.items() if k not in ("DAY", "NIGHT")},
        },
        action_words=action_words,
        dialogue_words=dialogue_words,
    )


def _time(time: str) -> str:
    words = set(re.findall(r"[A-Z]+", plain(time).upper()))
    if "NIGHT" in words:
        return "NIGHT"
    if "DAY" in words:
        return "DAY"
    return plain(time).upper().strip()
