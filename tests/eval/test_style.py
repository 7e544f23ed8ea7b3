"""Style classifiers trained on labelled text, style accuracy, content preservation and J."""

from __future__ import annotations

import pytest

from fabula.errors import FabulaError
from fabula.eval import (
    StyleClassifier,
    content_preservation,
    content_similarities,
    joint_score,
    style_accuracy,
    style_hits,
)
from fabula.story.embeddings import embed

SEA = [
    "The captain steered the ship through the storm.",
    "Waves broke over the deck of the old ship.",
    "The sailors hauled the nets from the grey sea.",
    "A gull cried above the harbour and the boats.",
]
GOTHIC = [
    "The candle guttered in the ruined chapel at midnight.",
    "A pale figure drifted through the crumbling abbey.",
    "The crypt smelled of dust and ancient graves.",
    "Ravens shrieked from the tower of the haunted castle.",
]


@pytest.fixture(scope="module")
def tfidf() -> StyleClassifier:
    return StyleClassifier.train(SEA + GOTHIC, ["sea"] * 4 + ["gothic"] * 4)


def test_style_accuracy_counts_outputs_in_the_target_style(tfidf: StyleClassifier) -> None:
    outputs = [
        "The sailors steered the ship into the harbour.",
        "Waves and gulls over the grey sea.",
        "The haunted crypt of the ruined abbey at midnight.",  # not sea: the one miss
        "The boats left the harbour before the storm.",
    ]
    assert tfidf.labels == ["gothic", "sea"]
    assert style_hits(tfidf, outputs, "sea") == [1.0, 1.0, 0.0, 1.0]
    assert style_accuracy(tfidf, outputs, "sea") == pytest.approx(3 / 4)
    # one target per text
    assert style_accuracy(tfidf, outputs, ["sea", "sea", "gothic", "gothic"]) == pytest.approx(3 / 4)


def test_held_out_accuracy_of_the_classifier(tfidf: StyleClassifier) -> None:
    held_out = ["The ship sailed out of the harbour.", "Ghosts walked the ruined castle at midnight."]
    assert tfidf.accuracy(held_out, ["sea", "gothic"]) == 1.0


def test_a_linear_probe_on_minilm_vectors(minilm: None) -> None:
    probe = StyleClassifier.train(SEA + GOTHIC, ["sea"] * 4 + ["gothic"] * 4, features="minilm")
    # no shared words with the training text: the probe reads meaning, not vocabulary
    assert probe.predict(["Fishermen rowed across the bay.", "Spectres haunted the old manor."]) == [
        "sea",
        "gothic",
    ]


def test_content_similarity_is_the_cosine_of_the_pair(minilm: None) -> None:
    sources = ["The ship left the harbour at dawn."]
    outputs = ["At first light the vessel sailed from port."]
    a, b = embed(sources + outputs)
    assert content_similarities(sources, outputs) == [pytest.approx(float(a @ b), abs=1e-5)]
    unrelated = content_preservation(sources, ["She baked bread for the children."])
    assert content_preservation(sources, outputs) > unrelated + 0.2


def test_joint_score_by_hand() -> None:
    # items: 1*1*0.8 = 0.8, 1*0.5*0.6 = 0.3, 0*1*0.9 = 0 -> J = 1.1 / 3
    assert joint_score([1, 1, 0], [1, 0.5, 1], [0.8, 0.6, 0.9]) == pytest.approx(1.1 / 3)
    with pytest.raises(FabulaError, match="similarity values must lie in"):
        joint_score([1], [1], [-0.1])
    with pytest.raises(FabulaError, match="same non-zero number"):
        joint_score([1, 0], [1], [1])


def test_style_errors(tfidf: StyleClassifier) -> None:
    with pytest.raises(FabulaError, match="at least two different labels"):
        StyleClassifier.train(SEA, ["sea"] * 4)
    with pytest.raises(FabulaError, match="one label per training text"):
        StyleClassifier.train(SEA, ["sea"])
    with pytest.raises(FabulaError, match="knows no style 'romance'"):
        style_hits(tfidf, ["A kiss."], "romance")
    with pytest.raises(FabulaError, match="one target style per text"):
        style_hits(tfidf, ["A ship.", "A ghost."], ["sea"])
