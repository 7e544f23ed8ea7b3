"""Chinese text: script conversion, cleaning of classical poems, and the form of a shi.

Script. Every Chinese corpus stores `text` in Simplified characters
(`meta.script = "zh-Hans"`) and a Traditional copy in `meta.text_hant`.
The chinese-poetry shi are Traditional in the source (the copy is the
source text, `meta.hant = "source"`); its ci are Simplified (the copy is
OpenCC's `s2t`, `meta.hant = "opencc-s2t"`). Simplified is the canonical
script because converting into it is nearly one-to-one (t2s), while the
reverse direction has to guess (后 -> 後/后, 发 -> 發/髮): a corpus that mixes
sources stays consistent only if every text goes the safe way. Conversion
uses OpenCC (PyPI `opencc`, which bundles its dictionaries: offline).

Cleaning (`clean_lines` / `problem`): editors' notes in parentheses
(`（一作「…」）`, `〔…〕`) are removed, brackets around characters the editor
supplied are dropped (`[玄]宗` -> `玄宗`); poems with lost characters (□, ●,
囗囗), composed-character markup (`{艹/尔}`), brackets, digits, Latin,
kana or other stray symbols are dropped, not repaired.

Form (`shi_form`): from the number of lines (句, cut at ，。？！；：) and
the characters per line: 4 lines = 绝句, 8 = 律诗, otherwise 古体; 5 or 7
characters = 五言 / 七言; lines of mixed lengths = 杂言古体.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from fabula.data.split import normalise
from fabula.errors import FabulaError

__all__ = [
    "to_simplified",
    "to_traditional",
    "tool_versions",
    "clean_lines",
    "problem",
    "split_ju",
    "shi_form",
    "content_group",
    "load_json_poems",
    "SCRIPT_CARD",
]

SCRIPT_CARD = (
    "zh-Hans: `text` is Simplified (OpenCC t2s of Traditional sources); `meta.text_hant` is the "
    "Traditional form (the source text where the source is Traditional, else OpenCC s2t)"
)
_HANZI = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_IS_HANZI = re.compile(f"[{_HANZI}]")
_PUNCT = "，。？！；：、·「」『』《》“”‘’—"
_ALLOWED = re.compile(f"^[{_HANZI}{_PUNCT}]*$")
_NOTES = re.compile(r"（[^（）]*）|\([^()]*\)|〔[^〔〕]*〕")
_SPACE = re.compile(r"[\s\u3000]+")
_SUPPLIED = re.compile(f"[\\[［]([{_HANZI}]{{1,3}})[\\]］]")  # [玄]: a character the editor supplied
_LACUNA = re.compile(r"[□■○●◎△]|囗囗")
_MARKUP = re.compile(r"[{}\[\]【】〖〗<>/|=＝]")
_JU_BREAK = re.compile(r"[，。？！；：]")
_NUMERALS = {4: "四", 5: "五", 6: "六", 7: "七"}


@functools.cache
def _converter(config: str):  # type: ignore[no-untyped-def]
    try:
        import opencc
    except ImportError as exc:
        raise FabulaError(
            "The Chinese corpora need OpenCC: run `.venv/bin/pip install opencc==1.4.2`."
        ) from exc
    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    return _converter("t2s").convert(text)


def to_traditional(text: str) -> str:
    return _converter("s2t").convert(text)


def tool_versions() -> dict[str, str]:
    """Versions that change the Chinese outputs (part of the cache stamp)."""
    try:
        return {"opencc": metadata.version("opencc")}
    except metadata.PackageNotFoundError as exc:
        raise FabulaError(
            "The Chinese corpora need OpenCC: run `.venv/bin/pip install opencc==1.4.2`."
        ) from exc


def clean_lines(lines: Sequence[str]) -> list[str]:
    """Editors' notes in parentheses removed (also notes running over several lines),
    brackets around supplied characters removed (`[玄]宗` -> `玄宗`), whitespace removed,
    empty lines dropped."""
    text, previous = "\n".join(lines), None
    while previous != text:  # nested notes: the innermost go first
        previous, text = text, _NOTES.sub("", text)
    text = _SUPPLIED.sub(r"\1", text)
    return [line for line in (_SPACE.sub("", line) for line in text.split("\n")) if line]


def problem(lines: Sequence[str]) -> str | None:
    """Why a cleaned poem cannot be used as it is (None if it can)."""
    text = "".join(lines)
    if _LACUNA.search(text):
        return "lost characters"
    if not _IS_HANZI.search(text):
        return "empty"
    if _MARKUP.search(text):
        return "editorial markup"
    if not _ALLOWED.match(text):
        return "stray symbols"
    return None


def split_ju(lines: Sequence[str]) -> list[str]:
    """The poem's lines (句): the text cut at ，。？！；：, Chinese characters only."""
    ju = []
    for piece in _JU_BREAK.split("".join(lines)):
        chars = "".join(_IS_HANZI.findall(piece))
        if chars:
            ju.append(chars)
    return ju


def shi_form(lines: Sequence[str]) -> str:
    """The form of a shi from its line count and line lengths.

    4 lines -> 绝句, 8 lines -> 律诗, any other count -> 古体; all lines of 5
    characters -> 五言, of 7 -> 七言 (so 五言绝句, 七言律诗, 五言古体, ...);
    all lines of 4 or 6 -> 四言古体 / 六言古体; mixed lengths -> 杂言古体.
    This is the shape only: tonal regulation (平仄) is not checked.
    """
    ju = split_ju(lines)
    lengths = {len(j) for j in ju}
    if len(lengths) != 1:
        return "杂言古体"
    length = lengths.pop()
    if length in (5, 7):
        kind = {4: "绝句", 8: "律诗"}.get(len(ju), "古体")
        return f"{_NUMERALS[length]}言{kind}"
    if length in _NUMERALS:
        return f"{_NUMERALS[length]}言古体"
    return "杂言古体"


def content_group(simplified_text: str) -> str:
    """Split key of a poem from its text, so the same poem in two corpora shares a split."""
    return "zh:" + hashlib.sha256(normalise(simplified_text).encode("utf-8")).hexdigest()[:20]


def load_json_poems(path: Path) -> list[dict]:
    """One chinese-poetry JSON file (a list of poems)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FabulaError(
            f"Cannot read {path}: {exc}. Run `fabula data prepare --force` to fetch it again."
        ) from exc
    if not isinstance(data, list):
        raise FabulaError(f"{path} is not a list of poems.")
    return data
