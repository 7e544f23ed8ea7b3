"""Parsing and cleaning of the English sources, on tiny inputs in the real formats."""

from collections import Counter
from pathlib import Path

from fabula.data import austen, brown, fortunes, kjv, shakespeare
from fabula.data.text import resolve_overstrike, roman_to_int, tidy, unwrap_paragraphs


def test_text_helpers() -> None:
    assert tidy("a  \r\nb\n\n\n\n\nc\n\n") == "a\nb\n\nc\n"
    assert unwrap_paragraphs("one\ntwo\n\n\nthree\n") == "one two\n\nthree\n"
    assert resolve_overstrike("Tin'\bu viel _\bN") == "Tinú viel N"
    assert [roman_to_int(r) for r in ("I", "IV", "IX", "XIV", "CXXXIII", "CLIV")] == [1, 4, 9, 14, 133, 154]


def test_shakespeare_scenes_sonnets_poems(shakespeare_root: Path) -> None:
    stats: Counter[str] = Counter()
    docs = {d.id: d for d in shakespeare.documents(shakespeare_root, stats)}
    assert set(docs) == {
        "shakespeare/hamlet/1.1",
        "shakespeare/hamlet/1.2",
        "shakespeare/hamlet/2.1",
        "shakespeare/sonnets/001",
        "shakespeare/sonnets/002",
        "shakespeare/sonnets/003",
        "shakespeare/phoenix_and_the_turtle",
    }  # the First Folio copy is skipped
    first = docs["shakespeare/hamlet/1.1"]
    assert first.text.startswith("HAMLET, PRINCE OF DENMARK") and "PERSONS REPRESENTED" in first.text
    assert "Who's there?\n" in first.text and "\r" not in first.text and "\n\n\n" not in first.text
    assert docs["shakespeare/hamlet/2.1"].text.startswith("ACT II.\n\nSCENE 1.")
    assert first.meta == {
        "lang": "en",
        "source": "shakespeare",
        "style": "shakespeare",
        "author": "William Shakespeare",
        "form": "play",
        "title": "Hamlet, Prince of Denmark",
        "act": "1",
        "scene": "1",
    }
    # Scenes together are the whole play: nothing is lost at the cuts.
    play = "".join(docs[f"shakespeare/hamlet/{k}"].text for k in ("1.1", "1.2", "2.1"))
    assert (
        play.split() == tidy(shakespeare_root.joinpath("shksprdata/texts/hamlet_gut.txt").read_text()).split()
    )
    sonnet3 = docs["shakespeare/sonnets/003"]
    assert sonnet3.meta["form"] == "sonnet" and sonnet3.meta["title"] == "Sonnet 3"
    assert sonnet3.text.startswith("Look in thy glass")
    assert stats["sonnets numbered by position (printed numeral differs)"] == 1
    assert docs["shakespeare/phoenix_and_the_turtle"].meta["form"] == "poem"


def test_shakespeare_play_without_headings_is_one_document() -> None:
    assert shakespeare.split_scenes("A play\nwith no scenes\n") == [(0, 0, "A play\nwith no scenes\n")]


AUSTEN = """PRIDE AND PREJUDICE

By Jane Austen



VOLUME I

Chapter 1


It is a truth universally acknowledged, that a single man in possession
of a good fortune, must be in want of a wife.

"_You_ want to tell me,  and I have no objection to hearing it."


CHAPTER II

Mr. Bennet was among the earliest.



THE END

A NOTE ON THE TEXT
Not by Austen.
"""


def test_austen_chapters(tmp_path: Path) -> None:
    (tmp_path / "prideprejudice.txt").write_text(AUSTEN)
    for obj in austen.NOVELS:
        if obj != "prideprejudice":
            (tmp_path / f"{obj}.txt").write_text("")
    docs = list(austen.documents(tmp_path, Counter()))
    assert [d.id for d in docs] == ["austen/pride_and_prejudice/001", "austen/pride_and_prejudice/002"]
    assert docs[0].text == (
        "It is a truth universally acknowledged, that a single man in possession of a good "
        "fortune, must be in want of a wife.\n\n"
        '"You want to tell me, and I have no objection to hearing it."\n'
    )
    assert docs[1].text == "Mr. Bennet was among the earliest.\n"  # nothing after THE END
    assert docs[0].meta["style"] == "austen" and docs[0].meta["form"] == "novel"
    assert docs[0].meta["title"] == "Pride and Prejudice" and docs[1].meta["chapter"] == "2"


