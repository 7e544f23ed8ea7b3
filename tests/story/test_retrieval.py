"""retrieval.py and embeddings.py: the shipped MiniLM model, and facts ranked by who, where, when, meaning."""

from __future__ import annotations

import numpy as np
import pytest

from fabula.errors import FabulaError
from fabula.story.bible import Bible, Character, Place
from fabula.story.canon import Canon, Fact
from fabula.story.embeddings import DIMENSION, embed, similarity
from fabula.story.retrieval import SceneQuery, fact_sentence, retrieve, scored


@pytest.fixture(scope="module", autouse=True)
def model() -> None:
    embed(["load the model once for the module"])


@pytest.fixture(scope="module")
def bible() -> Bible:
    return Bible("The Lamp", "Two sisters keep a lighthouse.",
                 characters=[Character("Mara"), Character("Ilse"), Character("Tomas"), Character("Jory")],
                 places=[Place("the lighthouse"), Place("the Salt Market")])


def test_embed_gives_unit_float32_rows_of_384() -> None:
    vectors = embed(["Mara has green eyes.", "The storm broke at midnight.", "Mara has green eyes."])
    assert vectors.shape == (3, DIMENSION) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(vectors[0], vectors[2])  # deterministic
    assert embed([]).shape == (0, DIMENSION)


def test_similarity_prefers_the_related_sentence() -> None:
    sims = similarity("The ship sank in the storm.", ["The boat went down in heavy weather.", "She baked bread."])
    assert sims[0] > sims[1] + 0.2


def _fact(subject: str, relation: str, value: str, scene: int, evidence: str = "") -> Fact:
    return Fact(subject, relation, value, f"s{scene}", scene, evidence, status="accepted")


@pytest.fixture()
def canon() -> Canon:
    return Canon([
        _fact("Mara", "eye_colour", "green", 1, "Mara's green eyes."),
        _fact("Tomas", "alive", "yes", 1, "Tomas laughed."),
        _fact("Tomas", "alive", "no", 4, "Tomas drowned in the storm."),
        _fact("Ilse", "location", "the Salt Market", 3, "Ilse walked into the Salt Market."),
        _fact("Jory", "occupation", "sailor", 2, "Jory, a sailor, mended the sails on his ship."),
        _fact("Jory", "hair_colour", "black", 2, "Jory's black hair."),
        _fact("Mara", "relation:sister", "Ilse", 1, "Mara, Ilse's sister."),
        _fact("Mara", "age", "30", 9, "Mara was thirty."),
    ], times={"s3": "the next morning"})


def test_present_characters_come_first_and_later_facts_never(canon: Canon, bible: Bible) -> None:
    got = retrieve(canon, bible, SceneQuery(order=5, characters=["Tomas", "Mara"]), k=8)
    assert {f.subject for f in got[:3]} == {"Tomas", "Mara"}
    assert all(f.scene_order <= 5 for f in got)  # Mara's age is stated in scene 9
    assert ("Tomas", "alive", "no") in [(f.subject, f.relation, f.value) for f in got]
    assert ("Tomas", "alive", "yes") not in [(f.subject, f.relation, f.value) for f in got]  # superseded
    earlier = retrieve(canon, bible, SceneQuery(order=2, characters=["Tomas"]), k=1)
    assert [(f.subject, f.value) for f in earlier] == [("Tomas", "yes")]  # alive before he drowns


def test_place_and_time_outrank_recency(canon: Canon, bible: Bible) -> None:
    at_market = retrieve(canon, bible, SceneQuery(order=5, place="Salt Market", time="The next morning"), k=1)
    assert [f.subject for f in at_market] == ["Ilse"]
    ranked = dict((f.relation + f.subject, s) for f, s in scored(canon, bible, SceneQuery(order=5, place="the Salt Market")))
    assert ranked["locationIlse"] > max(v for k, v in ranked.items() if k != "locationIlse") + 2


def test_meaning_decides_among_facts_about_no_one_present(canon: Canon, bible: Bible) -> None:
    query = SceneQuery(order=5, characters=[], text="A ship comes into harbour with torn sails and a tired crew.")
    got = retrieve(canon, bible, query, k=2)
    assert got[0].subject == "Jory" and got[0].relation == "occupation"
    without = retrieve(canon, bible, SceneQuery(order=5), k=8)
    assert len(without) == 6 and len(retrieve(canon, bible, query, k=3)) == 3  # 6 facts are true at order 5


def test_k_must_be_positive(canon: Canon, bible: Bible) -> None:
    with pytest.raises(FabulaError, match="k of at least 1"):
        retrieve(canon, bible, SceneQuery(order=1), k=0)


def test_a_present_character_named_by_alias_counts() -> None:
    bible = Bible("T", "p", characters=[Character("Mara Vell", aliases=["Mara"]), Character("Ilse")])
    canon = Canon([_fact("Ilse", "eye_colour", "blue", 1), _fact("Mara Vell", "eye_colour", "green", 1)])
    assert retrieve(canon, bible, SceneQuery(order=2, characters=["mara"]), k=1)[0].subject == "Mara Vell"


@pytest.mark.parametrize(("fact", "sentence"), [
    (_fact("Tomas", "alive", "no", 1), "Tomas is dead."),
    (_fact("Mara", "eye_colour", "green", 1), "Mara has green eyes."),
    (_fact("Mara", "hair_colour", "red", 1), "Mara has red hair."),
    (_fact("Mara", "age", "30", 1), "Mara is 30 years old."),
    (_fact("Ilse", "location", "kitchen", 1), "Ilse is in the kitchen."),
    (_fact("Ilse", "location", "Greywater Harbour", 1), "Ilse is at Greywater Harbour."),
    (_fact("Ilse", "location", "the lighthouse", 1), "Ilse is in the lighthouse."),
    (_fact("Jory", "occupation", "innkeeper", 1), "Jory is an innkeeper."),
    (_fact("Mara", "relation:sister", "Ilse", 1), "Mara is Ilse's sister."),
    (_fact("Mara", "name", "Ravena", 1), "Mara is also called Ravena."),
])
def test_fact_sentence(fact: Fact, sentence: str) -> None:
    assert fact_sentence(fact) == sentence
