"""Tokenizers: English byte-level BPE and the Chinese one-token-per-character vocabularies."""

from pathlib import Path

import pytest
from tokenizers import Tokenizer
from transformers import AutoTokenizer

from fabula.train.config import TokenizerConfig
from fabula.train.dataset import encode_sequences
from fabula.house.prompt import STRUCTURE_TOKENS
from fabula.train.formatting import Part
from fabula.train.tokenizer import control_tokens_of, train_tokenizer

from .conftest import CI, POEMS, SENTENCES

EN_CONTROLS = ["<genre=mystery>", "<style=shakespeare>"]
ZH_CONTROLS = ["<form=七言绝句>", "<form=五言绝句>", "<tune=如梦令>"]
ZH_TEXTS = [p[3] for p in POEMS] + [CI[2]]


@pytest.fixture(scope="module")
def bpe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bpe")
    return train_tokenizer(TokenizerConfig(kind="bpe", vocab_size=512), SENTENCES * 5, EN_CONTROLS, out)


def test_bpe_round_trips_any_text_with_single_control_tokens(bpe: Path) -> None:
    tok = Tokenizer.from_file(str(bpe / "tokenizer.json"))
    text = "<|bos|><genre=mystery>\nThe inspector counted — twice! — ünïcode 月 and\ttabs.<|eos|>"
    enc = tok.encode(text)
    assert tok.decode(enc.ids, skip_special_tokens=False) == text
    assert enc.tokens[:3] == ["<|bos|>", "<genre=mystery>", "Ċ"]
    assert [tok.token_to_id(t) for t in STRUCTURE_TOKENS[:3]] == [0, 1, 2]
    assert tok.get_vocab_size() <= 512
    assert control_tokens_of(bpe) == EN_CONTROLS


def test_bpe_loads_with_transformers_and_names_its_special_tokens(bpe: Path) -> None:
    hf = AutoTokenizer.from_pretrained(str(bpe))
    assert (hf.bos_token, hf.eos_token, hf.pad_token) == ("<|bos|>", "<|eos|>", "<|pad|>")
    ids = hf.encode("<style=shakespeare><fim_prefix>The lamps", add_special_tokens=False)
    assert hf.convert_ids_to_tokens(ids[:2]) == ["<style=shakespeare>", "<fim_prefix>"]
    assert hf.decode(ids) == "<style=shakespeare><fim_prefix>The lamps"
    assert "<style=shakespeare>" in hf.all_special_tokens


def test_text_that_spells_a_special_token_stays_text(bpe: Path) -> None:
    tok = Tokenizer.from_file(str(bpe / "tokenizer.json"))
    [ids] = encode_sequences(tok, [[Part("<|bos|>", True), Part("a <title> b"), Part("<|eos|>", True)]])
    assert ids[0] == 0 and ids[-1] == 1
    assert tok.token_to_id("<title>") not in ids
    assert tok.decode(ids[1:-1]) == "a <title> b"


@pytest.mark.parametrize("fallback", ["bytes", "unk"])
def test_chinese_tokenizer_gives_one_token_per_character(tmp_path: Path, fallback: str) -> None:
    cfg = TokenizerConfig(kind="char", vocab_size=2000, min_frequency=1, fallback=fallback)
    train_tokenizer(cfg, ZH_TEXTS, ZH_CONTROLS, tmp_path)
    tok = Tokenizer.from_file(str(tmp_path / "tokenizer.json"))
    line = "<|bos|><form=七言绝句><tune=如梦令>\n朝辞白帝彩云间，千里江陵一日还。\n知否？<|eos|>"
    enc = tok.encode(line)
    body = line.removeprefix("<|bos|><form=七言绝句><tune=如梦令>").removesuffix("<|eos|>")
    assert enc.tokens[1:3] == ["<form=七言绝句>", "<tune=如梦令>"]
    assert (
        len(enc.ids) == 3 + len(body) + 1
    )  # every character, punctuation and newline included, is one token
    assert tok.decode(enc.ids, skip_special_tokens=False) == line
    hf = AutoTokenizer.from_pretrained(str(tmp_path))
    assert hf.decode(hf.encode(line, add_special_tokens=False)) == line


def test_chinese_frequency_cutoff_spells_rare_characters_in_bytes_or_unk(tmp_path: Path) -> None:
    texts = ZH_TEXTS + ["龘"]  # seen once: below min_frequency 2
    for fallback in ("bytes", "unk"):
        folder = tmp_path / fallback
        train_tokenizer(TokenizerConfig(kind="char", min_frequency=2, fallback=fallback), texts, [], folder)
        tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        assert len(tok.encode("明").ids) == 1
        rare = tok.encode("明龘").ids
        if fallback == "bytes":
            assert len(rare) > 2 and tok.decode(rare) == "明龘"  # 龘 is spelt in its UTF-8 bytes
        else:
            assert tok.id_to_token(rare[1]) == "<unk>"
        vocab = tok.get_vocab()
        assert "月" in vocab or any(tok.decode([i]) == "月" for i in vocab.values())


def test_chinese_vocabulary_is_capped(tmp_path: Path) -> None:
    train_tokenizer(
        TokenizerConfig(kind="char", vocab_size=300, min_frequency=1, fallback="bytes"),
        ZH_TEXTS,
        [],
        tmp_path,
    )
    assert Tokenizer.from_file(str(tmp_path / "tokenizer.json")).get_vocab_size() <= 300
