"""Style transfer and style control: a style classifier, content preservation, and the joint J.

- `StyleClassifier.train(texts, labels)`: a small classifier of labelled text (genre, author, a
  house model's style control). Features: TF-IDF of the shared word tokens and their bigrams
  (`features="tfidf"`), or the MiniLM text vectors (`features="minilm"`, a linear probe); then
  multinomial logistic regression (scikit-learn, lbfgs: deterministic).
- `style_hits(classifier, texts, target)`: 1.0 where the classifier reads the target style, else 0.0;
  `style_accuracy` is their mean.
- `content_similarities(sources, outputs)`: cosine similarity of each output to its source (MiniLM
  text vectors); `content_preservation` is their mean.
- `joint_score(style, fluency, similarity)`: J = mean over items of style_i * fluency_i * similarity_i
  (the sentence-level aggregation of Krishna et al. 2020), each factor in [0, 1].

The classifier's accuracy on held-out labelled text (`StyleClassifier.accuracy`) bounds how far its
style accuracy can be trusted: report both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from fabula.errors import FabulaError
from fabula.eval.tokens import check_texts, tokens
from fabula.eval.vectors import text_vectors

__all__ = [
    "StyleClassifier",
    "content_preservation",
    "content_similarities",
    "joint_score",
    "style_accuracy",
    "style_hits",
]


@dataclass
class StyleClassifier:
    features: str
    labels: list[str]  # the styles it knows, sorted
    _vectorizer: Any
    _model: Any

    @classmethod
    def train(
        cls,
        texts: Sequence[str],
        labels: Sequence[str],
        features: Literal["tfidf", "minilm"] = "tfidf",
        c: float = 10.0,
    ) -> StyleClassifier:
        """A classifier of `texts` into `labels` (one label per text, two or more distinct)."""
        from sklearn.linear_model import LogisticRegression

        texts = check_texts(texts, what="training texts")
        labels = [str(x) for x in labels]
        if len(labels) != len(texts):
            raise FabulaError(f"Give one label per training text: {len(texts)} texts, {len(labels)} labels.")
        if len(set(labels)) < 2:
            raise FabulaError("A style classifier needs texts of at least two different labels.")
        if features not in ("tfidf", "minilm"):
            raise FabulaError(f"Unknown features {features!r}: use 'tfidf' or 'minilm'.")
        vectorizer = _tfidf() if features == "tfidf" else None
        x = vectorizer.fit_transform(texts) if vectorizer is not None else text_vectors(texts)
        model = LogisticRegression(C=c, max_iter=2000).fit(x, labels)
        return cls(features, sorted(set(labels)), vectorizer, model)

    def _x(self, texts: list[str]) -> Any:
        return self._vectorizer.transform(texts) if self._vectorizer is not None else text_vectors(texts)

    def predict(self, texts: Sequence[str]) -> list[str]:
        texts = check_texts(texts)
        return [str(y) for y in self._model.predict(self._x(texts))]

    def accuracy(self, texts: Sequence[str], labels: Sequence[str]) -> float:
        """Share of `texts` classified as their `labels` (use held-out text, never the training set)."""
        return style_accuracy(self, texts, labels)


def _tfidf() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    # Sublinear term frequency: a word used ten times is not ten times the evidence of style.
    return TfidfVectorizer(
        tokenizer=tokens, lowercase=False, token_pattern=None, ngram_range=(1, 2), sublinear_tf=True
    )


def style_hits(classifier: StyleClassifier, texts: Sequence[str], target: str | Sequence[str]) -> list[float]:
    """1.0 for each text classified as its target style (one target for all, or one per text), else 0.0."""
    texts = check_texts(texts)
    targets = [target] * len(texts) if isinstance(target, str) else [str(t) for t in target]
    if len(targets) != len(texts):
        raise FabulaError(f"Give one target style per text: {len(texts)} texts, {len(targets)} targets.")
    unknown = sorted(set(targets) - set(classifier.labels))
    if unknown:
        raise FabulaError(
            f"The classifier knows no style {unknown[0]!r}; it knows {', '.join(classifier.labels)}."
        )
    return [float(p == t) for p, t in zip(classifier.predict(texts), targets, strict=True)]


def style_accuracy(classifier: StyleClassifier, texts: Sequence[str], target: str | Sequence[str]) -> float:
    hits = style_hits(classifier, texts, target)
    return sum(hits) / len(hits)


def content_similarities(sources: Sequence[str], outputs: Sequence[str]) -> list[float]:
    """cos(source_i, output_i) of MiniLM text vectors, one per pair."""
    sources = check_texts(sources, what="sources")
    outputs = check_texts(outputs, what="outputs")
    if len(sources) != len(outputs):
        raise FabulaError(f"Give one output per source: {len(sources)} sources, {len(outputs)} outputs.")
    a, b = text_vectors(sources, what="source"), text_vectors(outputs, what="output")
    return [float(x) for x in np.sum(a * b, axis=1)]


def content_preservation(sources: Sequence[str], outputs: Sequence[str]) -> float:
    sims = content_similarities(sources, outputs)
    return sum(sims) / len(sims)


def joint_score(style: Sequence[float], fluency: Sequence[float], similarity: Sequence[float]) -> float:
    """J = mean_i(style_i * fluency_i * similarity_i): an item counts only when it is in the target
    style, fluent and faithful at once. Each factor must lie in [0, 1]: clip a negative cosine
    similarity (max(0, s)) and turn a perplexity into 0/1 (below a threshold) before calling."""
    factors = {"style": list(style), "fluency": list(fluency), "similarity": list(similarity)}
    sizes = {len(v) for v in factors.values()}
    if len(sizes) != 1 or 0 in sizes:
        raise FabulaError(
            f"J needs the same non-zero number of values per factor; got { ({k: len(v) for k, v in factors.items()}) }."
        )
    for name, values in factors.items():
        bad = [v for v in values if not 0.0 <= float(v) <= 1.0]
        if bad:
            raise FabulaError(
                f"J's {name} values must lie in [0, 1]; {bad[0]} does not (clip or threshold it first)."
            )
    products = [s * f * m for s, f, m in zip(*factors.values(), strict=True)]
    return sum(products) / len(products)
