"""Which canon facts a scene needs: by who is there, where and when, then by meaning.

`retrieve` ranks the facts true at the scene's story order (`Canon.state_at`: nothing from later in
the story, no superseded versions) by

    score = WHO x (about a character present, or tying two present characters)
          + PLACE x (about the scene's place, or someone being there)
          + TIME x (stated in a scene with the same story-time label)
          + RECENCY x 1 / (1 + scenes since it was stated)
          + MEANING x cosine(scene text, the fact's sentence and evidence)   [MiniLM embeddings]

so facts about the people and the place come first, time and recency order them next, and meaning
decides among the rest (and among equals). `fact_sentence` renders a fact as the short sentence a
prompt carries (`SceneBrief.memory`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fabula.errors import FabulaError
from fabula.story.bible import Bible
from fabula.story.canon import Canon, Fact, place_phrase

__all__ = ["WEIGHTS", "SceneQuery", "fact_sentence", "retrieve", "scored"]

WEIGHTS = {"who": 4.0, "place": 3.0, "time": 1.0, "recency": 1.0, "meaning": 1.0}


@dataclass
class SceneQuery:
    """The scene facts are wanted for."""

    order: int  # its place in story order
    characters: list[str] = field(default_factory=list)
    place: str | None = None
    time: str | None = None  # a story-time label, compared with the canon's scene times
    text: str = ""  # the beat or the scene so far, for semantic recall


def retrieve(canon: Canon, bible: Bible, scene: SceneQuery, k: int = 8) -> list[Fact]:
    """The `k` facts most worth telling the model before writing `scene`, most important first."""
    if k < 1:
        raise FabulaError(f"retrieve() needs k of at least 1 (got {k}): it is how many facts the prompt can carry.")
    return [f for f, _ in scored(canon, bible, scene)[:k]]


def scored(canon: Canon, bible: Bible, scene: SceneQuery) -> list[tuple[Fact, float]]:
    """Every candidate fact with its score, best first (ties keep the canon's order)."""
    facts = [f for f in canon.state_at(scene.order).values() if not _trivial(f)]
    if not facts:
        return []
    present = {_cast_name(bible, name) for name in scene.characters if name.strip()}
    place = _norm(scene.place or "")
    meaning = _meaning(scene.text, facts)
    time = _norm(scene.time or "")
    out = []
    for k, f in enumerate(facts):
        who = (f.subject in present) + 0.5 * (f.value in present and f.relation.startswith("relation:"))
        at = bool(place) and (_norm(f.subject) == place or (f.relation == "location" and _norm(f.value) == place))
        same_time = bool(time) and _norm(canon.times.get(f.scene_id, "")) == time
        recency = 1.0 / (1.0 + max(0, scene.order - f.scene_order))
        score = (WEIGHTS["who"] * who + WEIGHTS["place"] * at + WEIGHTS["time"] * same_time
                 + WEIGHTS["recency"] * recency + WEIGHTS["meaning"] * float(meaning[k]))
        out.append((k, f, score))
    out.sort(key=lambda r: (-r[2], r[0]))
    return [(f, s) for _, f, s in out]


def _meaning(text: str, facts: list[Fact]) -> list[float]:
    if not text.strip():
        return [0.0] * len(facts)
    from fabula.story.embeddings import similarity

    return [float(x) for x in similarity(text, [f"{fact_sentence(f)} {f.evidence}".strip() for f in facts])]


def _trivial(f: Fact) -> bool:
    """A character's own bible name tells the model nothing the cast line does not."""
    return f.relation == "name" and f.value == f.subject


def _cast_name(bible: Bible, name: str) -> str:
    try:
        return bible.character(name).name
    except FabulaError:
        return name.strip()


def _norm(text: str) -> str:
    return re.sub(r"^(the|a|an)\s+", "", " ".join(text.lower().split()))


def fact_sentence(fact: Fact) -> str:
    """The fact as a short sentence: 'Mara has green eyes.', 'Tomas is dead.'."""
    s, v, r = fact.subject, fact.value, fact.relation
    if r == "alive":
        return f"{s} is {'alive' if v == 'yes' else 'dead'}."
    if r == "eye_colour":
        return f"{s} has {v} eyes."
    if r == "hair_colour":
        return f"{s} has {v} hair."
    if r == "age":
        return f"{s} is {v} years old."
    if r == "location":
        phrase = place_phrase(v)
        return f"{s} is {'in ' + phrase if phrase[:1].islower() else 'at ' + phrase}."
    if r == "occupation":
        return f"{s} is {'an' if v[:1] in 'aeiou' else 'a'} {v}."
    if r == "name":
        return f"{s} is also called {v}."
    if r.startswith("relation:"):
        return f"{s} is {v}'s {r.removeprefix('relation:')}."
    return f"{s}: {r} {v}."
