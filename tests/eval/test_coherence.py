"""Embedding similarity between neighbouring units and to a premise, with the shipped MiniLM."""

from __future__ import annotations

import numpy as np
import pytest

from fabula.errors import FabulaError
from fabula.eval import adjacent_similarity, premise_similarity, sentence_coherence
from fabula.eval.vectors import sentences, text_vectors
from fabula.story.embeddings import embed

SEA = [
    "The storm drove the fishing boat toward the rocks.",
    "Waves broke over the deck and the mast cracked.",
    "The sailors bailed water while the captain held the wheel.",
]
BAKERY = [
    "She kneaded the dough on the floured table.",
    "The oven warmed the small kitchen before dawn.",
]


@pytest.fixture(autouse=True)
def _embedder(minilm: None) -> None:
    """Every test here embeds text."""


def test_adjacent_similarity_is_the_mean_cosine_of_neighbours() -> None:
    v = embed(SEA)  # one sentence per unit: its vector is its embedding
    expected = (float(v[0] @ v[1]) + float(v[1] @ v[2])) / 2
    assert adjacent_similarity(SEA) == pytest.approx(expected, abs=1e-5)


def test_a_long_unit_is_the_normalised_mean_of_its_sentences() -> None:
    v = embed(SEA)
    mean = v.mean(axis=0)
    assert text_vectors([" ".join(SEA)])[0] == pytest.approx(mean / np.linalg.norm(mean), abs=1e-5)


def test_a_story_on_one_subject_is_more_coherent_than_a_patchwork() -> None:
    story = " ".join(SEA)
    patchwork = " ".join([SEA[0], BAKERY[0], SEA[1], BAKERY[1]])
    assert sentence_coherence([story]) > sentence_coherence([patchwork]) + 0.1
    # a text of one sentence has no neighbours and is skipped
    assert sentence_coherence([story, "Alone."]) == pytest.approx(sentence_coherence([story]))


def test_premise_similarity_prefers_the_right_premise() -> None:
    stories = [" ".join(SEA), " ".join(BAKERY)]
    premises = ["A ship in a storm at sea.", "A baker at work in the morning."]
    right = premise_similarity(stories, premises)
    swapped = premise_similarity(stories, premises[::-1])
    assert right > swapped + 0.2
    assert -1.0 <= swapped < right <= 1.0


def test_chinese_sentences_end_at_chinese_stops() -> None:
    text = "床前明月光，疑是地上霜。举头望明月，低头思故乡！他说：“走吧。”然后走了\n\n新的一段"
    assert sentences(text) == [
        "床前明月光，疑是地上霜。",
        "举头望明月，低头思故乡！",
        "他说：“走吧。”",
        "然后走了",
        "新的一段",
    ]


def test_coherence_errors() -> None:
    with pytest.raises(FabulaError, match="2 or more units"):
        adjacent_similarity(["Only one scene."])
    with pytest.raises(FabulaError, match="unit at position 1 is empty"):
        adjacent_similarity(["A scene.", " "])
    with pytest.raises(FabulaError, match="two or more sentences"):
        sentence_coherence(["One sentence only."])
    with pytest.raises(FabulaError, match="one premise per text"):
        premise_similarity(["A story."], ["One.", "Two."])
