"""The PDF, checked as a reader sees it: pages rendered to pixels with PDFium, and the position,
font and size of every character PDFium finds on them."""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from fabula.screenplay import Action, Character, Dialogue, Screenplay, parse
from fabula.screenplay.pdf import pdf_bytes, to_pdf

pdfium = pytest.importorskip("pypdfium2", reason="dev dependency pypdfium2")
raw = pytest.importorskip("pypdfium2.raw")

PT = 72.0  # points per inch
PAGE_H = 11 * PT
SCALE = 2  # render at 144 dpi: one pixel is half a point


@pytest.fixture(scope="module")
def ferry_pdf(ferry: Screenplay) -> Iterator[pdfium.PdfDocument]:
    doc = pdfium.PdfDocument(pdf_bytes(ferry))
    yield doc
    doc.close()


@pytest.fixture
def open_pdf() -> Iterator[Callable[[bytes], pdfium.PdfDocument]]:
    opened: list[pdfium.PdfDocument] = []

    def _open(data: bytes) -> pdfium.PdfDocument:
        opened.append(pdfium.PdfDocument(data))
        return opened[-1]

    yield _open
    for doc in opened:
        doc.close()


def lines(page: pdfium.PdfPage) -> list[tuple[float, float, str, str, float]]:
    """(x of the first character's origin, baseline from the top of the page, text, font, size)
    of every printed run of characters, in points, top to bottom. A run is characters that follow
    each other at Courier's 7.2 pt advance on one baseline."""
    textpage = page.get_textpage()
    x, y = ctypes.c_double(), ctypes.c_double()
    buffer, flags = ctypes.create_string_buffer(64), ctypes.c_int()
    runs: list[list] = []  # type: ignore[type-arg]
    last: tuple[float, float] | None = None
    for i in range(textpage.count_chars()):
        char = textpage.get_text_range(i, 1)
        if char in "\r\n":
            continue
        raw.FPDFText_GetCharOrigin(textpage.raw, i, ctypes.byref(x), ctypes.byref(y))
        here = (round(x.value, 2), round(PAGE_H - y.value, 2))
        if last and here[1] == last[1] and abs(here[0] - last[0] - 7.2) < 0.5:
            runs[-1][2] += char
        elif char != " ":
            raw.FPDFText_GetFontInfo(textpage.raw, i, buffer, 64, ctypes.byref(flags))
            runs.append(
                [here[0], here[1], char, buffer.value.decode(), raw.FPDFText_GetFontSize(textpage.raw, i)]
            )
        else:
            continue
        last = here
    return sorted(((a, b, t.rstrip(), f, size) for a, b, t, f, size in runs), key=lambda r: (r[1], r[0]))


def dark(page: pdfium.PdfPage) -> np.ndarray:
    """Pixels darker than mid-grey, as a boolean array indexed [y, x] in half points."""
    image = page.render(scale=SCALE).to_pil().convert("L")
    return np.asarray(image) < 128


def first_dark_x(pixels: np.ndarray, baseline: float) -> float:
    """Where ink starts (in points) on the line whose baseline is given (in points from the top)."""
    band = pixels[int((baseline - 8) * SCALE) : int((baseline + 2) * SCALE)]
    return float(np.argmax(band.any(axis=0))) / SCALE


def find(rows: list[tuple[float, float, str, str, float]], text: str) -> tuple[float, float, str, str, float]:
    """The first line that is `text`, or else the first that starts with it."""
    return next((r for r in rows if r[2] == text), None) or next(r for r in rows if r[2].startswith(text))


def inch(x: float) -> float:
    return pytest.approx(x * PT)  # type: ignore[no-any-return]


def test_title_page_then_four_script_pages(ferry_pdf: pdfium.PdfDocument) -> None:
    assert len(ferry_pdf) == 5
    w, h = ferry_pdf[0].get_size()
    assert (w, h) == (612, 792)  # US Letter
    title = find(lines(ferry_pdf[0]), "THE LAST FERRY")
    assert abs(title[0] + len("THE LAST FERRY") * 7.2 / 2 - 4.5 * PT) < 0.01  # centred between the margins
    assert title[1] == 72 + 18 * 12 + 9  # 4" down


