"""The plan model: JSON round trip, edits, locks, and staleness found by hashes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fabula.story.bible import Bible, Character, Place
from fabula.story.plan import (
    Chapter,
    PlanError,
    Scene,
    StoryPlan,
    accept_prose,
    lead_summary,
    load_plan,
    rebuild_from_prose,
    save_plan,
    stale_items,
    text_hash,
)

PROSE = (
    "Mara climbed the lighthouse stairs with the letter in her fist. At the top, Tomas was trimming the wick "
    "and did not turn round. \"You read it,\" he said. She had; she read it again by the lamp."
)


def bible(premise: str = "A keeper's daughter learns that her drowned father is alive.") -> Bible:
    return Bible(title="The Lamp", premise=premise,
                 characters=[Character("Mara", "protagonist"),
                             Character("Tomas", "mentor", aliases=["the keeper"])],
                 places=[Place("the lighthouse"), Place("the harbour")])


def planned(b: Bible) -> StoryPlan:
    """A plan as the planner leaves it: every item's basis set, summaries agreeing with their scenes."""
    chapters = []
    for i, (summary, beats) in enumerate([
        ("Mara finds a letter in her father's coat.",
         ["Mara mends nets at the harbour.", "The letter falls out."]),
        ("Mara asks Tomas what he knows.", ["Tomas lies to her.", "She follows him to the lighthouse."]),
    ]):
        c = Chapter(f"c{i + 1}", f"Part {i + 1}", summary, "Setup", basis=text_hash(b.premise))
        c.scenes = [Scene(f"c{i + 1}s{j + 1}", beat, ["Mara"], "the harbour", f"day {j + 1}",
                          basis=text_hash(summary)) for j, beat in enumerate(beats)]
        c.agree_with_scenes()
        chapters.append(c)
    return StoryPlan("three-act", chapters)


def ids(stale: list) -> list[tuple[str, str]]:
    return [(s.id, s.what) for s in stale]


def test_a_fresh_plan_has_nothing_stale() -> None:
    b = bible()
    assert stale_items(planned(b), b) == []


def test_json_round_trip_keeps_everything(tmp_path: Path) -> None:
    plan = planned(bible())
    plan.lock("c1s2")
    accept_prose(plan, "c2s1", PROSE)
    again = StoryPlan.from_json(plan.to_json())
    assert again == plan and again.to_dict() == plan.to_dict()
    assert json.loads(plan.to_json())["version"] == 1
    save_plan(plan, tmp_path / "plan.json")
    assert load_plan(tmp_path / "plan.json") == plan
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]  # no temporary file left behind


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.update(version=9), "format version 9"),
    (lambda d: d.update(colour="red"), "Unknown plan field.*colour"),
    (lambda d: d["chapters"][0].update(mood="grim"), "Unknown chapter field.*mood"),
    (lambda d: d["chapters"][0]["scenes"][0].pop("beat"), "Bad scene c1s1.*needs id and beat"),
    (lambda d: d["chapters"][1]["scenes"][0].update(id="c1s1"), "repeats an id \\(c1s1\\)"),
    (lambda d: d.pop("structure"), "needs `structure`"),
])
def test_bad_plan_data_is_refused_with_what_to_do(change, message: str) -> None:
    data = planned(bible()).to_dict()
    change(data)
    with pytest.raises(PlanError, match=message):
        StoryPlan.from_dict(data)


