"""Exporting a story: Markdown, plain text, EPUB 3 and DOCX.

A `Manuscript` is the finished story as plain data: title, author, language, metadata and chapters,
each chapter a list of scenes of plain prose (paragraphs separated by blank lines). The text is
normalized when the manuscript is built (line endings, stray spaces, characters XML cannot carry),
so every format sees the same text and Markdown round-trips exactly:
`from_markdown(to_markdown(m)) == m`.

Markdown is Pandoc-style (a YAML metadata block, `# ` per chapter, `* * *` between scenes) with the
prose escaped so a Markdown renderer shows it as written. EPUB is written with ebooklib and made
byte-for-byte reproducible (fixed zip timestamps, a modification date taken from `date`); it passes
EPUBCheck with no errors or warnings (tests/story/test_export.py). DOCX is written with python-docx.
"""

from __future__ import annotations

import html
import io
import json
import re
import unicodedata
import uuid
import zipfile
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from fabula.atomic import write_bytes_atomic, write_text_atomic
from fabula.errors import FabulaError

if TYPE_CHECKING:  # both are imported when used: exporting is rare next to importing fabula.story
    from docx.document import Document
    from ebooklib.epub import EpubBook

__all__ = [
    "FORMATS",
    "ExportError",
    "Manuscript",
    "ManuscriptChapter",
    "export",
    "from_markdown",
    "to_docx",
    "to_epub",
    "to_markdown",
    "to_text",
]

# Suffix -> format name accepted by `export(fmt=...)`.
FORMATS = {".md": "markdown", ".txt": "text", ".epub": "epub", ".docx": "docx"}
TEXT_WIDTH = 72
SCENE_BREAK = "* * *"
# Without a date, timestamps are this fixed moment (the zip format's earliest), so re-exports match.
EPOCH = datetime(1980, 1, 1)
# Titles and authors map to the same identifier everywhere: uuid5 under Fabula's own namespace.
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/fabula/fabula/manuscript")
_CONTENTS = {"en": "Contents", "zh": "目录"}  # the TOC heading, by primary language subtag


class ExportError(FabulaError):
    """A manuscript or a Markdown file that cannot be exported or read; the message says what to fix."""


# ---------------------------------------------------------------- normalization

# Characters XML 1.0 cannot carry (EPUB and DOCX are XML): C0 controls but tab/newline, non-characters.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?)?)?$")


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _one_line(text: str) -> str:
    # Only spaces, tabs and line breaks collapse: an ideographic or no-break space is meant.
    return re.sub(r"[ \t\n]+", " ", _clean(text)).strip(" ")


def _prose(text: str) -> str:
    """Paragraphs separated by exactly one blank line, each line without edge spaces or tabs."""
    paragraphs, lines = [], []
    for line in [*_clean(text).split("\n"), ""]:
        line = line.strip(" \t")
        if line:
            lines.append(line)
        elif lines:
            paragraphs.append("\n".join(lines))
            lines = []
    return "\n\n".join(paragraphs)


def _utc_moment(date: str | None) -> datetime:
    """The moment a W3C date names, in UTC without tzinfo (what the zip and OPF formats want)."""
    if date is None:
        return EPOCH
    year, month, day = (date[:10].split("-") + ["1", "1"])[:3]
    if "T" not in date:
        return datetime(int(year), int(month), int(day))
    return datetime.fromisoformat(date.replace("Z", "+00:00")).astimezone(timezone.utc).replace(tzinfo=None)


def _check_date(date: str) -> str:
    try:
        if _DATE.match(date):
            _utc_moment(date)
            return date
    except ValueError:
        pass
    raise ExportError(f"date {date!r} is not a W3C date: write it as YYYY, YYYY-MM, YYYY-MM-DD "
                      "or YYYY-MM-DDThh:mm:ssZ (e.g. 2024-05-01)")


def _derived_identifier(title: str, author: str) -> str:
    return "urn:uuid:" + str(uuid.uuid5(_ID_NAMESPACE, title + "\n" + author))


