"""From a corpus document to training sequences: control tokens, titles, fill-in-the-middle.

A plain document becomes one sequence:

    <|bos|><style=shakespeare><form=play>\\n{text}<|eos|>
    <|bos|><form=七言绝句><title>静夜思</title>\\n{text}<|eos|>

The control tokens come from the document's meta (keys in `control_keys`, in
that order); only values that got a token when the tokenizer was trained are
used. The newline closes the header, so a prompt for a house model is the same
header: `prompt_header({"style": "shakespeare", "form": "play"})`.

Fill-in-the-middle (Bavarian et al. 2022, "Efficient Training of Language
Models to Fill in the Middle"), PSM order: a document is cut at line ends into
pieces of about `fim_piece_chars` characters; each piece, with probability
`fim_rate`, is cut at two random character positions into prefix, middle and
suffix and becomes its own sequence

    <|bos|>{header}\\n<fim_prefix>{prefix}<fim_suffix>{suffix}<fim_middle>{middle}<|eos|>

while runs of untouched pieces stay in order as ordinary sequences. To infill,
prompt with everything up to `<fim_middle>` and stop at `<|eos|>`.

With `control_dropout`, each control token is left out independently, so a
model also follows a prompt that gives only some of them (or none).

Every random choice (control dropout, title, FIM pieces and spans) is drawn
from a generator seeded by (seed, document id), so a document is formatted the
same way whatever order the corpus is read in.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from fabula.data.corpus import Document
from fabula.house.prompt import (
    BOS,
    EOS,
    FIM_MIDDLE,
    FIM_PREFIX,
    FIM_SUFFIX,
    TITLE_CLOSE,
    TITLE_OPEN,
    control_tokens,
    one_line,
)

__all__ = ["Formatter", "Part", "collect_control_tokens", "render", "split_pieces"]


@dataclass(frozen=True)
class Part:
    """A piece of a sequence: a special token (one id) or text to be tokenised."""

    text: str
    special: bool = False


def collect_control_tokens(docs: Iterable[Document], keys: Iterable[str], min_count: int = 1) -> list[str]:
    """Control tokens of label values found in at least `min_count` documents, by key then value."""
    keys = list(keys)
    counts = Counter(t for doc in docs for t in control_tokens(doc.meta, keys))
    kept = [t for t, n in counts.items() if n >= min_count]
    order = {k: i for i, k in enumerate(keys)}
    return sorted(kept, key=lambda t: (order[t[1:].split("=", 1)[0]], t))


def render(parts: Iterable[Part]) -> str:
    return "".join(p.text for p in parts)


def split_pieces(text: str, size: int) -> list[str]:
    """Cut `text` into pieces of at most `size` characters, preferring line ends, then spaces.

    A cut falls in the second half of the window when it can; the pieces join back to `text`.
    """
    pieces, start = [], 0
    while len(text) - start > size:
        window = text[start : start + size]
        cut = window.rfind("\n", size // 2)
        if cut < 0:
            cut = window.rfind(" ", size // 2)
        end = start + (cut + 1 if cut >= 0 else size)
        pieces.append(text[start:end])
        start = end
    if start < len(text):
        pieces.append(text[start:])
    return pieces


@dataclass(frozen=True)
class Formatter:
    """Turns documents into sequences of `Part`s; see the module docstring for the format."""

    control_keys: tuple[str, ...] = ("source", "genre", "style", "form", "tune")
    known_controls: frozenset[str] | None = None  # None: every label value gets a token
    control_dropout: float = 0.0
    title_rate: float = 0.0
    fim_rate: float = 0.0
    fim_piece_chars: int = 1024
    seed: int = 0

    def header(self, doc: Document, rng: random.Random) -> list[Part]:
        parts = [Part(BOS, True)]
        for token in control_tokens(doc.meta, self.control_keys, self.known_controls):
            if rng.random() >= self.control_dropout:  # each left out on its own: any subset conditions
                parts.append(Part(token, True))
        use_title = rng.random() < self.title_rate
        title = one_line(doc.meta.get("title", ""))
        if use_title and title:
            parts += [Part(TITLE_OPEN, True), Part(title), Part(TITLE_CLOSE, True)]
        return parts + [Part("\n")]

    def sequences(self, doc: Document) -> list[list[Part]]:
        """The training sequences of one document, in order."""
        rng = random.Random(f"{self.seed}/{doc.id}")
        header = self.header(doc, rng)
        if self.fim_rate <= 0:
            return [[*header, Part(doc.text), Part(EOS, True)]]
        sequences: list[list[Part]] = []
        plain: list[str] = []
        for piece in split_pieces(doc.text, self.fim_piece_chars):
            if rng.random() < self.fim_rate:
                if plain:
                    sequences.append([*header, Part("".join(plain)), Part(EOS, True)])
                    plain = []
                i, j = sorted((rng.randint(0, len(piece)), rng.randint(0, len(piece))))
                sequences.append(
                    [
                        *header,
                        Part(FIM_PREFIX, True),
                        Part(piece[:i]),
                        Part(FIM_SUFFIX, True),
                        Part(piece[j:]),
                        Part(FIM_MIDDLE, True),
                        Part(piece[i:j]),
                        Part(EOS, True),
                    ]
                )
            else:
                plain.append(piece)
        if plain:
            sequences.append([*header, Part("".join(plain)), Part(EOS, True)])
        return sequences
