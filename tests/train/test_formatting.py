"""Documents to training sequences: control tokens, titles, fill-in-the-middle."""

from fabula.data.corpus import Document
from fabula.house.prompt import FIM_MIDDLE, FIM_PREFIX, FIM_SUFFIX, control_token, fim_prompt, prompt_header
from fabula.train.formatting import Formatter, collect_control_tokens, render, split_pieces

POEM = Document(
    "p1",
    "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。",
    {"lang": "zh", "form": "五言绝句", "title": "静夜思", "author": "李白"},
)
STORY = Document(
    "s1",
    "".join(f"Line {i} of the story, where the fog rolls in.\n" for i in range(40)),
    {"lang": "en", "genre": "mystery", "style": "gothic", "source": "brown"},
)


def test_plain_document_is_bos_controls_newline_text_eos() -> None:
    fmt = Formatter(control_keys=("source", "genre", "style"))
    [seq] = fmt.sequences(STORY)
    assert render(seq) == "<|bos|><source=brown><genre=mystery><style=gothic>\n" + STORY.text + "<|eos|>"
    assert render(seq).startswith(prompt_header(STORY.meta, ("source", "genre", "style")))


def test_unknown_control_values_are_left_out_and_values_are_cleaned() -> None:
    fmt = Formatter(control_keys=("source", "genre"), known_controls=frozenset({"<genre=mystery>"}))
    assert render(fmt.sequences(STORY)[0]).startswith("<|bos|><genre=mystery>\n")
    assert control_token("genre", "science fiction") == "<genre=science_fiction>"


def test_chinese_form_and_title() -> None:
    fmt = Formatter(control_keys=("form", "tune"), title_rate=1.0)
    [seq] = fmt.sequences(POEM)
    assert render(seq) == f"<|bos|><form=五言绝句><title>静夜思</title>\n{POEM.text}<|eos|>"
    assert (
        prompt_header(POEM.meta, ("form",), title="静夜思") == "<|bos|><form=五言绝句><title>静夜思</title>\n"
    )


def test_control_vocabulary_keeps_values_seen_often_enough_in_key_order() -> None:
    docs = [STORY, STORY, POEM, Document("x", "t", {"genre": "romance", "form": "五言绝句"})]
    assert collect_control_tokens(docs, ["genre", "form"], min_count=2) == [
        "<genre=mystery>",
        "<form=五言绝句>",
    ]
    assert collect_control_tokens(docs, ["form", "genre"]) == [
        "<form=五言绝句>",
        "<genre=mystery>",
        "<genre=romance>",
    ]


def test_pieces_cut_at_line_ends_and_join_back() -> None:
    pieces = split_pieces(STORY.text, 200)
    assert "".join(pieces) == STORY.text
    assert all(len(p) <= 200 and p.endswith("\n") for p in pieces)
    no_breaks = "x" * 450
    assert [len(p) for p in split_pieces(no_breaks, 200)] == [200, 200, 50]


def _unfim(text: str) -> str:
    """Undo PSM: prefix + middle + suffix."""
    body = text.split("\n", 1)[1].removesuffix("<|eos|>")
    prefix, rest = body.removeprefix(FIM_PREFIX).split(FIM_SUFFIX)
    suffix, middle = rest.split(FIM_MIDDLE)
    return prefix + middle + suffix


def test_fim_rewrites_pieces_in_psm_order_and_loses_no_text() -> None:
    fmt = Formatter(control_keys=("genre",), fim_rate=0.5, fim_piece_chars=200, seed=3)
    sequences = [render(s) for s in fmt.sequences(STORY)]
    fim = [s for s in sequences if FIM_PREFIX in s]
    assert 0 < len(fim) < len(sequences)
    assert all(s.startswith("<|bos|><genre=mystery>\n") and s.endswith("<|eos|>") for s in sequences)
    rebuilt = "".join(
        _unfim(s) if FIM_PREFIX in s else s.split("\n", 1)[1].removesuffix("<|eos|>") for s in sequences
    )
    assert rebuilt == STORY.text
    assert all(s.index(FIM_PREFIX) < s.index(FIM_SUFFIX) < s.index(FIM_MIDDLE) for s in fim)


def test_fim_is_seeded_per_document_and_rate_one_rewrites_everything() -> None:
    fmt = Formatter(fim_rate=0.5, fim_piece_chars=200, seed=3)
    assert [render(s) for s in fmt.sequences(STORY)] == [render(s) for s in fmt.sequences(STORY)]
    other_seed = Formatter(fim_rate=0.5, fim_piece_chars=200, seed=4)
    assert [render(s) for s in other_seed.sequences(STORY)] != [render(s) for s in fmt.sequences(STORY)]
    everything = Formatter(fim_rate=1.0, fim_piece_chars=200).sequences(STORY)
    assert all(FIM_MIDDLE in render(s) for s in everything)
    assert len(everything) == len(split_pieces(STORY.text, 200))


def test_control_dropout_leaves_out_each_control_token_independently() -> None:
    fmt = Formatter(control_keys=("genre", "style"), control_dropout=0.5)
    docs = [Document(f"d{i}", "text", {"genre": "mystery", "style": "gothic"}) for i in range(400)]
    headers = [render(fmt.sequences(d)[0]).removesuffix("\ntext<|eos|>") for d in docs]
    counts = {h: headers.count(h) for h in set(headers)}
    assert set(counts) == {
        "<|bos|>",
        "<|bos|><genre=mystery>",
        "<|bos|><style=gothic>",
        "<|bos|><genre=mystery><style=gothic>",
    }
    assert all(60 < n < 140 for n in counts.values())


def test_fim_prompt_is_the_training_format_up_to_the_middle() -> None:
    assert (
        fim_prompt("<|bos|>\n", "It was ", " night.")
        == "<|bos|>\n<fim_prefix>It was <fim_suffix> night.<fim_middle>"
    )
