"""Screenplay statistics, counted on the fixtures by hand."""

from __future__ import annotations

import json

from fabula.screenplay import Screenplay, parse
from fabula.screenplay.layout import paginate
from fabula.screenplay.stats import stats


def test_the_ferry_counts(ferry: Screenplay) -> None:
    s = stats(ferry)
    assert s.pages == paginate(ferry).count == 4 and s.minutes == 4
    assert s.scenes == 6 and s.speaking_parts == 4
    assert [(c.name, c.speeches, c.scenes) for c in s.characters] == [
        ("MARA", 14, 6),
        ("OTIS", 12, 5),
        ("VOSS", 8, 4),
        ("GRETA", 1, 1),
    ]
    assert s.int_ext == {"INT": 2, "EXT": 3, "none": 1}  # .THE OLD JETTY has no INT/EXT
    assert s.times == {"NIGHT": 4, "CONTINUOUS": 1} and s.day_night == {"DAY": 0, "NIGHT": 4}
    assert s.share(s.int_ext, "EXT") == 0.5


def test_words_and_printed_lines_per_character() -> None:
    sp = parse(
        "INT. A - DAY\n\nRosa's *tea* goes cold.\n\nROSA (V.O.)\n(low)\nWell-made tea, isn't it? [[cut?]]\n\n"
        "EXT. B - NIGHT\n\nBEN\n" + "word " * 40 + "\n\nROSA\nYes.\n"
    )
    s = stats(sp)
    (rosa,) = [c for c in s.characters if c.name == "ROSA"]
    (ben,) = [c for c in s.characters if c.name == "BEN"]
    assert (rosa.speeches, rosa.words, rosa.lines, rosa.scenes) == (2, 5, 2, 2)
    assert (ben.speeches, ben.words, ben.lines) == (1, 40, 6)  # 40 five-character words wrap at 35 columns
    assert s.action_words == 4 and s.dialogue_words == 45
    assert s.times == {"DAY": 1, "NIGHT": 1} and s.share(s.day_night, "DAY") == 0.5


def test_text_and_json(ferry: Screenplay) -> None:
    s = stats(ferry)
    text = s.render()
    assert text.splitlines()[0] == "THE LAST FERRY"
    assert "pages          4 (about 4 minutes)" in text and "MARA" in text.splitlines()[-4]
    d = json.loads(json.dumps(s.to_dict()))
    assert d["pages"] == 4 and d["speaking_parts"] == 4 and d["characters"][0]["name"] == "MARA"
    assert d["int_ext_share"]["EXT"] == 0.5 and d["day_night_share"] == {"DAY": 0.0, "NIGHT": 1.0}


def test_an_empty_screenplay_has_no_pages() -> None:
    s = stats(Screenplay())
    assert (s.pages, s.scenes, s.speaking_parts) == (0, 0, 0) and "pages          0" in s.render()
