"""A logline becomes a screenplay on the tiny random model (and, marked slow, on house:en).

The tiny model writes noise, so these tests check what Fabula guarantees whatever the model says:
a bible with voiced characters and locations, at least three scenes with valid headings, every cue
a bible character in upper case, output that Fabula and two independent Fountain readers read as
the same elements, a round trip through Fountain, and a PDF with the paginator's page count."""

from __future__ import annotations

from pathlib import Path

import pytest

from fabula.backends import Backend, resolve
from fabula.errors import FabulaError
from fabula.screenplay import (
    Character,
    Dialogue,
    Parenthetical,
    SceneHeading,
    Screenplay,
    Transition,
    parse,
    write,
)
from fabula.screenplay.bible import bible_from_logline, logline_names, mentioned_places, place_setting
from fabula.screenplay.catalog import catalogue
from fabula.screenplay.fdx import from_fdx, to_fdx
from fabula.screenplay.generate import GeneratedScreenplay, assemble, draft_screenplay
from fabula.screenplay.layout import paginate
from fabula.screenplay.pdf import pdf_bytes
from fabula.screenplay.plan import day_or_night, heading_for, plan_shape
from fabula.screenplay.scene import clean, speeches
from fabula.story.bible import Bible, Place
from fabula.story.plan import Scene

from .test_independent_parsers import _fountain_py, _ours, _screenplain

LOGLINE = "A lighthouse keeper named Mara finds a letter from her brother, who drowned ten years ago."
HEADING = r"^(INT|EXT)\. [A-Z0-9' -]+ - (DAY|NIGHT)$"


@pytest.fixture(scope="module")
def tiny(tiny_checkpoint: Path) -> Backend:
    backend = resolve(f"hf:{tiny_checkpoint}")
    backend.load()
    return backend


@pytest.fixture(scope="module")
def made(tiny: Backend) -> GeneratedScreenplay:
    return draft_screenplay(tiny, LOGLINE, scenes=4, seed=3, draft_date="2026-12-03", words=20, turns=3)


def _check_screenplay(made: GeneratedScreenplay) -> None:
    sp, bible = made.screenplay, made.bible
    headings = sp.scenes()
    assert len(headings) == len(made.plan.scenes()) >= 3
    for h, s in zip(headings, made.plan.scenes(), strict=True):
        assert h.text == heading_for(s, bible).text
        assert h.int_ext in ("INT", "EXT") and h.time in ("DAY", "NIGHT")
    cues = {e.name for e in sp if isinstance(e, Character)}
    assert cues and cues <= {c.name.upper() for c in bible.characters}
    assert all(isinstance(e, SceneHeading) for e, before in zip(sp.elements[1:], sp.elements) if isinstance(before, Transition))
    assert [type(e) for e in sp.elements[-1:]] == [Transition]


def test_a_logline_becomes_a_bible_with_voices_and_locations(made: GeneratedScreenplay) -> None:
    bible = made.bible
    assert bible.premise == LOGLINE and bible.title.strip()
    assert bible.cast()[0] == "Mara"  # the logline's own name comes first
    assert len(bible.cast()) == 3 and len(set(bible.cast())) == 3
    assert [c.role for c in bible.characters] == ["protagonist", "antagonist", "ally"]
    assert all(c.voice in catalogue().voices for c in bible.characters)
    assert len({c.voice for c in bible.characters}) == 3  # each character their own voice
    assert len(bible.places) == 3 and all(p.name in {loc.name for loc in catalogue().locations} for p in bible.places)


def test_the_screenplay_has_scenes_headings_and_known_cues(made: GeneratedScreenplay) -> None:
    import re

    _check_screenplay(made)
    assert all(re.fullmatch(HEADING, h.text) for h in made.screenplay.scenes())
    assert made.screenplay.title_page.get("title") == (made.bible.title,)
    assert [k for k, _ in made.screenplay.title_page.entries] == ["Title", "Credit", "Author", "Draft date"]


def test_every_planned_scene_has_two_speakers_and_its_cues_are_among_them(made: GeneratedScreenplay) -> None:
    cast = set(made.bible.cast())
    for scene in made.plan.scenes():
        assert len(set(scene.characters) & cast) >= 2, scene
        cues = {e.name for e in made.scenes[scene.id].elements if isinstance(e, Character)}
        assert cues <= {n.upper() for n in scene.characters}


