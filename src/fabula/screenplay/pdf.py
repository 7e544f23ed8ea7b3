"""A screenplay as a PDF in standard layout: the pages `layout.paginate` made, drawn in Courier.

Courier 12 pt is one of the PDF base fonts, so nothing is embedded and every reader has it;
bold, italic and underline come from the same family. Text is encoded as Windows-1252 (what the
base fonts carry): accents, curly quotes and dashes print, other scripts print as boxes. The file
is reproducible (no timestamps or random ids) and written atomically.
"""

from __future__ import annotations

import io
from pathlib import Path

from fabula.atomic import write_bytes_atomic
from fabula.errors import FabulaError
from fabula.screenplay.emphasis import Run, plain
from fabula.screenplay.layout import GEOMETRY, Item, Page, paginate
from fabula.screenplay.model import Screenplay

__all__ = ["pdf_bytes", "to_pdf"]

POINTS = 72.0  # per inch
FONTS = {0: "Courier", 1: "Courier-Bold", 2: "Courier-Oblique", 3: "Courier-BoldOblique"}
# The baseline sits three quarters down its 12 pt line, so ascenders and descenders stay inside it.
BASELINE = 0.75


def to_pdf(sp: Screenplay, path: Path) -> Path:
    """Write the screenplay to `path` as PDF (title page first when it has one)."""
    write_bytes_atomic(Path(path), pdf_bytes(sp))
    return Path(path)


def pdf_bytes(sp: Screenplay) -> bytes:
    """The PDF file's bytes: the title page (if any), then the script pages."""
    try:
        from reportlab.pdfgen.canvas import Canvas  # imported here: only exporting needs it
    except ImportError as exc:  # pragma: no cover - reportlab is a dependency
        raise FabulaError("PDF export needs reportlab: pip install reportlab==5.0.1") from exc

    pages = paginate(sp)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(GEOMETRY.width * POINTS, GEOMETRY.height * POINTS), invariant=1)
    canvas.setTitle(plain(sp.title) or "Screenplay")
    canvas.setAuthor(", ".join(sp.title_page.get("author")))
    canvas.setCreator("Fabula")
    for page in ([pages.title] if pages.title else []) + list(pages.body):
        _draw(canvas, page)
        canvas.showPage()
    if not pages.body and not pages.title:
        canvas.showPage()  # an empty screenplay is one blank page, still a valid PDF
    canvas.save()
    return buffer.getvalue()


def _draw(canvas, page: Page) -> None:  # type: ignore[no-untyped-def]
    for item in page.items:
        _item(canvas, item)


def _item(canvas, item: Item) -> None:  # type: ignore[no-untyped-def]
    size = GEOMETRY.font_size
    line = POINTS / GEOMETRY.lines_per_inch
    y = (GEOMETRY.height - GEOMETRY.row_top(item.row)) * POINTS - BASELINE * line
    x = item.x * POINTS
    advance = POINTS / GEOMETRY.chars_per_inch
    for run in item.runs:
        _run(canvas, run, x, y, size)
        x += len(run.text) * advance


def _run(canvas, run: Run, x: float, y: float, size: float) -> None:  # type: ignore[no-untyped-def]
    canvas.setFont(FONTS[run.style & 3], size)
    canvas.drawString(x, y, run.text)
    if run.underline and run.text.strip():
        canvas.setLineWidth(0.6)
        canvas.line(x, y - 1.5, x + canvas.stringWidth(run.text, FONTS[run.style & 3], size), y - 1.5)