@dataclass
class ManuscriptChapter:
    title: str
    scenes: list[str] = field(default_factory=list)  # prose; empty scenes are dropped

    def __post_init__(self) -> None:
        self.title = _one_line(self.title)
        if not self.title:
            raise ExportError("a chapter has an empty title: give every chapter one (it is its TOC entry)")
        self.scenes = [s for s in (_prose(s) for s in self.scenes) if s]


@dataclass
class Manuscript:
    title: str
    _: KW_ONLY
    chapters: list[ManuscriptChapter]
    author: str = ""
    language: str = "en"  # a BCP 47 tag: en, en-GB, zh-Hans
    description: str = ""
    identifier: str | None = None  # None: a urn:uuid derived from title and author
    date: str | None = None  # W3C date of publication: 2024, 2024-05, 2024-05-01

    def __post_init__(self) -> None:
        self.title, self.author = _one_line(self.title), _one_line(self.author)
        if not self.title:
            raise ExportError("the manuscript has no title: pass Manuscript(title=...)")
        if not _LANGUAGE.match(self.language):
            raise ExportError(f"language {self.language!r} is not a BCP 47 tag: use one like en, en-GB, zh")
        self.description = _prose(self.description)
        self.identifier = _one_line(self.identifier or "") or _derived_identifier(self.title, self.author)
        self.date = _check_date(self.date.strip()) if self.date and self.date.strip() else None
        self.chapters = list(self.chapters)
        if not all(isinstance(c, ManuscriptChapter) for c in self.chapters):
            raise ExportError("chapters must be ManuscriptChapter(title, scenes) objects")


# ---------------------------------------------------------------- Markdown

_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<~])|&(?=#?[A-Za-z0-9]+;)")
_LINE_START = re.compile(r"^([#>+\-=|])|^(\d+)([.)])")
_UNESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])|&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_FRONT_KEYS = ("title", "author", "lang", "date", "description", "identifier")


def _escape_inline(text: str) -> str:
    return _INLINE_SPECIAL.sub(lambda m: "\\" + m.group(0), text)


def _escape_line(line: str) -> str:
    """A line of prose as Markdown that renders as itself (no emphasis, list, heading, HTML...)."""
    line = _escape_inline(line)
    return _LINE_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", line)


def _unescape(text: str) -> str:
    return _UNESCAPE.sub(lambda m: m[1] if m[1] is not None else html.unescape(m[0]), text)


def _front_matter(m: Manuscript) -> list[str]:
    # Pandoc reads title, author and description as Markdown, so they are escaped like the prose;
    # JSON strings are YAML double-quoted scalars, so any text survives a YAML reader.
    values = {"title": _escape_inline(m.title), "author": _escape_inline(m.author), "lang": m.language,
              "date": m.date, "description": _escape_inline(m.description), "identifier": m.identifier}
    lines = [f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in values.items() if v]
    return ["---", *lines, "---"]


def to_markdown(m: Manuscript) -> str:
    """Pandoc-style Markdown: a metadata block, `# ` per chapter, `* * *` between scenes."""
    out = _front_matter(m)
    for chapter in m.chapters:
        out += ["", "# " + _escape_inline(chapter.title).replace("#", "\\#")]
        for k, scene in enumerate(chapter.scenes):
            if k:
                out += ["", SCENE_BREAK]
            out += ["", *(_escape_line(line) if line else "" for line in scene.split("\n"))]
    return "\n".join(out) + "\n"


