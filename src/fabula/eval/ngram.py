"""An interpolated Kneser-Ney n-gram language model, small enough to train on a corpus in memory.

Tokens are the shared word tokens (`fabula.eval.tokens`). Each text is padded with order-1 `<s>`
on the left and one `</s>` on the right; a token never seen in training is read as `<unk>`.

For the highest order the counts are raw counts c(h w); for every lower order m they are
continuation counts N1+(. h' w), the number of distinct tokens seen before h' w. With D_m the
discount of order m and P_0(w) = 1/|V| (V: the training tokens, `</s>` and `<unk>`):

    P_m(w | h) = max(c_m(h w) - D_m, 0) / c_m(h .)  +  D_m * N1+(h .) / c_m(h .) * P_{m-1}(w | h')

where c_m(h .) is the sum of h's counts and N1+(h .) the number of distinct w after h; a history
never seen leaves P_{m-1} as it is. Unless given, D_m = n1 / (n1 + 2 n2) from the numbers of
order-m counts equal to one and to two (Ney et al. 1994), or 0.75 when either is zero.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from fabula.errors import FabulaError
from fabula.eval.perplexity import Perplexity
from fabula.eval.tokens import check_texts, tokens

__all__ = ["BOS", "EOS", "UNK", "NgramLM"]

BOS, EOS, UNK = "<s>", "</s>", "<unk>"
FALLBACK_DISCOUNT = 0.75

Table = dict[tuple[str, ...], Counter[str]]


class NgramLM:
    """Train with `NgramLM.train(texts, order=3)`; then `prob`, `logprob`, `perplexity`."""

    def __init__(
        self, order: int, tables: dict[int, Table], discounts: dict[int, float], vocab: frozenset[str]
    ):
        self.order = order
        self.tables = tables  # order m -> history (m-1 tokens) -> counts of the next token
        self.discounts = discounts
        self.vocab = vocab
        self._totals = {m: {h: sum(row.values()) for h, row in t.items()} for m, t in tables.items()}

    @classmethod
    def train(cls, texts: Iterable[str], order: int = 3, discount: float | None = None) -> NgramLM:
        """A model of `texts`; `discount` fixes D for every order instead of estimating it."""
        if not isinstance(order, int) or order < 1:
            raise FabulaError(f"An n-gram model needs an order of at least 1 (got order={order!r}).")
        if discount is not None and not 0 < discount < 1:
            raise FabulaError(f"A Kneser-Ney discount must lie strictly between 0 and 1 (got {discount}).")
        texts = check_texts(texts, what="training texts")
        top: Table = defaultdict(Counter)
        vocab = {EOS, UNK}
        for text in texts:
            toks = tokens(text)
            vocab.update(toks)
            padded = [BOS] * (order - 1) + toks + [EOS]
            for t in range(order - 1, len(padded)):
                top[tuple(padded[t - order + 1 : t])][padded[t]] += 1
        if not any(tokens(t) for t in texts):
            raise FabulaError("The training texts have no words; train the n-gram model on a real corpus.")
        tables = {order: dict(top)}
        for m in range(order - 1, 0, -1):  # each distinct (v h' w) adds one to N1+(. h' w)
            lower: Table = defaultdict(Counter)
            for h, row in tables[m + 1].items():
                for w in row:
                    lower[h[1:]][w] += 1
            tables[m] = dict(lower)
        discounts = {m: discount if discount is not None else _estimate(t) for m, t in tables.items()}
        return cls(order, tables, discounts, frozenset(vocab))

    def prob(self, word: str, history: Sequence[str] = ()) -> float:
        """P(word | history): history tokens as `tokens` gives them; fewer than order-1 are padded with <s>."""
        if word == BOS:
            raise FabulaError("<s> only pads histories; the model never predicts it.")
        w = word if word in self.vocab else UNK
        hist = tuple(h if h in self.vocab or h == BOS else UNK for h in history)
        hist = ((BOS,) * (self.order - 1) + hist)[len(hist) :] if self.order > 1 else ()
        p = 1.0 / len(self.vocab)
        for m in range(1, self.order + 1):
            h = hist[len(hist) - (m - 1) :] if m > 1 else ()
            row = self.tables[m].get(h)
            if not row:
                continue
            total, d = self._totals[m][h], self.discounts[m]
            p = max(row.get(w, 0) - d, 0.0) / total + d * len(row) / total * p
        return p

    def logprobs(self, text: str) -> list[float]:
        """Natural-log probability of each token of `text` and of its closing </s>."""
        toks = tokens(text) + [EOS]
        padded = [BOS] * (self.order - 1) + toks
        return [math.log(self.prob(w, padded[i : i + self.order - 1])) for i, w in enumerate(toks)]

    def logprob(self, text: str) -> float:
        return sum(self.logprobs(text))

    def oov_rate(self, texts: Sequence[str]) -> float:
        """Share of the texts' tokens the model never saw (each read as <unk>, which lowers perplexity
        as the vocabulary shrinks: report it beside every n-gram perplexity)."""
        toks = [t for text in check_texts(texts) for t in tokens(text)]
        if not toks:
            raise FabulaError("The out-of-vocabulary rate is undefined: the texts have no tokens.")
        return sum(t not in self.vocab for t in toks) / len(toks)

    def perplexity(self, texts: Sequence[str]) -> Perplexity:
        """exp(-sum of log P / N), N counting every token and one </s> per text (so "" scores its end)."""
        texts = check_texts(texts)
        return Perplexity.of([self.logprobs(t) for t in texts], f"ngram:{self.order}")


def _estimate(table: Table) -> float:
    counts = Counter(c for row in table.values() for c in row.values())
    n1, n2 = counts[1], counts[2]
    return n1 / (n1 + 2 * n2) if n1 and n2 else FALLBACK_DISCOUNT