def test_independent_parsers_read_the_same_elements(made: GeneratedScreenplay) -> None:
    sp = made.screenplay
    text = write(sp)
    assert _fountain_py(text) == _ours(sp)
    assert _screenplain(text) == _ours(sp, notes=False, lyrics=False, cue_extensions=True, merge=False)


def test_fountain_and_final_draft_round_trips_and_pdf_pages(made: GeneratedScreenplay) -> None:
    pdfium = pytest.importorskip("pypdfium2")
    sp = made.screenplay
    again = parse(write(sp))
    assert again == sp and write(again) == write(sp)
    assert from_fdx(to_fdx(sp)) == sp  # and through Final Draft
    doc = pdfium.PdfDocument(pdf_bytes(sp))
    try:
        assert len(doc) == paginate(sp).count + 1  # the title page first
    finally:
        doc.close()


def test_the_same_seed_writes_the_same_screenplay(tiny: Backend, made: GeneratedScreenplay) -> None:
    again = draft_screenplay(tiny, LOGLINE, scenes=4, seed=3, draft_date="2026-12-03", words=20, turns=3)
    assert write(again.screenplay) == write(made.screenplay)
    other = draft_screenplay(tiny, LOGLINE, scenes=3, seed=4, draft_date="2026-12-03", words=20, turns=3)
    assert write(other.screenplay) != write(made.screenplay)


def test_assemble_puts_transitions_between_scenes_and_at_the_end(made: GeneratedScreenplay) -> None:
    texts = {sid: t.fountain() for sid, t in made.scenes.items()}
    sp = assemble(made.bible, made.plan, texts, draft_date="2026-12-03", seed=3)
    assert sp == made.screenplay
    transitions = [e.text for e in sp if isinstance(e, Transition)]
    assert transitions[-1] == "FADE OUT." and len(transitions) == len(made.plan.scenes())
    first = made.plan.scenes()[0].id
    assert assemble(made.bible, made.plan, {first: texts[first]}).scenes() == sp.scenes()[:1]


# -- the pieces, on their own -------------------------------------------------------------------


def test_logline_names_skip_titles_places_and_the_first_word() -> None:
    assert logline_names("A keeper named Mara meets Captain Ivo in Paris.") == ["Mara", "Ivo"]
    assert logline_names("Mara and Tom sail to Lisbon; Tom drowns.") == ["Tom"]


def test_places_the_logline_names_come_first_longest_name_first() -> None:
    assert mentioned_places("A lighthouse keeper finds a letter from her drowned brother.") == ["the lighthouse"]
    assert mentioned_places("Thieves meet at the police station, then hide in the woods.") == [
        "the police station", "the woods"]
    assert mentioned_places("A barman sails to Lisbon.") == []  # whole words only


def test_headings_from_places_and_times() -> None:
    bible = Bible("T", "A premise.", places=[Place("the old pier", ""), Place("the attic", "inside"),
                                             Place("the clinic", "a field hospital outside town")])
    assert place_setting(bible.places[0]) == "EXT"  # "pier" is an exterior word
    assert place_setting(bible.places[1]) == "INT"
    assert place_setting(bible.places[2]) == "EXT"
    assert place_setting(Place("the harbour")) == "EXT" and place_setting(Place("the car")) == "INT"
    assert day_or_night("night 2") == "NIGHT" and day_or_night("day 3") == "DAY" and day_or_night(None) == "DAY"
    scene = Scene("c1s1", "She waits.", place="the attic", time="late evening")
    assert heading_for(scene, bible).text == "INT. ATTIC - NIGHT"
    assert heading_for(Scene("c1s2", "x", place="the old pier"), bible).text == "EXT. OLD PIER - DAY"


def test_plan_shape_never_gives_fewer_scenes_than_asked() -> None:
    assert plan_shape(6, 9) == (6, 1)
    assert plan_shape(20, 9) == (9, 3)
    with pytest.raises(FabulaError, match="1 to 60 scenes"):
        plan_shape(0, 9)


def test_model_text_is_cleaned_of_fountain_markup() -> None:
    assert clean("  *She* [[runs]] /* away */ _fast_\n\n  > now ") == "She runs away fast now"
    assert speeches([("Mara", "(quietly) Go home."), ("Ivo", " ** "), ("Ivo", "(sighs)")]) == [
        Character("MARA"), Parenthetical("(quietly)"), Dialogue("Go home.")]


