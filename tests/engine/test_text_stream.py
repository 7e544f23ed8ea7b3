from pathlib import Path

from fabula.engine.text_stream import TextStream
from fabula.modeling.tokenizer import HFTokenizer


def feed(stream: TextStream, ids: list[int]) -> tuple[list[str], bool]:
    pieces, hit = [], False
    for tid in ids:
        text, hit = stream.push(tid)
        pieces.append(text)
        if hit:
            break
    return pieces, hit


def test_multibyte_characters_are_released_whole(tiny_checkpoint: Path) -> None:
    tok = HFTokenizer(tiny_checkpoint)
    text = "café 春江花月 naïve"
    ids = tok.encode(text)
    assert len(ids) > len(text) // 2  # unseen characters split into byte tokens
    stream = TextStream(tok)
    pieces, _ = feed(stream, ids)
    out = "".join(pieces) + stream.flush()
    assert out == text
    assert all("\ufffd" not in p for p in pieces)


def test_stop_string_across_tokens_is_cut_and_never_leaked(tiny_checkpoint: Path) -> None:
    tok = HFTokenizer(tiny_checkpoint)
    ids = tok.encode("The sea was calm. THE END and more")
    stream = TextStream(tok, stop=("THE END",))
    pieces, hit = feed(stream, ids)
    assert hit
    assert "".join(pieces) == "The sea was calm. "
    assert all("THE" not in p for p in pieces)


def test_prefix_of_stop_string_is_held_then_released(tiny_checkpoint: Path) -> None:
    tok = HFTokenizer(tiny_checkpoint)
    stream = TextStream(tok, stop=("\n\n",))
    pieces, hit = feed(stream, tok.encode("one\ntwo"))
    assert not hit
    assert "".join(pieces) + stream.flush() == "one\ntwo"
