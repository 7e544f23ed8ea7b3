"""对仗 (parallelism) of a couplet: position by position, the two lines' characters in the same class.

王力《诗词格律》第三章: in a 律诗 the 颔联 (lines 3-4) and 颈联 (lines 5-6) are 对仗 — noun
against noun, verb against verb, number against number, colour against colour ... — and the
two lines should not repeat a character at the same place. This module scores that.

Classes: 名 noun (incl. place, person, time), 动 verb, 形 adjective (incl. 状态词), 数 numeral or
量词, 虚 adverb / preposition / conjunction / particle, 代 pronoun; and the subclasses 色 colour
and 方 direction, which always come with their parent (形 / 名). A classical character is often
several classes at once (落 verb or adjective, 花 noun or verb), so each character of a line gets
a class *profile* (weights over the classes), summed from
  1. jieba's dictionary tag of the character alone (the `dict.txt` jieba ships, "word freq tag"
     per line, read directly — no download; it is what `jieba.posseg` tags with), weight 1;
  2. the jieba tag of the word the character belongs to when the line is segmented
     (`jieba.cut`, HMM off, tagged from the same dictionary as `jieba.posseg` does), weight 1 —
     classical lines segment poorly, hence 1 and 3;
  3. the classes of the two-character dictionary words that start or end with it (松: 青松 苍松
     松树 ... mostly nouns, though jieba tags 松 alone as a verb), weight 3, as proportions;
  4. the closed classes of `data/duizhang-classes.toml` (numbers, colours, directions, pronouns,
     function words ...), weight 2 per list; the numbers list replaces everything else.
Two positions match as much as their profiles agree (cosine similarity, 0 to 1); positions whose
similarity is under `POSITION_MATCH` are reported as mismatches. Where both lines have 叠字 (萧萧 /
滚滚) the positions match fully. A character with no profile (unknown to jieba and the lists) is
left out. The couplet's score is the mean similarity of its scored positions, a soft "fraction of
matching positions", and the couplet is 对仗 when it is at least `THRESHOLD`: 0.6, chosen on the 律诗
of 唐诗三百首 (see docs/poetry.md, "对仗": 89% of their 颔联/颈联 pass, 43% of random line pairs).
The same character at the same position in both lines is reported too (合掌-like repetition).
"""

from __future__ import annotations

import logging
import math
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

__all__ = [
    "POSITION_MATCH",
    "THRESHOLD",
    "Couplet",
    "char_classes",
    "profile",
    "profiles_of_line",
    "score",
    "similarity",
]

THRESHOLD = 0.6  # a couplet is 对仗 when its mean position similarity is at least this
POSITION_MATCH = 0.5  # a position under this similarity is reported as a mismatch
CLASSES_FILE = Path(__file__).resolve().parent.parent / "data" / "duizhang-classes.toml"

# jieba (ICTCLAS-style) tag -> coarse classes. Tags not listed (i 成语, l 习用语, j 简称, x, g
# 语素, zg, eng, ...) say nothing about the character's class in a poem line.
TAG_CLASSES: dict[str, frozenset[str]] = {
    **{t: frozenset({"名"}) for t in ("n", "nr", "nrt", "nrfg", "ns", "nt", "nz", "ng", "s", "t", "tg")},
    "f": frozenset({"方", "名"}),
    "vn": frozenset({"动", "名"}),
    "an": frozenset({"形", "名"}),
    **{t: frozenset({"动"}) for t in ("v", "vg", "vd", "vi", "vq", "uv")},
    **{t: frozenset({"形"}) for t in ("a", "ag", "ad", "z", "b", "o")},
    **{t: frozenset({"数"}) for t in ("m", "mq", "mg", "q")},
    **{t: frozenset({"代"}) for t in ("r", "rr", "rz", "rg")},
    **{
        t: frozenset({"虚"})
        for t in ("d", "dg", "df", "p", "c", "u", "uj", "ul", "uz", "ug", "ud", "y", "e", "h", "k")
    },
}


@dataclass(frozen=True)
class ClosedClass:
    name: str
    chars: frozenset[str]
    classes: frozenset[str]
    replace: bool = False


@cache
def closed_classes() -> tuple[ClosedClass, ...]:
    data = tomllib.loads(CLASSES_FILE.read_text(encoding="utf-8"))
    return tuple(
        ClosedClass(g["name"], frozenset(g["chars"]), frozenset(g["classes"]), bool(g.get("replace", False)))
        for g in data.get("group", [])
    )