def test_bad_input_is_refused_with_what_to_do(tiny: Backend) -> None:
    with pytest.raises(FabulaError, match="logline of at least a few words"):
        bible_from_logline(tiny, "Mara")
    with pytest.raises(FabulaError, match="1 to 6 characters"):
        bible_from_logline(tiny, LOGLINE, characters=9)


@pytest.mark.slow
def test_house_model_writes_a_screenplay_the_parsers_accept() -> None:
    backend = resolve("house:en")
    made = draft_screenplay(backend, LOGLINE, scenes=6, seed=0, draft_date="2026-12-03")
    _check_screenplay(made)
    sp: Screenplay = made.screenplay
    assert _fountain_py(write(sp)) == _ours(sp)
    assert parse(write(sp)) == sp


# -- other backends -------------------------------------------------------------------------------

CHAT_ANSWER = """Here is the plan:

```json
{"title": "Salt Letters", "characters": [
  {"name": "Mara", "role": "protagonist", "voice": "dry, in short sentences"},
  {"name": "Tomas  Reed", "role": "antagonist", "voice": "warm until crossed"}],
 "places": [{"name": "the lamp room", "setting": "INT"}, {"name": "the garden", "setting": "INT"},
            {"name": "the cliff path", "setting": "EXT"}],}
```"""


def test_a_chat_models_json_answer_becomes_the_bible() -> None:
    from fabula.screenplay.bible import parse_bible_answer

    bible = parse_bible_answer(CHAT_ANSWER, LOGLINE, characters=3, places=2)
    assert bible.title == "Salt Letters" and bible.cast() == ["Mara", "Tomas Reed"]
    assert bible.character("Mara").voice == "dry, in short sentences"
    assert [place_setting(p) for p in bible.places] == ["INT", "INT"]  # the answer's setting wins over "garden"
    with pytest.raises(ValueError, match="shape"):
        parse_bible_answer('{"title": "X", "characters": "Mara"}', LOGLINE, 3, 3)


@pytest.mark.slow  # about 6 s: every prompt is sized by the server's tokenize endpoint
def test_a_plain_model_behind_a_server_writes_a_screenplay(server_url: str, local: Backend) -> None:
    """openai-completions: no constraints and no tokenizer, so picks are seeded draws and the
    speakers take turns; the guarantees hold all the same."""
    remote = resolve(f"openai-completions:{local.spec}@{server_url}")
    made = draft_screenplay(remote, LOGLINE, scenes=3, seed=1, draft_date="2026-12-03", words=12, turns=2)
    _check_screenplay(made)
    assert parse(write(made.screenplay)) == made.screenplay


def test_act_transitions_fall_at_a_quarter_and_three_quarters_when_the_acts_are_unknown() -> None:
    from fabula.screenplay.plan import act_breaks, transition_after
    from fabula.story.plan import Chapter, StoryPlan

    plan = StoryPlan("three-act", [Chapter(f"c{i}", "t", "s", "b", [Scene(f"c{i}s1", "x")]) for i in range(1, 9)])
    assert act_breaks(plan) == {"c3", "c7"}
    after = [transition_after(plan, s.id, seed=0).text for s in plan.scenes()]
    assert after[-1] == "FADE OUT."
    assert [k for k, t in enumerate(after) if t != "CUT TO:"] == [1, 5, 7]  # before c3, before c7, the end
    assert set(after[1:2] + after[5:6]) <= set(catalogue().transitions_between("acts"))


def test_act_transitions_follow_the_beat_sheets_acts() -> None:
    from fabula.screenplay.plan import act_breaks, transition_after
    from fabula.story.plan import Chapter, StoryPlan

    beats = ["Setup", "Inciting incident", "Rising action", "Midpoint", "Climax", "Resolution"]  # I I II II III III
    plan = StoryPlan("three-act", [Chapter(f"c{i}", "t", "s", b, [Scene(f"c{i}s1", "x")])
                                   for i, b in enumerate(beats, start=1)])
    assert act_breaks(plan) == {"c3", "c5"}
    after = [transition_after(plan, s.id, seed=0).text for s in plan.scenes()]
    assert [k for k, t in enumerate(after) if t != "CUT TO:"] == [1, 3, 5]


def test_house_models_write_dialogue_as_a_play_and_get_their_controls_back() -> None:
    from fabula.screenplay.scene import _as_play

    house = resolve("house:en")  # the header needs the tokenizer only, not the weights
    before = house.header
    with _as_play(house):
        assert "<form=play>" in house.header
    assert house.header == before and "<form=play>" not in before
