"""Storage, dedup and the split by document."""

import json

import pytest

from fabula.data.card import rough_tokens
from fabula.data.corpus import Document, corpus_dir, read_split, write_corpus
from fabula.data.split import SPLITS, normalise, split_of
from fabula.errors import FabulaError


def test_split_is_deterministic_and_roughly_90_5_5() -> None:
    splits = [split_of(f"doc-{i}") for i in range(4000)]
    assert splits == [split_of(f"doc-{i}") for i in range(4000)]
    share = {s: splits.count(s) / len(splits) for s in SPLITS}
    assert 0.87 < share["train"] < 0.93 and 0.03 < share["test"] < 0.07 and 0.03 < share["validation"] < 0.07


def test_normalised_duplicates_compare_equal() -> None:
    assert normalise("Line ONE of 3.\n  line two!") == normalise("line one of 3 line two")
    assert normalise("白日依山尽，黄河入海流。") == normalise("白日依山尽 黄河入海流")


def test_write_corpus_dedupes_and_never_splits_a_document() -> None:
    docs = [Document(f"d{i}", f"Line one of {i}.\nLine two of {i}.\n", {"lang": "en"}) for i in range(200)]
    docs.append(
        Document("copy", "line ONE of 3.   line two of 3.", {})
    )  # same text as d3, other spacing/case
    docs.append(Document("blank", "  \n", {}))
    card = write_corpus("unit", docs, {"source": "test", "licence": "n/a"})
    assert card["splits"]["total"]["documents"] == 200
    assert card["stats"] == {"dropped: duplicate": 1, "dropped: empty": 1}
    seen: dict[str, str] = {}
    for split in SPLITS:
        for doc in read_split("unit", split):
            assert doc.id not in seen  # disjoint
            seen[doc.id] = split
            assert doc.text.count("\n") == 2  # whole documents, not lines
    assert len(seen) == 200 and all(seen[d] == split_of(d) for d in seen)
    saved = json.loads((corpus_dir("unit") / "card.json").read_text())
    assert (
        saved["licence"] == "n/a"
        and saved["labels"]["lang"]["train"]["en"] == card["splits"]["train"]["documents"]
    )
    assert "| total | 200 |" in (corpus_dir("unit") / "card.md").read_text()


def test_group_is_the_split_key() -> None:
    docs = [Document(f"g{i}", f"text {i}", {}, group="same-poem") for i in range(30)]
    write_corpus("grouped", docs, {})
    where = {s for s in SPLITS if any(True for _ in read_split("grouped", s))}
    assert where == {split_of("same-poem")}


def test_card_counts_match_the_files() -> None:
    docs = [
        Document(f"d{i}", f"Word{i}, and more words! 白日{i}\n", {"genre": "mystery" if i % 2 else "romance"})
        for i in range(50)
    ]
    card = write_corpus("counted", docs, {})
    for split in SPLITS:
        rows = list(read_split("counted", split))
        assert card["splits"][split]["documents"] == len(rows)
        assert card["splits"][split]["characters"] == sum(len(d.text) for d in rows)
        assert card["splits"][split]["tokens"] == sum(rough_tokens(d.text) for d in rows)
    assert sum(sum(v.values()) for v in card["labels"]["genre"].values()) == 50


def test_rough_tokens() -> None:
    assert rough_tokens("Don't stop, o'er the hill!") == 7  # Don't | stop | , | o'er | the | hill | !
    assert rough_tokens("白日依山尽，") == 6


def test_two_different_documents_with_one_id_are_a_bug() -> None:
    with pytest.raises(FabulaError, match="two different documents"):
        write_corpus("bad", [Document("x", "one"), Document("x", "two")], {})


def test_unprepared_corpus_says_what_to_run() -> None:
    with pytest.raises(FabulaError, match="fabula data prepare nothing"):
        list(read_split("nothing", "train"))
