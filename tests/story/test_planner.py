"""The planner on real models: the tiny random checkpoint (structure, locks, determinism), Fabula's
own server for the chat path's retries, the JSON parser on model-style answers, and house:en."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from fabula.backends import Backend, resolve
from fabula.errors import FabulaError
from fabula.story.bible import Bible, Character, Place
from fabula.story.plan import PlanError, StoryPlan, accept_prose, stale_items, text_hash
from fabula.story.planner import PlanJSONError, extract_json, make_plan, parse_chapters, parse_scenes
from fabula.story.structures import all_structures, get_structure

BIBLE = Bible(
    title="The Lamp",
    premise="A lighthouse keeper's daughter finds a letter saying her drowned father is alive.",
    genre="mystery", tone="quiet", setting="the fishing town of Vell",
    characters=[Character("Mara", "protagonist", ["stubborn"], ["find her father"]),
                Character("Tomas", "mentor", ["old"]), Character("Ines", "villain")],
    places=[Place("the lighthouse", "a white tower on the rocks"), Place("the harbour")],
)
ENDS = re.compile(r"([.!?]['\"\u201d\u2019)]*|\u2026)$")


def one_sentence(text: str) -> bool:
    """Ends like a sentence, with no sentence end before that and no line break."""
    body = ENDS.sub("", text)
    return bool(ENDS.search(text)) and not re.search(r"[.!?\n]", body)


@pytest.fixture(scope="module")
def tiny(local: Backend) -> Backend:
    """The tiny random checkpoint (tests/conftest.py), decoded in this process."""
    return local


def assert_complete(plan: StoryPlan, bible: Bible, chapters: int, scenes: int) -> None:
    """Every level filled, ids positional, bases set, who/where/when taken from the bible."""
    shape = get_structure(plan.structure)
    assert [c.id for c in plan.chapters] == [f"c{i + 1}" for i in range(chapters)]
    expected = [f"c{i + 1}s{j + 1}" for i in range(chapters) for j in range(scenes)]
    assert [s.id for s in plan.scenes()] == expected
    for c in plan.chapters:
        assert c.title and c.beat in [b.name for b in shape.beats]
        assert c.basis == text_hash(bible.premise) and one_sentence(c.summary), c.summary
        for s in c.scenes:
            assert one_sentence(s.beat) and s.summary == "", s.beat
            assert s.basis == text_hash(c.summary)
            assert set(s.characters) <= set(bible.cast())
            assert s.place in [p.name for p in bible.places] + [bible.setting or None]
    assert [s.time for s in plan.scenes()] == [f"day {k + 1}" for k in range(chapters * scenes)]
    assert stale_items(plan, bible) == []


@pytest.mark.parametrize("structure", sorted(all_structures()))
def test_a_random_model_still_gives_a_complete_plan(tiny: Backend, structure: str) -> None:
    plan = make_plan(tiny, BIBLE, structure, chapters=3, scenes_per_chapter=2, seed=3)
    assert_complete(plan, BIBLE, 3, 2)


def test_sentences_start_from_the_filled_stems(tiny: Backend) -> None:
    plan = make_plan(tiny, BIBLE, "kishotenketsu", chapters=2, scenes_per_chapter=2, seed=0)
    intro, ending = plan.chapters
    # a story opens and ends on its own first and last beats
    assert (intro.beat, ending.beat) == ("Introduction", "Reconciliation")
    assert intro.summary.startswith("In the fishing town of Vell, Mara")
    assert ending.summary.startswith("In the end, Mara understands that")
    # scenes cover the beats in between with those beats' own stems (nobody plays the ally: a stand-in)...
    assert plan.scene("c1s2").beat.startswith("Day after day, Mara and a friend")
    assert plan.scene("c2s1").beat.startswith("Then, far away,")
    # ...and a beat already told goes on with the generic scene stems, the places in turn
    first, last = plan.scene("c1s1"), plan.scene("c2s2")
    assert first.beat.startswith("In the lighthouse, Mara") and first.place == "the lighthouse"
    assert last.beat.startswith("In the harbour, Mara") and last.place == "the harbour"
    assert all(s.characters[:1] == ["Mara"] for s in plan.scenes())  # named in the sentence


def test_a_character_without_a_role_plays_the_missing_ally(tiny: Backend) -> None:
    bible = Bible(title="The Lamp", premise=BIBLE.premise,
                  characters=[Character("Mara", "protagonist"), Character("Pell")])
    plan = make_plan(tiny, bible, "kishotenketsu", chapters=2, scenes_per_chapter=2, seed=0)
    assert plan.scene("c1s2").beat.startswith("Day after day, Mara and Pell")
    assert plan.scene("c1s2").characters == ["Mara", "Pell"]


def test_the_same_seed_gives_the_same_plan_and_another_seed_another(tiny: Backend) -> None:
    first, again, other = (make_plan(tiny, BIBLE, chapters=2, scenes_per_chapter=2, seed=s)
                           for s in (5, 5, 6))
    assert first.to_dict() == again.to_dict()
    assert [c.summary for c in first.chapters] != [c.summary for c in other.chapters]


def test_regenerating_keeps_what_is_locked_and_remakes_the_rest(tiny: Backend) -> None:
    first = make_plan(tiny, BIBLE, chapters=3, scenes_per_chapter=2, seed=1)
    first.lock("c2", scenes=True)
    first.lock("c3s1")
    before = first.to_dict()
    second = make_plan(tiny, BIBLE, chapters=3, scenes_per_chapter=2, seed=2, keep=first)
    assert first.to_dict() == before  # the caller's plan is not touched
    assert second.chapter("c2") == first.chapter("c2")
    assert second.scene("c3s1") == first.scene("c3s1")
    for sid in ("c1s1", "c1s2", "c3s2"):
        assert second.scene(sid).beat != first.scene(sid).beat
    assert second.chapter("c1").summary != first.chapter("c1").summary
    # the locked scene was made from chapter 3's old summary: it is kept, and reported (locked)
    stale = stale_items(second, BIBLE)
    assert [(s.id, s.what, s.locked) for s in stale] == [("c3s1", "scene", True)]


def test_a_locked_chapter_gets_new_scenes_when_they_are_not_locked(tiny: Backend) -> None:
    first = make_plan(tiny, BIBLE, chapters=2, scenes_per_chapter=2, seed=1)
    first.lock("c1")
    second = make_plan(tiny, BIBLE, chapters=2, scenes_per_chapter=2, seed=9, keep=first)
    assert second.chapter("c1").summary == first.chapter("c1").summary
    assert second.scene("c1s1").beat != first.scene("c1s1").beat
    assert stale_items(second, BIBLE) == []


def test_a_remade_scene_with_accepted_prose_reports_the_prose_stale(tiny: Backend) -> None:
    first = make_plan(tiny, BIBLE, chapters=2, scenes_per_chapter=1, seed=1)
    prose = "Mara read the letter twice. Then she put it in the stove."
    accept_prose(first, "c2s1", prose)
    second = make_plan(tiny, BIBLE, chapters=2, scenes_per_chapter=1, seed=2, keep=first)
    assert second.scene("c2s1").summary == first.scene("c2s1").summary
    assert [(s.id, s.what) for s in stale_items(second, BIBLE, {"c2s1": prose})] == [("c2s1", "prose")]


def test_locked_items_outside_the_new_shape_are_refused(tiny: Backend) -> None:
    plan = make_plan(tiny, BIBLE, chapters=3, scenes_per_chapter=2, seed=1)
    plan.lock("c3")
    with pytest.raises(PlanError, match="Chapter c3 is locked but the new plan has 2 chapters"):
        make_plan(tiny, BIBLE, chapters=2, keep=plan)
    plan.unlock("c3")
    plan.lock("c3s1")
    with pytest.raises(PlanError, match="Scene c3s1 is locked but the new plan has 2 chapters"):
        make_plan(tiny, BIBLE, chapters=2, keep=plan)
    plan.unlock("c3s1")
    plan.lock("c1s2")
    with pytest.raises(PlanError, match="Scene c1s2 is locked but chapters now have 1 scenes"):
        make_plan(tiny, BIBLE, chapters=3, scenes_per_chapter=1, keep=plan)


def test_bad_counts_and_structures_are_refused(tiny: Backend) -> None:
    with pytest.raises(PlanError, match="between 1 and 100 chapters"):
        make_plan(tiny, BIBLE, chapters=0)
    with pytest.raises(PlanError, match="between 1 and 30 scenes"):
        make_plan(tiny, BIBLE, scenes_per_chapter=40)
    with pytest.raises(FabulaError, match="No story structure called 'snowflake'"):
        make_plan(tiny, BIBLE, "snowflake")


def test_a_bible_without_cast_or_places_uses_stand_ins(tiny: Backend) -> None:
    bare = Bible(title="Fog", premise="Someone walks into the fog and does not come back.")
    plan = make_plan(tiny, bare, "heros-journey", chapters=2, scenes_per_chapter=1, seed=4)
    assert_complete(plan, bare, 2, 1)
    assert plan.chapters[0].summary.startswith("At the start, the hero lives in their world, where")
    assert all(s.characters == [] and s.place is None for s in plan.scenes())


def test_chapters_default_to_one_per_beat(tiny: Backend) -> None:
    plan = make_plan(tiny, BIBLE, "kishotenketsu", scenes_per_chapter=1, seed=0)
    assert [c.beat for c in plan.chapters] == ["Introduction", "Development", "Twist", "Reconciliation"]
    assert [c.title for c in plan.chapters] == ["Introduction", "Development", "Twist", "Reconciliation"]


# -- the chat path, against Fabula's own server ---------------------------------------------------


@pytest.fixture(scope="module")
def roomy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Backend]]:
    """The server over a tiny random model with room for a planning prompt (1024 tokens)."""
    from fabula.house.tiny import build_tiny_checkpoint
    from fabula.server import create_app, serve_in_background

    checkpoint = build_tiny_checkpoint(tmp_path_factory.mktemp("roomy") / "tiny", seed=0, context=1024)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FABULA_RUNTIME", "lean")  # the exact torch runtime, as tests/conftest.py's servers use
        local = resolve(f"hf:{checkpoint}")
        local.load()
    with serve_in_background(create_app(local)) as url:
        yield url, local


def test_chat_answers_that_are_not_json_are_retried_then_explained(roomy_server: tuple[str, Backend]) -> None:
    url, local = roomy_server
    remote = resolve(f"openai:{local.spec}@{url}")
    small = Bible(title="Fog", premise="A girl walks into the fog.",
                  characters=[Character("Ada", "protagonist")])
    with pytest.raises(PlanJSONError, match=r"gave no usable JSON outline in 2 tries \(last problem: .*\)\. "
                       "Try another seed") as err:
        make_plan(remote, small, "kishotenketsu", chapters=2, scenes_per_chapter=1, tries=2, seed=0)
    answers = err.value.answers
    assert len(answers) == 2 and answers[0] != answers[1]  # the retry is a new prompt and a new seed


def test_a_plain_model_behind_a_server_plans_through_stop_strings(roomy_server: tuple[str, Backend]) -> None:
    url, local = roomy_server
    remote = resolve(f"openai-completions:{local.spec}@{url}")  # a base model: no constraints, plain path
    plan = make_plan(remote, BIBLE, "freytag", chapters=2, scenes_per_chapter=1, seed=2)
    assert_complete(plan, BIBLE, 2, 1)


# -- the JSON parser on answers shaped like real models' ------------------------------------------

FENCED = """Sure! Here is the outline you asked for:

