"""The `en-verse` checker on real public-domain poems, hand-scanned, and on broken ones."""

from __future__ import annotations

import dataclasses
import json

import pytest

from fabula.forms import check_poem, get_form
from fabula.forms.english.lexicon import estimate_syllables, lookup, tokenize
from fabula.forms.english.verse import check, check_acrostic

# Shakespeare, Sonnet 18 (1609; spelling as in the Fabula corpus: "ow'st", "grow'st").
SONNET_18 = """\
Shall I compare thee to a summer's day?
Thou art more lovely and more temperate:
Rough winds do shake the darling buds of May,
And summer's lease hath all too short a date:
Sometime too hot the eye of heaven shines,
And often is his gold complexion dimm'd,
And every fair from fair sometime declines,
By chance, or nature's changing course untrimm'd:
But thy eternal summer shall not fade,
Nor lose possession of that fair thou ow'st,
Nor shall death brag thou wander'st in his shade,
When in eternal lines to time thou grow'st,
So long as men can breathe, or eyes can see,
So long lives this, and this gives life to thee."""

# Sonnet 116: three of its rhymes were rhymes in 1609 but not in the CMU (modern US) dictionary.
SONNET_116 = """\
Let me not to the marriage of true minds
Admit impediments. Love is not love
Which alters when it alteration finds,
Or bends with the remover to remove:
O, no! it is an ever-fixed mark,
That looks on tempests and is never shaken;
It is the star to every wandering bark,
Whose worth's unknown, although his height be taken.
Love's not Time's fool, though rosy lips and cheeks
Within his bending sickle's compass come;
Love alters not with his brief hours and weeks,
But bears it out even to the edge of doom.
  If this be error and upon me prov'd,
  I never writ, nor no man ever lov'd."""

# Edward Lear, A Book of Nonsense (1846).
LEAR = """\
There was an Old Man with a beard,
Who said, "It is just as I feared!—
Two Owls and a Hen,
Four Larks and a Wren,
Have all built their nests in my beard!\""""

# Written for this test; counted by hand: cold rain on the roof (5) / a spar-row waits in the
# eaves (7) / mor-ning comes slow-ly (5).
HAIKU = "Cold rain on the roof\na sparrow waits in the eaves\nmorning comes slowly"

# Edwin Arlington Robinson, "The House on the Hill" (1894).
HOUSE_ON_THE_HILL = """\
They are all gone away,
The House is shut and still,
There is nothing more to say.

Through broken walls and gray
The winds blow bleak and shrill:
They are all gone away.

Nor is there one to-day
To speak them good or ill:
There is nothing more to say.

Why is it then we stray
Around the sunken sill?
They are all gone away,

And our poor fancy-play
For them is wasted skill:
There is nothing more to say.

There is ruin and decay
In the House on the Hill:
They are all gone away,
There is nothing more to say."""

# John Milton, "When I consider how my light is spent" (1673), a Petrarchan sonnet.
MILTON = """\
When I consider how my light is spent,
Ere half my days, in this dark world and wide,
And that one Talent which is death to hide
Lodged with me useless, though my Soul more bent
To serve therewith my Maker, and present
My true account, lest he returning chide;
"Doth God exact day-labour, light denied?"
I fondly ask. But patience, to prevent
That murmur, soon replies, "God doth not need
Either man's work or his own gifts; who best
Bear his mild yoke, they serve him best. His state
Is Kingly. Thousands at his bidding speed
And post o'er Land and Ocean without rest:
They also serve who only stand and wait.\""""


def failing(report) -> dict[int, list[str]]:
    return {line.index: [v.rule for v in line.violations] for line in report.lines if line.violations}


# --- lexicon -----------------------------------------------------------------------------------


def test_lexicon_several_pronunciations_and_stresses():
    temperate = lookup("temperate")
    assert {r.syllables for r in temperate} == {2, 3}  # CMU: T EH1 M P R AH0 T, T EH1 M P ER0 AH0 T
    assert {r.stresses for r in temperate} == {"100", "10"}
    assert lookup("compare")[0].stresses == "01"
    assert lookup("day")[0].rhyme == "EY1"