def test_brown_fiction_by_genre(brown_root: Path) -> None:
    stats: Counter[str] = Counter()
    docs = {d.id: d for d in brown.documents(brown_root, stats)}
    assert set(docs) == {"brown/cl01", "brown/cn01"} and stats["skipped files: non-fiction categories"] == 1
    adventure = docs["brown/cn01"]
    assert adventure.meta == {
        "lang": "en",
        "source": "brown",
        "genre": "adventure",
        "form": "prose",
        "title": "The Killer Marshal",
        "author": "Wayne D. Overholser",
    }
    assert adventure.text == (
        'Dan Morgan told himself he would forget Ann. He said, "Are you there?"\n\n'
        'She answered, "Yes." It was; and then--quietly--"\'Come\', he said."\n'
    )
    assert docs["brown/cl01"].text == "Chapter one\n\nThe body lay still (very still).\n"
    assert docs["brown/cl01"].meta["genre"] == "mystery"


def test_brown_detokenizer_rules() -> None:
    assert brown.detokenize(["``", "Hello", "''", "?", "?", "he", "asked", "."]) == '"Hello?" he asked.'
    assert brown.detokenize(["It", "is", ";", ";", "so", "."]) == "It is; so."
    assert brown.detokenize(["Jones'", "car", "$", "5", "."]) == "Jones' car $5."


BIBLE = """
Genesis 1

  1 In the beginning God created the heaven and the earth.
  2 And the earth was without form,
and void.

Genesis 2

  1 Thus the heavens and the earth were finished.

Matthew 1

  1 The book of the generation of Jesus Christ.
"""


def test_kjv_chapters(tmp_path: Path) -> None:
    (tmp_path / kjv.EXPORT_FILE).write_text(BIBLE)
    stats: Counter[str] = Counter()
    docs = list(kjv.documents(tmp_path, stats))
    assert [d.id for d in docs] == ["kjv/genesis/001", "kjv/genesis/002", "kjv/matthew/001"]
    assert docs[0].text == (
        "In the beginning God created the heaven and the earth.\nAnd the earth was without form, and void.\n"
    )
    assert docs[0].meta["title"] == "Genesis 1" and docs[0].meta["testament"] == "old"
    assert docs[2].meta["testament"] == "new" and stats["verses"] == 4


FORTUNES = """A bit of talcum
Is always walcum
\t\t-- Ogden Nash
%
A classic is something that everyone wants to have read
and nobody wants to read.
\t\t-- Mark Twain, "The Disappearance
\t\tof Literature"
%
Tin'\buviel the elven-fair,
\tImmortal maiden elven-wise,
%
"""


def test_fortunes_entries_and_attributions(tmp_path: Path) -> None:
    (tmp_path / "songs-poems").write_text(FORTUNES)
    (tmp_path / "literature").write_text('A horse!  A horse!\n\t\t-- Wm. Shakespeare, "Richard III"\n%\n')
    docs = list(fortunes.documents(tmp_path, Counter()))
    assert [d.id for d in docs] == [
        "fortunes/songs-poems/0000",
        "fortunes/songs-poems/0001",
        "fortunes/songs-poems/0002",
        "fortunes/literature/0000",
    ]
    assert docs[0].text == "A bit of talcum\nIs always walcum\n" and docs[0].meta["author"] == "Ogden Nash"
    assert (
        docs[1].meta["author"] == "Mark Twain" and docs[1].meta["title"] == "The Disappearance of Literature"
    )
    assert docs[2].text == "Tinúviel the elven-fair,\n        Immortal maiden elven-wise,\n"
    assert "author" not in docs[2].meta and docs[2].meta["form"] == "poem"
    assert docs[3].meta["form"] == "quotation" and docs[3].meta["title"] == "Richard III"