```json
{
  "chapters": [
    {"title": "The Letter", "summary": "Mara finds a letter in her father's coat."},
    {"title": "The Keeper", "summary": "Tomas admits he has kept the secret for years."},
  ]
}
```
Let me know if you want more detail."""


def test_the_parser_takes_json_out_of_fences_and_chatter() -> None:
    assert parse_chapters(FENCED, 2) == [("The Letter", "Mara finds a letter in her father's coat."),
                                         ("The Keeper", "Tomas admits he has kept the secret for years.")]
    bare = ('[{"beat": "Mara opens the letter {at last}.", "characters": ["Mara"], '
            '"place": null, "time": "dawn"}]')
    assert parse_scenes(bare, 1) == [{"beat": "Mara opens the letter {at last}.", "characters": ["Mara"],
                                      "place": None, "time": "dawn"}]


@pytest.mark.parametrize(("answer", "problem"), [
    ("I cannot help with that.", "contains no JSON object"),
    ('{"chapters": [{"title": "The Letter", "summary": "Mara finds', "cut off"),
    ('{"chapters": [{"title": "A", "summary": "B"}]}', "has 1 chapters, not 2"),
    ('{"chapters": [{"title": "A"}, {"title": "C", "summary": "D"}]}',
     r"chapters\.0\.summary: field required"),
    ('{"chapters": [{"title": 1, "summary": "B"}, {"title": "C", "summary": "D"}]}', "chapters.0.title"),
    ("{'chapters': []}", "JSON is invalid"),
])
def test_the_parser_names_what_is_wrong(answer: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_chapters(answer, 2)


def test_extract_json_respects_brackets_inside_strings_and_skips_brackets_in_chatter() -> None:
    assert extract_json('Answer: {"a": "x } y", "b": ["]"]} trailing') == {"a": "x } y", "b": ["]"]}
    assert extract_json('Here [as asked] is the plan: {"a": [1, 2]}') == {"a": [1, 2]}


# -- the shipped English model ---------------------------------------------------------------------


@pytest.mark.slow
def test_house_en_plans_sentences_that_name_the_cast() -> None:
    house = resolve("house:en")
    plan = make_plan(house, BIBLE, "three-act", chapters=3, scenes_per_chapter=2, seed=1)
    assert_complete(plan, BIBLE, 3, 2)
    for c in plan.chapters:
        assert any(name in c.summary for name in BIBLE.cast())
        assert 6 <= len(c.summary.split()) <= 60
    again = make_plan(house, BIBLE, "three-act", chapters=3, scenes_per_chapter=2, seed=1)
    assert plan.to_dict() == again.to_dict()