def test_lexicon_contractions_and_elisions():
    assert [r.syllables for r in lookup("o'er")] == [1]
    assert [r.syllables for r in lookup("heav'n")] == [1]
    assert 1 in {r.syllables for r in lookup("heaven")}  # slurred reading, beside the CMU 2
    assert lookup("heaven")[0].syllables == 2
    assert [r.syllables for r in lookup("deserv'd")] == [2]  # de-serv'd, never de-ser-ved
    assert {r.syllables for r in lookup("dimm'd")} == {1}
    assert lookup("'tis")[0].syllables == 1
    assert lookup("'gainst")[0].syllables == 1
    assert lookup("th'")[0].syllables == 0
    assert {r.syllables for r in lookup("glazed")} == {1, 2}  # plain -ed may be sounded
    assert {r.syllables for r in lookup("need")} == {1}  # ... but only a suffix -ed
    assert lookup("owest")[0].syllables == 2 and lookup("owest")[0].rhyme == "OW1 IH0 S T"
    assert lookup("canst")[0].syllables == 1


def test_lexicon_unknown_words_are_estimated_and_marked():
    assert estimate_syllables("blorple") == 2
    assert estimate_syllables("stone") == 1
    assert estimate_syllables("beauteous") == 3
    reading = lookup("blorple")[0]
    assert reading.source == "estimated" and reading.phones is None and reading.stresses == "??"


def test_tokenize_keeps_apostrophes_and_hyphens():
    words = [w for w, _ in tokenize("'Tis th' expense o' the lovers' self-love, heav'n!")]
    assert words == ["'Tis", "th'", "expense", "o'", "the", "lovers", "self-love", "heav'n"]


# --- real poems --------------------------------------------------------------------------------


def test_sonnet_18_passes():
    report = check_poem(SONNET_18, "sonnet")
    assert report.form == "shakespearean sonnet"
    assert report.ok, report.render()
    assert [line.units for line in report.lines] == [10] * 14
    line2 = report.lines[1]
    assert line2.pattern == "0101010100"  # the -ate of tem-per-ate is promoted onto the beat
    assert any(n.startswith("temperate: read as 3 syllable(s)") for n in line2.notes)
    # "sometime" has two stresses in CMU (S AH1 M T AY2 M), so it may sit either way round
    assert report.lines[4].pattern == "0101010101"
    assert "heaven: read as 2 syllable(s) [HH EH1 V AH0 N] (also 1)" in report.lines[4].notes
    assert report.lines[0].rhyme == "A EY" and report.lines[2].rhyme == "A EY"
    # temperate / date is a weak rhyme on the promoted last syllable: accepted, and said so
    assert any("slant rhyme" in n for n in report.lines[3].notes)


def test_sonnet_116_fails_exactly_on_three_historical_rhymes():
    report = check_poem(SONNET_116, "shakespearean-sonnet")
    assert report.broken_rules() == ["rhyme"]
    # love/remove (lines 2, 4), come/doom (10, 12), prov'd/lov'd (13, 14)
    assert failing(report) == {3: ["rhyme"], 11: ["rhyme"], 13: ["rhyme"]}
    assert "'remove' (UW V) should rhyme (B) with 'love'" in report.lines[3].violations[0].message
    assert report.lines[5].units == 11 and "feminine ending" in report.lines[5].notes  # shak-en
    assert report.lines[4].units == 10  # ev-er-fix-ed: the -ed sounded


def test_lear_limerick_passes():
    report = check_poem(LEAR, "limerick")
    assert report.ok, report.render()
    assert [line.units for line in report.lines] == [8, 8, 5, 5, 8]
    assert report.lines[2].rhyme == "B EH N" and report.lines[3].rhyme == "B EH N"


