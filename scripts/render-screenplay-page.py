#!/usr/bin/env python3
"""Render pages of the test screenplay's PDF to PNG for docs/screenplay-format.md.

    .venv/bin/python scripts/render-screenplay-page.py
    .venv/bin/python scripts/render-screenplay-page.py FILE.fountain NAME [PAGE ...]

With arguments it renders the given script pages (default: page 1) of FILE.fountain to
docs/img/NAME-page-N.png instead (docs/screenplay.md's generated example).

Exports tests/screenplay/fixtures/last_ferry.fountain to PDF with Fabula's own exporter, then
draws script pages 1 and 3 with PDFium (pypdfium2) at 100 dpi into docs/img/. The PNGs are the
PDF as a reader shows it, nothing drawn on top.
"""

from __future__ import annotations

import sys
from io import BytesIO
from pathlib import Path

import pypdfium2 as pdfium

from fabula.atomic import write_bytes_atomic
from fabula.screenplay import parse
from fabula.screenplay.pdf import pdf_bytes

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tests/screenplay/fixtures/last_ferry.fountain"
OUT = ROOT / "docs/img"
DPI = 100
PAGES = (1, 3)  # script pages (the PDF's first page is the title page)


def main(argv: list[str]) -> int:
    source, name, pages = SOURCE, "screenplay", PAGES
    if argv:
        if len(argv) < 2:
            print("usage: render-screenplay-page.py [FILE.fountain NAME [PAGE ...]]", file=sys.stderr)
            return 2
        source, name, pages = Path(argv[0]), argv[1], tuple(int(p) for p in argv[2:]) or (1,)
    sp = parse(source.read_text(encoding="utf-8"))
    doc = pdfium.PdfDocument(pdf_bytes(sp))
    try:
        for number in pages:
            image = doc[number].render(scale=DPI / 72, grayscale=True).to_pil()
            path = OUT / f"{name}-page-{number}.png"
            buffer = BytesIO()
            image.save(buffer, format="PNG", optimize=True)
            write_bytes_atomic(path, buffer.getvalue())
            print(
                f"{path.relative_to(ROOT)}: page {number} of {len(doc) - 1}, {image.width}x{image.height} px"
            )
    finally:
        doc.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