@cache
def _tokenizer():
    """jieba's default tokenizer, initialised (its dictionary cache lives in the temp dir)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.dt.initialize()
    return jieba.dt


@cache
def _tags() -> dict[str, str]:
    """word -> part-of-speech tag from jieba's bundled dictionary (what `jieba.posseg` loads at import,
    read here without importing `jieba.posseg` and its HMM tables, which take seconds)."""
    tags: dict[str, str] = {}
    with _tokenizer().get_dict_file() as f:
        for raw in f:
            parts = raw.decode("utf-8").split()
            if len(parts) == 3:
                tags[parts[0]] = parts[2]
    return tags


def _simplified(text: str) -> str:
    from fabula.forms.chinese.lexicon import to_simplified

    out = to_simplified(text)
    return out if len(out) == len(text) else text


Profile = dict[str, float]


@cache
def _word_index() -> dict[str, Profile]:
    """Per character: the class proportions of the two-character dictionary words it starts or ends."""
    counts: dict[str, dict[str, float]] = {}
    for word, tag in _tags().items():
        classes = TAG_CLASSES.get(tag)
        if len(word) != 2 or not classes:
            continue
        for ch in word:
            c = counts.setdefault(ch, {})
            for k in classes - {"方", "色"}:  # subclasses come from the closed lists only
                c[k] = c.get(k, 0.0) + 1.0
    return {ch: {k: v / sum(c.values()) for k, v in c.items()} for ch, c in counts.items()}


def _add(profile: Profile, classes: frozenset[str], weight: float) -> None:
    for k in classes:
        profile[k] = profile.get(k, 0.0) + weight / len(classes)


def _groups_of(char: str) -> list[ClosedClass]:
    simple = _simplified(char)
    return [g for g in closed_classes() if char in g.chars or simple in g.chars]


def profile(char: str, word_tag: str | None = None) -> Profile:
    """The class profile of a character (on its own, or with the tag of its word in a line)."""
    groups = _groups_of(char)
    replaced = next((g for g in groups if g.replace), None)
    if replaced:
        return {k: 1.0 for k in replaced.classes}
    simple = _simplified(char)
    out: Profile = {}
    own = TAG_CLASSES.get(_tags().get(simple, ""))
    if own:
        _add(out, own, 1.0)
    if word_tag and TAG_CLASSES.get(word_tag):
        _add(out, TAG_CLASSES[word_tag], 1.0)
    for k, v in _word_index().get(simple, {}).items():
        out[k] = out.get(k, 0.0) + 3.0 * v
    for g in groups:
        _add(out, g.classes, 2.0)
    return out


def char_classes(char: str) -> frozenset[str]:
    """The classes a character has any weight in, on its own (for display and tests)."""
    return frozenset(profile(char))


@cache
def profiles_of_line(line: str) -> tuple[Profile, ...]:
    """Each character's profile in this line, its segmented word's jieba tag included."""
    simple = _simplified(line)
    tags: list[str | None] = []
    table = _tags()
    for word in _tokenizer().cut(simple, HMM=False):
        tags += [table.get(word)] * len(word)
    if len(tags) != len(line):  # segmentation keeps every character; be safe
        tags = [None] * len(line)
    return tuple(profile(ch, tag) for ch, tag in zip(line, tags, strict=True))


def similarity(a: Profile, b: Profile) -> float:
    """Cosine similarity of two class profiles (0: no class in common, 1: the same proportions)."""
    dot = sum(v * b.get(k, 0.0) for k, v in a.items())
    norm = math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


def main_classes(p: Profile) -> str:
    """The classes carrying most of a profile, e.g. "名/动" (for messages)."""
    if not p:
        return "?"
    top = max(p.values())
    order = "名方动形色数代虚"
    return "/".join(sorted((k for k, v in p.items() if v >= top / 2), key=order.index))


@dataclass
class Couplet:
    """The 对仗 score of two lines of equal length."""

    first: str
    second: str
    profiles: tuple[tuple[Profile, Profile], ...]
    similarities: list[float | None] = field(default_factory=list)  # None: a character without profile
    repeated: list[int] = field(default_factory=list)  # the same character at the same position

    @property
    def scored(self) -> list[int]:
        return [i for i, s in enumerate(self.similarities) if s is not None]

    @property
    def mismatched(self) -> list[int]:
        """0-based positions whose classes disagree (similarity under POSITION_MATCH)."""
        return [i for i in self.scored if self.similarities[i] < POSITION_MATCH]  # type: ignore[operator]

    @property
    def score(self) -> float:
        """Mean similarity over the scored positions (1.0 when none can be scored)."""
        sims = [self.similarities[i] for i in self.scored]
        return sum(sims) / len(sims) if sims else 1.0  # type: ignore[arg-type]

    def parallel(self, threshold: float = THRESHOLD) -> bool:
        return self.score >= threshold

    def describe(self, i: int) -> str:
        """e.g. "3 悲 (名/形) / 多 (形/数) 0.45": position, characters, main classes, similarity."""
        a, b = self.profiles[i]
        sim = self.similarities[i]
        return (
            f"{i + 1} {self.first[i]} ({main_classes(a)}) / {self.second[i]} ({main_classes(b)})"
            + (f" {sim:.2f}" if sim is not None else "")
        )


def _doubled(line: str) -> set[int]:
    """Positions inside a 叠字 pair (萧萧)."""
    out: set[int] = set()
    for i in range(len(line) - 1):
        if line[i] == line[i + 1]:
            out |= {i, i + 1}
    return out


def score(first: str, second: str) -> Couplet:
    """Score two lines (Chinese characters only; the longer is cut to the shorter) position by position."""
    n = min(len(first), len(second))
    first, second = first[:n], second[:n]
    a, b = profiles_of_line(first), profiles_of_line(second)
    couplet = Couplet(first, second, tuple(zip(a, b, strict=True)))
    doubled = _doubled(first) & _doubled(second)
    for i in range(n):
        if first[i] == second[i]:
            couplet.repeated.append(i)
        if i in doubled:
            couplet.similarities.append(1.0)
        elif not a[i] or not b[i]:
            couplet.similarities.append(None)
        else:
            couplet.similarities.append(similarity(a[i], b[i]))
    return couplet