def test_limerick_broken_rhyme_and_length():
    lines = LEAR.splitlines()
    lines[2] = "Two Owls and a Cow,"
    lines[3] = "Four Larks and a Wren that sang loudly again,"
    report = check_poem("\n".join(lines), "limerick")
    # the first line of a rhyme group sets the rhyme; the later line is blamed
    assert failing(report) == {3: ["syllables", "metre", "rhyme"]}
    assert report.lines[3].units == 11
    assert (
        "'again' (EH N/EY N) should rhyme (B) with 'Cow' (line 3, AW)"
        in report.lines[3].violations[2].message
    )
    assert "stresses, the form wants 2" in report.lines[3].violations[1].message


def test_haiku():
    report = check_poem(HAIKU, "haiku")
    assert report.ok and [line.units for line in report.lines] == [5, 7, 5]
    bad = check_poem(HAIKU.replace("a sparrow", "a small sparrow"), "haiku")
    assert failing(bad) == {1: ["syllables"]}
    assert bad.lines[1].units == 8 and bad.lines[1].expected_units == 7


def test_villanelle_the_house_on_the_hill():
    report = check_poem(HOUSE_ON_THE_HILL, "villanelle")
    assert report.ok, report.render()
    assert len(report.lines) == 19
    # "away" ends lines 1, 6, 12, 18: the same word, allowed because they are one refrain
    assert {report.lines[i].rhyme for i in (0, 5, 11, 17)} == {"A EY"}


def test_villanelle_broken_refrain_and_stanzas():
    lines = HOUSE_ON_THE_HILL.split("\n")
    i = lines.index("They are all gone away,", 13)  # the refrain closing stanza 4 (line 12)
    lines[i] = "They have all gone away,"
    report = check_poem("\n".join(lines), "villanelle")
    assert failing(report) == {11: ["refrain"]}
    merged = HOUSE_ON_THE_HILL.replace(
        "still,\nThere is nothing more to say.\n\n", "still,\nThere is nothing more to say.\n", 1
    )
    assert [v.rule for v in check_poem(merged, "villanelle").violations] == ["stanzas"]


def test_identical_rhyme_only_for_refrains():
    # a tercet whose rhyme repeats "away" outside any refrain
    lines = HOUSE_ON_THE_HILL.split("\n")
    lines[lines.index("Through broken walls and gray")] = "Through broken walls away"
    report = check_poem("\n".join(lines), "villanelle")
    assert failing(report) == {3: ["rhyme"]}
    assert "rhymes with itself" in report.lines[3].violations[0].message


def test_petrarchan_sonnet_milton():
    report = check_poem(MILTON, "petrarchan-sonnet")
    assert "rhyme scheme ABBAABBA CDECDE" in report.notes
    assert "rhyme" not in report.broken_rules()
    # the only failure: CMU stresses with-OUT, Milton WITH-out
    assert failing(report) == {12: ["metre"]}
    assert report.lines[12].violations[0].position == 8
    assert "initial trochaic inversion" in report.lines[9].notes  # EI-ther man's WORK
    assert report.lines[9].pattern == "1001010101"


def test_broken_sonnet_line_count_syllables_metre_rhyme():
    lines = SONNET_18.splitlines()
    lines[0] = "Shall I thee compare to a summer's day?"  # com-PARE on an off-beat
    lines[2] = "Rough winds do shake the buds of May,"  # 8 syllables
    lines[12] = "So long as men can breathe, or eyes can look,"  # see / thee broken
    report = check_poem("\n".join(lines[:-1] + [lines[-1]]), "sonnet")
    assert failing(report) == {0: ["metre"], 2: ["syllables"], 13: ["rhyme"]} or failing(report) == {
        0: ["metre"],
        2: ["syllables"],
        12: ["rhyme"],
    }
    assert report.lines[0].violations[0].position == 4
    assert report.lines[0].marks() == "    ^"
    assert report.lines[2].units == 8
    short = check_poem("\n".join(SONNET_18.splitlines()[:13]), "sonnet")
    assert [v.rule for v in short.violations] == ["lines"]
    assert short.violations[0].message == "13 lines, the form wants 14."


