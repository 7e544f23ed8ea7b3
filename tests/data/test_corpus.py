import json

import pytest

from fabula.data.corpus import Document, corpus_dir, read_split, split_of, write_corpus
from fabula.errors import FabulaError


def test_split_is_deterministic_and_roughly_90_5_5() -> None:
    splits = [split_of(f"doc-{i}") for i in range(4000)]
    assert splits == [split_of(f"doc-{i}") for i in range(4000)]
    share = {s: splits.count(s) / len(splits) for s in ("train", "validation", "test")}
    assert 0.87 < share["train"] < 0.93 and 0.03 < share["test"] < 0.07


def test_write_corpus_dedupes_and_never_splits_a_document() -> None:
    docs = [Document(f"d{i}", f"Line one of {i}.\nLine two of {i}.\n", {"lang": "en"}) for i in range(200)]
    docs.append(Document("copy", "line ONE of 3.   line two of 3.", {}))  # same text as d3, other spacing/case
    card = write_corpus("unit", docs, {"source": "test", "licence": "n/a"})
    assert sum(c["documents"] for c in card["splits"].values()) == 200
    seen = {}
    for split in ("train", "validation", "test"):
        for doc in read_split("unit", split):
            assert doc.id not in seen
            seen[doc.id] = split
            assert doc.text.count("\n") == 2  # whole documents, not lines
    assert all(seen[d] == split_of(d) for d in seen)
    assert json.loads((corpus_dir("unit") / "card.json").read_text())["licence"] == "n/a"


def test_unprepared_corpus_says_what_to_run() -> None:
    with pytest.raises(FabulaError, match="fabula data prepare nothing"):
        list(read_split("nothing", "train"))


@pytest.mark.corpora
def test_real_shakespeare_corpus() -> None:
    from fabula.data import shakespeare

    card = shakespeare.prepare()
    assert sum(c["documents"] for c in card["splits"].values()) >= 37
    titles = {d.meta["title"] for split in ("train", "validation", "test") for d in read_split("shakespeare", split)}
    assert "hamlet" in titles and "sonnets" in titles
