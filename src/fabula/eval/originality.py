"""Originality: how much of a generated text is copied from the training corpus.

- `CorpusIndex.build(documents)`: a suffix array over the corpus's word tokens (`fabula.eval.tokens`;
  Chinese in Simplified form, so a Traditional corpus matches Simplified output). Documents are
  kept apart: no match runs across two of them.
- `longest_common_ngram(text, index)`: the length, in tokens, of the longest run of `text` that
  occurs word for word somewhere in the corpus.
- `ngram_overlap(texts, index, n)`: the share of the texts' n-grams that occur in the corpus (the
  memorisation rate; 8-grams by default: shorter ones are shared by any two texts of a language).
- `copied_line_rate(texts, lines)`: the share of verse lines found in a poem model's line index
  (`fabula.forms.originality.LineIndex`, a Bloom filter of the corpus's lines, so about 1 % of
  novel lines are counted as copies) or in any set of `line_key`s.

Both token metrics come from one pass: the matching statistics ms[i], the length of the longest
prefix of text[i:] found in the corpus (binary search in the suffix array, then the longest common
prefix with the two neighbouring suffixes). LCN = max_i ms[i]; an n-gram at i is in the corpus
exactly when ms[i] >= n.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence

import numpy as np

from fabula.errors import FabulaError
from fabula.eval.tokens import HAN, check_order, check_texts, tokens
from fabula.forms.originality import indexable
from fabula.forms.plans import line_key

__all__ = ["CorpusIndex", "copied_line_rate", "longest_common_ngram", "ngram_overlap"]


def _normalised_tokens(text: str) -> list[str]:
    if HAN.search(text):
        from fabula.forms.chinese.lexicon import to_simplified

        text = to_simplified(text)
    return tokens(text)


class CorpusIndex:
    """A suffix array over a corpus's tokens, for exact-match queries of any length."""

    def __init__(self, ids: list[int], suffixes: list[int], vocab: dict[str, int], documents: int) -> None:
        self._ids = ids  # token ids; each document ends with its own negative separator
        self._sa = suffixes  # start positions, sorted by the suffix they begin
        self._vocab = vocab
        self.documents = documents
        self.tokens = len(ids) - documents

    @classmethod
    def build(cls, documents: Iterable[str]) -> CorpusIndex:
        vocab: dict[str, int] = {}
        ids: list[int] = []
        count = 0
        for doc in documents:
            ids.extend(vocab.setdefault(t, len(vocab)) for t in _normalised_tokens(doc))
            count += 1
            ids.append(-count)  # a separator no token and no other separator equals
        if not vocab:
            raise FabulaError("The corpus has no words to index; build the index from the training texts.")
        return cls(ids, _suffix_array(np.asarray(ids, dtype=np.int64)).tolist(), vocab, count)

    @classmethod
    def from_corpora(cls, names: Sequence[str], splits: Sequence[str] = ("train",)) -> CorpusIndex:
        """The index of prepared corpora (`fabula data prepare NAME`), their training split by default."""
        from fabula.data.corpus import read_split

        return cls.build(doc.text for name in names for split in splits for doc in read_split(name, split))

    def match_lengths(self, text: str) -> list[int]:
        """ms[i]: the most tokens of `text` from position i on that occur together in the corpus."""
        unknown = len(self._vocab)  # an id no corpus token has
        query = [self._vocab.get(t, unknown) for t in _normalised_tokens(text)]
        return [self._longest_match(query, i) for i in range(len(query))]

    def _longest_match(self, query: list[int], i: int) -> int:
        lo, hi = 0, len(self._sa)
        while lo < hi:  # the first suffix not below query[i:]
            mid = (lo + hi) // 2
            if self._below(self._sa[mid], query, i):
                lo = mid + 1
            else:
                hi = mid
        neighbours = [self._sa[k] for k in (lo - 1, lo) if 0 <= k < len(self._sa)]
        return max((self._common(j, query, i) for j in neighbours), default=0)

    def _common(self, j: int, query: list[int], i: int) -> int:
        k, ids = 0, self._ids
        while i + k < len(query) and j + k < len(ids) and ids[j + k] == query[i + k]:
            k += 1
        return k

    def _below(self, j: int, query: list[int], i: int) -> bool:
        """True when the corpus suffix at j sorts before query[i:]."""
        k = self._common(j, query, i)
        if i + k == len(query):
            return False  # query[i:] is a prefix of the suffix: the suffix is not below
        if j + k == len(self._ids):
            return True
        return self._ids[j + k] < query[i + k]


def _suffix_array(s: np.ndarray) -> np.ndarray:
    """Suffix start positions in sorted order, by prefix doubling (Manber & Myers): O(n log^2 n)."""
    n = len(s)
    rank = np.unique(s, return_inverse=True)[1].astype(np.int64)
    positions = np.arange(n)
    k = 1
    while True:
        second = np.where(positions + k < n, rank[np.minimum(positions + k, n - 1)] + 1, 0)
        order = np.lexsort((second, rank))
        r, t = rank[order], second[order]
        new = np.empty(n, dtype=np.int64)
        new[order] = np.cumsum(np.r_[True, (r[1:] != r[:-1]) | (t[1:] != t[:-1])]) - 1
        rank = new
        if rank.max() == n - 1 or k >= n:
            return order
        k *= 2


def longest_common_ngram(text: str, index: CorpusIndex) -> int:
    """Tokens in the longest run of `text` found word for word in the corpus (0 when none is)."""
    return max(index.match_lengths(text), default=0)


def ngram_overlap(texts: Sequence[str], index: CorpusIndex, n: int = 8) -> float:
    """Share of the texts' n-grams (pooled, with repeats) that occur in the corpus. A FabulaError
    when no text has n tokens."""
    texts = check_texts(texts)
    check_order(n)
    found = total = 0
    for text in texts:
        ms = index.match_lengths(text)
        starts = ms[: max(len(ms) - n + 1, 0)]
        total += len(starts)
        found += sum(1 for m in starts if m >= n)
    if not total:
        raise FabulaError(f"{n}-gram overlap is undefined: no text has {n} or more tokens.")
    return found / total


def copied_line_rate(texts: Sequence[str], lines: Container[str]) -> float:
    """Share of the texts' verse lines whose `line_key` is in `lines` (a LineIndex or a set).

    Chinese text is cut into 句 at its punctuation, other text into its lines; lines too short to
    count as a copy (under 5 characters or 4 words: `fabula.forms.originality.indexable`) are not
    counted, as the poem composer does not count them."""
    from fabula.forms.chinese.shi import split_lines

    texts = check_texts(texts)
    keys = []
    for text in texts:
        raw = split_lines(text.splitlines()) if HAN.search(text) else text.splitlines()
        keys += [k for k in (line_key(r) for r in raw) if indexable(k)]
    if not keys:
        raise FabulaError("The copied-line rate is undefined: no line is long enough to count as a copy.")
    return sum(1 for k in keys if k in lines) / len(keys)