def test_quatrains_and_couplets_repeat():
    poem = "The cat sat on the mat\nThe dog lay in the sun\nAnd wore a silly hat\nUntil the day was done\n\none\ntwo\nthree\nfour"
    report = check_poem(poem, "quatrain-abab")
    assert failing(report) == {6: ["rhyme"], 7: ["rhyme"]}  # a, c / b, d of quatrain 2 do not rhyme
    assert check_poem("The cat sat on the mat\nThe dog lay in the sun", "couplet").broken_rules() == ["rhyme"]
    assert check_poem("The cat sat on the mat\nAnd wore a silly hat", "couplet").ok
    assert check_poem("one\ntwo\nsky\nblue", "ballad").ok  # ABCB: only two / blue must rhyme
    odd = check_poem("The cat sat on the mat\nAnd wore a silly hat\nAlone", "couplet")
    assert [v.rule for v in odd.violations] == ["lines"]


def test_free_verse():
    assert check_poem("anything at all\n\nin any shape", "free verse").ok
    assert [v.rule for v in check_poem("", "free").violations] == ["lines"]


def test_acrostic():
    poem = ["Hope is the thing", "", "'Ideas' matter"]
    assert check_acrostic(poem, "HI") == []
    bad = check_acrostic(poem, "HO")
    assert [v.rule for v in bad] == ["acrostic"] and "starts with 'I'" in bad[0].message
    assert "2 letters for 3 lines" in check_acrostic(["a", "b", "c"], "ab")[0].message
    form = get_form("haiku")
    with_heads = dataclasses.replace(form, params={**form.params, "heads": "CAM"})
    assert check(with_heads, HAIKU.splitlines()).ok
    with_heads = dataclasses.replace(form, params={**form.params, "heads": "CAT"})
    assert check(with_heads, HAIKU.splitlines()).broken_rules() == ["acrostic"]


def test_json_report():
    report = check_poem(SONNET_116, "sonnet")
    data = json.loads(json.dumps(report.to_dict()))
    assert data["ok"] is False and data["form"] == "shakespearean sonnet"
    assert len(data["lines"]) == 14
    line = data["lines"][3]
    assert line["ok"] is False and line["units"] == 10 and line["expected"] == "x/x/x/x/x/"
    assert line["violations"][0]["rule"] == "rhyme" and line["rhyme"] == "B UW V"
    assert data["lines"][0]["ok"] is True and data["lines"][0]["pattern"] == "0101010101"


@pytest.mark.parametrize(
    ("name", "form"),
    [
        ("sonnet", "shakespearean sonnet"),
        ("Shakespearean-Sonnet", "shakespearean sonnet"),
        ("ballad", "quatrain-abcb"),
    ],
)
def test_catalog_names(name, form):
    assert get_form(name).name == form and get_form(name).checker == "en-verse"


# Sonnet 126: twelve lines in couplets, no quatrains.
SONNET_126 = """\
O thou, my lovely boy, who in thy power
Dost hold Time's fickle glass, his fickle hour;
Who hast by waning grown, and therein show'st
Thy lovers withering, as thy sweet self grow'st.
If Nature, sovereign mistress over wrack,
As thou goest onwards, still will pluck thee back,
She keeps thee to this purpose, that her skill
May time disgrace and wretched minutes kill.
Yet fear her, O thou minion of her pleasure!
She may detain, but not still keep, her treasure:
  Her audit (though delayed) answered must be,
  And her quietus is to render thee."""


def test_sonnet_126_is_couplets_not_a_shakespearean_sonnet():
    assert check_poem(SONNET_126, "couplet").ok
    report = check_poem(SONNET_126, "sonnet")
    assert report.violations[0].message == "12 lines, the form wants 14."
    assert "rhyme" in report.broken_rules()
