"""唐诗三百首 (Three Hundred Tang Poems) from chinese-poetry, with the anthology's form tags.

Source: `dist/quantangshi/唐诗三百首.json` of the npm package
`chinese-poetry` (366 poems, Traditional, each tagged with its traditional
category: 五言律诗, 七言古诗, 乐府 ...). `meta.form` is the computed
`shi_form` (the same vocabulary as `tang_song_shi`); the anthology's tag is
kept as `meta.form_tag`, and the card counts where the two agree. Split keys
are the poem's text, so a poem is in the same split here and in
`tang_song_shi`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from fabula.data.chinese import SCRIPT_CARD, load_json_poems, shi_form, tool_versions
from fabula.data.corpus import Document
from fabula.data.pipeline import Corpus
from fabula.data.poetry import CHINESE_POETRY, LICENCE, poem_document

FILE = "dist/quantangshi/唐诗三百首.json"
FORM_TAGS = ("五言绝句", "七言绝句", "五言律诗", "七言律诗", "五言古诗", "七言古诗", "乐府", "新乐府辞")
# The anthology's tag -> the computed forms it is consistent with (乐府 can be any shape).
_CONSISTENT = {
    "五言绝句": {"五言绝句"},
    "七言绝句": {"七言绝句"},
    "五言律诗": {"五言律诗"},
    "七言律诗": {"七言律诗"},
    "五言古诗": {"五言古体", "五言绝句", "五言律诗"},
    "七言古诗": {"七言古体", "杂言古体", "七言绝句", "七言律诗"},
}


def form_tag(tags: list[str]) -> str:
    """The anthology's form category among a record's tags ('' if none)."""
    return next((t for t in tags if t in FORM_TAGS), "")


def documents(root: Path, stats: Counter[str]) -> Iterator[Document]:
    for index, record in enumerate(load_json_poems(root / FILE)):
        tag = form_tag([str(t) for t in record.get("tags") or []])
        doc = poem_document(
            record,
            f"tang300/{record.get('id') or index}",
            {
                "source": "tang300",
                "dynasty": "唐",
                "title": str(record.get("title") or ""),
                "author": str(record.get("author") or ""),
            },
            stats,
            traditional_source=True,
        )
        if doc is None:
            continue
        form = shi_form(doc.text.splitlines())
        doc.meta["form"] = form
        if tag:
            doc.meta["form_tag"] = tag
            if tag in _CONSISTENT:
                stats[
                    "form check: agrees with the anthology's tag"
                    if form in _CONSISTENT[tag]
                    else "form check: differs from the anthology's tag"
                ] += 1
        else:
            stats["poems without a form tag"] += 1
        yield doc


CORPUS = Corpus(
    name="tang300",
    description="唐诗三百首: 366 poems as chinese-poetry has them, with computed form (meta.form) and the "
    "anthology's own category (meta.form_tag).",
    lang="zh",
    source=CHINESE_POETRY,
    files=FILE,
    licence=LICENCE,
    script=SCRIPT_CARD,
    tools=tool_versions,
    cleaning=(
        "Same cleaning and conversion as tang_song_shi (notes removed, damaged poems dropped, "
        "Simplified text "
        "with the Traditional source in meta.text_hant).",
        "form = shi_form(lines); form_tag = the anthology's category tag (五言律诗, 七言古诗, 乐府, ...).",
        "Split key = hash of the normalised Simplified text: "
        "each poem is in the same split as in tang_song_shi.",
    ),
    documents=documents,
)