def test_courier_12_at_six_lines_an_inch_in_standard_columns(ferry_pdf: pdfium.PdfDocument) -> None:
    rows = lines(ferry_pdf[1])
    heading = find(rows, "EXT. HARBOUR TERMINAL - NIGHT")
    assert (
        heading[0] == inch(1.5) and heading[1] == 72 + 9
    )  # first line: 1" margin, baseline 9 pt down its line
    assert heading[3].startswith("Courier") and heading[4] == 12
    assert find(rows, "VOSS (V.O.)")[0] == inch(3.7)
    assert find(rows, "(over the radio,")[0] == inch(3.1)
    assert find(rows, "Okafor. Tell me")[0] == inch(2.5)
    # Lines of one speech are 12 pt apart: 6 lines to the inch.
    cue, paren1, paren2, line = (
        find(rows, t)[1] for t in ("VOSS (V.O.)", "(over the radio,", "crackling)", "Okafor.")
    )
    assert (paren1 - cue, paren2 - paren1, line - paren2) == (12, 12, 12)
    # Scene numbers in both margins.
    assert [r[0] for r in rows if r[1] == heading[1] and r[2] == "1"] == [inch(0.75), inch(7.75)]
    # Nothing in the bottom inch, nothing on a line the layout did not give it.
    assert all(72 + 9 <= r[1] <= PAGE_H - 72 - 3 and (r[1] - 81) % 12 == 0 for r in rows)


def test_emphasis_uses_the_courier_family(ferry_pdf: pdfium.PdfDocument) -> None:
    fonts = {r[3] for page in ferry_pdf for r in lines(page)}
    assert {"Courier", "Courier-Oblique"} <= fonts  # *GULL*, lyrics


def test_page_numbers_from_page_two_top_right(ferry_pdf: pdfium.PdfDocument) -> None:
    assert not [r for r in lines(ferry_pdf[1]) if r[2] == "1."]
    for n in (2, 3, 4):
        (number,) = [r for r in lines(ferry_pdf[n]) if r[2] == f"{n}."]
        assert number[0] + 2 * 7.2 == inch(7.5) and number[1] == 36 + 9  # right edge on the margin, 0.5" down


def test_pixels_start_at_the_margins_and_columns(ferry_pdf: pdfium.PdfDocument) -> None:
    page = ferry_pdf[1]
    rows, pixels = lines(page), dark(page)
    # Ink starts a little inside the origin (Courier's side bearing: 0.3 pt for R, 2.3 pt for "(").
    for text, inches in (
        ("Rain slants", 1.5),
        ("Okafor. Tell me", 2.5),
        ("MARA", 3.7),
        ("(into her radio)", 3.1),
    ):
        x = first_dark_x(pixels, find(rows, text)[1])
        assert inches * PT <= x <= inches * PT + 2.5, (text, x)
    height = pixels.shape[0] / SCALE
    assert not pixels[: int(72 * SCALE)].any()  # top inch empty on page 1 (no page number)
    assert not pixels[int((height - 72) * SCALE) :].any()  # bottom inch empty
    # Right of the 7.5" margin only the scene numbers print.
    number_rows = [r[1] for r in rows if r[0] == inch(7.75)]
    beyond = np.nonzero(pixels[:, int(7.5 * PT * SCALE) + 2 :].any(axis=1))[0] / SCALE
    assert all(any(b - 8 <= y <= b + 2 for b in number_rows) for y in beyond)


def test_page_number_region_has_ink_only_from_page_two(ferry_pdf: pdfium.PdfDocument) -> None:
    def box(page: pdfium.PdfPage) -> bool:
        return bool(
            dark(page)[
                int(0.5 * PT * SCALE) : int(0.7 * PT * SCALE), int(7.2 * PT * SCALE) : int(7.5 * PT * SCALE)
            ].any()
        )

    assert not box(ferry_pdf[1]) and box(ferry_pdf[2])


def test_a_broken_speech_prints_more_and_contd(open_pdf: Callable[[bytes], pdfium.PdfDocument]) -> None:
    speech = [Dialogue(f"Sentence number {i} is here.") for i in range(12)]
    sp = Screenplay(elements=(Action("\n".join(f"Line {i}." for i in range(44))), Character("ROSA"), *speech))
    doc = open_pdf(pdf_bytes(sp))
    foot, head = lines(doc[0])[-1], lines(doc[1])
    assert foot[2] == "(MORE)" and foot[0] == inch(3.7) and foot[1] == 72 + 53 * 12 + 9
    assert head[1][2] == "ROSA (CONT'D)" and head[1][1] == 81


def test_to_pdf_writes_a_reproducible_file(tmp_path: Path, every: Screenplay) -> None:
    a, b = to_pdf(every, tmp_path / "a.pdf"), to_pdf(every, tmp_path / "b.pdf")
    assert a.read_bytes() == b.read_bytes() and a.read_bytes().startswith(b"%PDF-")
    assert not list(tmp_path.glob(".*.tmp"))


def test_text_beyond_windows_1252_prints_as_a_box_not_an_error(
    open_pdf: Callable[[bytes], pdfium.PdfDocument],
) -> None:
    doc = open_pdf(pdf_bytes(parse("INT. 茶馆 - DAY\n\nShe says “café” — twice.\n")))
    assert "café" in doc[0].get_textpage().get_text_range()