def test_unreadable_plan_files_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="No plan file .*missing.json"):
        load_plan(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(PlanError, match="bad.json: The plan is not valid JSON"):
        load_plan(tmp_path / "bad.json")


def test_lookups_in_story_order_and_unknown_ids_list_the_known() -> None:
    plan = planned(bible())
    assert [s.id for s in plan.scenes()] == ["c1s1", "c1s2", "c2s1", "c2s2"]
    assert plan.scene("c2s1").beat == "Tomas lies to her."
    assert plan.chapter_of("c2s2").id == "c2"
    with pytest.raises(PlanError, match="No scene 'c9s1'.*c1s1, c1s2, c2s1, c2s2"):
        plan.scene("c9s1")
    with pytest.raises(PlanError, match="No chapter 'c3'.*c1, c2"):
        plan.chapter("c3")


def test_editing_a_chapter_makes_only_its_scenes_stale() -> None:
    b = bible()
    plan = planned(b)
    plan.set_chapter("c1", summary="Mara burns the letter unread.")
    assert ids(stale_items(plan, b)) == [("c1s1", "scene"), ("c1s2", "scene")]
    assert "chapter's summary changed" in stale_items(plan, b)[0].reason
    plan.set_chapter("c2", title="The Lie")  # a new title is not a new summary
    assert len(stale_items(plan, b)) == 2


def test_a_summary_revised_to_fit_its_scenes_leaves_them_fresh() -> None:
    b = bible()
    plan = planned(b)
    plan.set_chapter("c2", summary="Tomas lies, and Mara follows him.", scenes_agree=True)
    assert stale_items(plan, b) == []


def test_a_new_premise_makes_every_chapter_stale_locked_ones_marked() -> None:
    b = bible()
    plan = planned(b)
    plan.lock("c2")
    stale = stale_items(plan, bible("A lighthouse keeper hides a smuggler."))
    assert [(s.id, s.locked) for s in stale] == [("c1", False), ("c2", True)]
    assert all("premise changed" in s.reason for s in stale)


def test_editing_a_beat_after_drafting_makes_the_prose_stale_not_the_chapter() -> None:
    b = bible()
    plan = planned(b)
    accept_prose(plan, "c1s1", PROSE)
    plan.set_scene("c1s1", beat="Mara finds the nets cut.")
    stale = stale_items(plan, b, {"c1s1": PROSE})
    assert ids(stale) == [("c1s1", "prose")] and "redraft" in stale[0].reason


def test_edited_prose_rebuilds_the_beat_and_flags_the_chapter_above() -> None:
    b = bible()
    plan = planned(b)
    accept_prose(plan, "c2s2", PROSE)
    assert plan.scene("c2s2").summary == lead_summary(PROSE)
    edited = PROSE.replace("Tomas was trimming the wick", "Tomas stood waiting with a lantern")
    assert ids(stale_items(plan, b, {"c2s2": edited})) == [("c2s2", "summary")]

    scene = rebuild_from_prose(plan, "c2s2", edited)
    assert scene.beat == ("Mara climbed the lighthouse stairs with the letter in her fist. "
                          "At the top, Tomas stood waiting with a lantern and did not turn round.")
    stale = stale_items(plan, b, {"c2s2": edited})
    assert ids(stale) == [("c2", "chapter")] and "c2s2" in stale[0].reason
    plan.set_chapter("c2", summary="Mara climbs to Tomas, who waits with a lantern.", scenes_agree=True)
    assert stale_items(plan, b, {"c2s2": edited}) == []


def test_rebuild_takes_any_summarizer() -> None:
    plan = planned(bible())
    scene = rebuild_from_prose(plan, "c1s1", PROSE, summarize=lambda text: text.split(".")[0] + ".")
    assert scene.beat == scene.summary == "Mara climbed the lighthouse stairs with the letter in her fist."
    with pytest.raises(PlanError, match="prose is empty"):
        rebuild_from_prose(plan, "c1s1", "  ")


def test_characters_and_places_gone_from_the_bible_are_reported() -> None:
    plan = planned(bible())
    plan.set_scene("c1s2", characters=["Mara", "the keeper", "Ines"], place="the mill")
    stale = stale_items(plan, bible())
    assert ids(stale) == [("c1s2", "scene"), ("c1s2", "scene")]
    assert "Ines no longer in the bible" in stale[0].reason  # an alias ("the keeper") still counts
    assert "place 'the mill'" in stale[1].reason


def test_locks_on_chapters_and_scenes() -> None:
    plan = planned(bible())
    plan.lock("c1", scenes=True)
    assert plan.chapter("c1").locked and all(s.locked for s in plan.chapter("c1").scenes)
    plan.unlock("c1s2")
    assert [s.locked for s in plan.scenes()] == [True, False, False, False]
    with pytest.raises(PlanError, match="No scene 'c1s9'"):
        plan.lock("c1s9")


def test_edits_refuse_empty_text() -> None:
    plan = planned(bible())
    with pytest.raises(PlanError, match="Chapter c1's summary cannot be empty"):
        plan.set_chapter("c1", summary="   ")
    with pytest.raises(PlanError, match="Scene c1s1's beat cannot be empty"):
        plan.set_scene("c1s1", beat="")


def test_hashes_ignore_rewrapping_but_not_words() -> None:
    assert text_hash("Mara  finds\na letter.") == text_hash("Mara finds a letter.")
    assert text_hash("Mara finds a letter.") != text_hash("Mara finds the letter.")
    assert len(text_hash("x")) == 12


def test_lead_summary_keeps_whole_sentences() -> None:
    assert lead_summary(PROSE, 1) == "Mara climbed the lighthouse stairs with the letter in her fist."
    dialogue = '"You read it," he said. She had. Then?'
    assert lead_summary(dialogue, 3) == dialogue