_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))??(?:[ \t]+#+)?[ \t]*$")
_THEMATIC_BREAK = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")


def _read_value(raw: str, lineno: int) -> str:
    raw = raw.strip()
    if raw.startswith('"'):
        try:
            return str(json.loads(raw))
        except json.JSONDecodeError:
            raise ExportError(f"line {lineno}: a quoted value that does not close; write it as "
                              'key: "text" with \\" for quotes inside') from None
    if raw.startswith("'") and raw.endswith("'") and len(raw) > 1:
        return raw[1:-1].replace("''", "'")
    return raw


def _parse_front(lines: list[str]) -> tuple[dict[str, str], int]:
    """The metadata block's fields and the index of the first body line."""
    if not lines or lines[0].strip() != "---":
        raise ExportError("the Markdown has no metadata block: start it with ---, a line "
                          '`title: "..."`, and --- (see docs/story-export.md)')
    fields: dict[str, str] = {}
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            return fields, i + 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, colon, raw = line.partition(":")
        if not colon or key.strip() not in _FRONT_KEYS:
            raise ExportError(f"line {i + 1}: {line.strip()!r} is not a known metadata field; "
                              f"use one of: {', '.join(_FRONT_KEYS)}")
        fields[key.strip()] = _read_value(raw, i + 1)
    raise ExportError("the metadata block never ends: close it with a line ---")


def _chapters(lines: list[str], first: int) -> list[ManuscriptChapter]:
    """Chapters from `# ` headings, scenes split at thematic breaks (`* * *`, `---`, `___`)."""
    parsed: list[tuple[str, list[list[str]]]] = []  # (title, scenes as lines)
    for i, line in enumerate(lines[first:], start=first + 1):
        heading = _HEADING.match(line)
        if heading and len(heading[1]) == 1:
            if not (heading[2] or "").strip():
                raise ExportError(f"line {i}: a chapter heading without a title; write '# Title'")
            parsed.append((_unescape(heading[2]), [[]]))
        elif heading:
            raise ExportError(f"line {i}: only '# ' chapter headings are read; make {line.strip()!r} "
                              "a '# ' chapter or plain text (escape the # as \\#)")
        elif not parsed:
            if line.strip():
                raise ExportError(f"line {i}: text before the first chapter; put a '# Title' line above it")
        elif _THEMATIC_BREAK.match(line):
            parsed[-1][1].append([])
        else:
            parsed[-1][1][-1].append(line)
    return [ManuscriptChapter(title, [_unescape("\n".join(x)) for x in scenes]) for title, scenes in parsed]


def from_markdown(text: str) -> Manuscript:
    """Read Markdown written by `to_markdown` (or by a writer in the same shape) back."""
    lines = _clean(text.removeprefix("\ufeff")).split("\n")
    fields, first = _parse_front(lines)
    if not fields.get("title"):
        raise ExportError('the metadata block has no title: add a line title: "..."')
    return Manuscript(
        _unescape(fields["title"]),
        chapters=_chapters(lines, first),
        author=_unescape(fields.get("author", "")),
        language=fields.get("lang") or "en",
        description=_unescape(fields.get("description", "")),
        identifier=fields.get("identifier"),
        date=fields.get("date"),
    )


# ---------------------------------------------------------------- plain text


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two, combining marks none."""
    return sum(0 if unicodedata.combining(ch) else 2 if _wide(ch) else 1 for ch in text)


def _opening(ch: str) -> bool:
    return unicodedata.category(ch) in ("Ps", "Pi")


def _closing(ch: str) -> bool:
    return unicodedata.category(ch) in ("Pe", "Pf", "Po")


def _joined(paragraph: str) -> str:
    """A paragraph's lines as one line: a line break reads as a space, except between CJK characters."""
    out = ""
    for line in paragraph.split("\n"):
        out += line if not out or (_wide(out[-1]) and _wide(line[0])) else " " + line
    return out


def _units(text: str) -> list[tuple[str, bool]]:
    """Unbreakable pieces and whether a space precedes each: words, and single CJK characters
    (with closing punctuation kept on the character before, opening on the one after)."""
    units: list[tuple[str, bool]] = []
    space = False
    for ch in text:
        if ch.isspace() and not _wide(ch):  # U+3000, the ideographic space, is text: it takes room
            space = bool(units)
            continue
        if units and not space:
            last = units[-1][0][-1]
            if _closing(ch) or _opening(last) or not (_wide(last) or _wide(ch)):
                units[-1] = (units[-1][0] + ch, units[-1][1])
                continue
        units.append((ch, space))
        space = False
    return units


def _wrap(text: str, width: int = TEXT_WIDTH) -> list[str]:
    lines: list[str] = []
    line = ""
    for unit, space in _units(text):
        candidate = line + (" " if space and line else "") + unit
        if line and _width(candidate) > width:
            lines.append(line)
            candidate = unit  # a piece longer than the width stays whole on its own line
        line = candidate
    return [*lines, line] if line else lines


def _underlined(title: str, mark: str) -> list[str]:
    lines = _wrap(title)
    return [*lines, mark * max(_width(x) for x in lines)]


def to_text(m: Manuscript) -> str:
    """Plain text wrapped at 72 columns (CJK characters count two), headings underlined."""
    out = _underlined(m.title, "=")
    if m.author:
        out += _wrap(f"by {m.author}")
    for paragraph in m.description.split("\n\n") if m.description else []:
        out += ["", *_wrap(_joined(paragraph))]
    for chapter in m.chapters:
        out += ["", "", *_underlined(chapter.title, "-")]
        for k, scene in enumerate(chapter.scenes):
            if k:
                out += ["", SCENE_BREAK.center(TEXT_WIDTH).rstrip()]
            for paragraph in scene.split("\n\n"):
                out += ["", *_wrap(_joined(paragraph))]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- EPUB

_CSS = """\
body { margin: 0 5%; line-height: 1.5; }
h1 { text-align: center; margin: 2em 0 1.5em; font-weight: normal; }
p { margin: 0; text-indent: 1.5em; text-align: justify; }
h1 + p, hr + p { text-indent: 0; }
hr.scene-break { border: 0; border-top: 1px solid; width: 20%; margin: 1.5em auto; }
.title-page { text-align: center; margin-top: 20%; }
.title-page p { text-indent: 0; text-align: center; margin: 1em 0; }
.author { font-size: 1.2em; }
"""


def _paragraphs_html(prose: str) -> str:
    return "".join(f"<p>{html.escape(_joined(p), quote=False)}</p>" for p in prose.split("\n\n") if p)


def _chapter_html(chapter: ManuscriptChapter) -> str:
    scenes = [_paragraphs_html(scene) for scene in chapter.scenes]
    body = '<hr class="scene-break"/>'.join(scenes)
    return f"<html><body><h1>{html.escape(chapter.title, quote=False)}</h1>{body}</body></html>"


def _title_page_html(m: Manuscript) -> str:
    parts = [f"<h1>{html.escape(m.title, quote=False)}</h1>"]
    if m.author:
        parts.append(f'<p class="author">{html.escape(m.author, quote=False)}</p>')
    if m.description:
        parts.append(_paragraphs_html(m.description))
    return f'<html><body><div class="title-page">{"".join(parts)}</div></body></html>'


def _reproducible_zip(data: bytes, when: datetime) -> bytes:
    """The same archive with every entry stamped `when` (zip's default is the clock), order kept."""
    stamp = max(when, EPOCH).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = info.compress_type
            entry.external_attr = 0o644 << 16
            entry.create_system = 3
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def _epub_book(m: Manuscript) -> EpubBook:
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier(m.identifier)
    book.set_title(m.title)
    book.set_language(m.language)
    if m.author:
        book.add_author(m.author)
    if m.description:
        book.add_metadata("DC", "description", m.description)
    if m.date:
        book.add_metadata("DC", "date", m.date)
    css = epub.EpubItem(uid="style", file_name="style/book.css", media_type="text/css", content=_CSS)
    book.add_item(css)
    pages = [epub.EpubHtml(uid="title-page", file_name="title.xhtml", title=m.title, lang=m.language)]
    pages[0].content = _title_page_html(m).encode("utf-8")
    for k, chapter in enumerate(m.chapters, start=1):
        page = epub.EpubHtml(uid=f"chapter-{k:03d}", file_name=f"chapter-{k:03d}.xhtml",
                             title=chapter.title, lang=m.language)
        page.content = _chapter_html(chapter).encode("utf-8")
        pages.append(page)
    nav = epub.EpubNav(title=_CONTENTS.get(m.language.split("-")[0].lower(), "Contents"))
    for item in [*pages, nav]:
        item.add_item(css)
        book.add_item(item)
    book.add_item(epub.EpubNcx())
    book.toc = pages
    book.spine = [pages[0], nav, *pages[1:]]
    return book


def to_epub(m: Manuscript, path: str | Path) -> Path:
    """An EPUB 3 (with an NCX for older readers): title page, contents, one XHTML file per chapter."""
    from ebooklib import epub

    buffer = io.BytesIO()
    options = {"mtime": _utc_moment(m.date), "epub2_guide": False, "epub3_landmark": False,
               "raise_exceptions": True}
    epub.write_epub(buffer, _epub_book(m), options)
    path = Path(path)
    write_bytes_atomic(path, _reproducible_zip(buffer.getvalue(), _utc_moment(m.date)))
    return path


# ---------------------------------------------------------------- DOCX

_EAST_ASIAN = ("zh", "ja", "ko")


def _set_language(document: Document, language: str) -> None:
    """The default run language, so Word spell-checks and picks fonts for the right script."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    rpr = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), language)
    if language.split("-")[0].lower() in _EAST_ASIAN:
        lang.set(qn("w:eastAsia"), language)


def _docx_properties(document: Document, m: Manuscript) -> None:
    props = document.core_properties
    props.title, props.author, props.language = m.title, m.author, m.language
    props.identifier, props.comments, props.subject = m.identifier, m.description, ""
    props.last_modified_by, props.revision = m.author, 1
    props.created = props.modified = _utc_moment(m.date).replace(tzinfo=timezone.utc)


def to_docx(m: Manuscript, path: str | Path) -> Path:
    """A Word document: the title, the author, Heading 1 per chapter (on a new page), the paragraphs,
    a centered `* * *` between scenes; title, author, language and identifier in its properties."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    document = docx.Document()
    _docx_properties(document, m)
    _set_language(document, m.language)
    document.add_paragraph(m.title, style="Title")
    if m.author:
        document.add_paragraph(m.author, style="Subtitle")
    for paragraph in m.description.split("\n\n") if m.description else []:
        document.add_paragraph(_joined(paragraph))
    for chapter in m.chapters:
        document.add_heading(chapter.title, level=1).paragraph_format.page_break_before = True
        for k, scene in enumerate(chapter.scenes):
            if k:
                document.add_paragraph(SCENE_BREAK).alignment = WD_ALIGN_PARAGRAPH.CENTER
            for paragraph in scene.split("\n\n"):
                document.add_paragraph(_joined(paragraph))
    buffer = io.BytesIO()
    document.save(buffer)
    path = Path(path)
    write_bytes_atomic(path, _reproducible_zip(buffer.getvalue(), _utc_moment(m.date)))
    return path


# ---------------------------------------------------------------- choosing by name


def export(m: Manuscript, path: str | Path, fmt: str | None = None) -> Path:
    """Write `m` to `path` in `fmt` (markdown, text, epub, docx, or a suffix: md, txt), or else in the
    format the path's suffix names."""
    path = Path(path)
    if fmt is not None:
        fmt = FORMATS.get("." + fmt.lower().lstrip("."), fmt.lower())
    else:
        fmt = FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise ExportError(f"cannot tell the format of {path.name!r} from its suffix: end the name in "
                              f"{', '.join(FORMATS)} or pass fmt= one of {', '.join(FORMATS.values())}")
    if fmt == "markdown":
        write_text_atomic(path, to_markdown(m))
    elif fmt == "text":
        write_text_atomic(path, to_text(m))
    elif fmt == "epub":
        to_epub(m, path)
    elif fmt == "docx":
        to_docx(m, path)
    else:
        raise ExportError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS.values())}")
    return path
