"""Tokenizers trained on the corpora, with Fabula's special and control tokens.

Two kinds, both saved as `tokenizer.json` (+ `tokenizer_config.json`) that
`tokenizers.Tokenizer.from_file` and `transformers.AutoTokenizer` load:

- `bpe`: byte-level BPE (GPT-2 pre-tokenizer), for English. Any text encodes.
- `char`: one token per character, for Chinese poetry. The characters seen at
  least `min_frequency` times (most frequent first, up to `vocab_size`) get a
  token each; punctuation and the newline are characters like any other.
  Rarer characters either fall back to their UTF-8 bytes (`fallback="bytes"`:
  the vocabulary is byte-level BPE whose merges only ever build whole
  characters, so the tokenizer is lossless and llama.cpp's GPT-2 tokenizer
  reads it) or become `<unk>` (`fallback="unk"`: a WordLevel vocabulary).

The special tokens are `formatting.STRUCTURE_TOKENS` (BOS, EOS, PAD, FIM and
title markers), `<unk>` for the WordLevel kind, then the control tokens
collected from the corpora; each encodes as a single token.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from fabula.atomic import write_text_atomic
from fabula.errors import FabulaError
from fabula.train.config import TokenizerConfig
from fabula.house.prompt import BOS, EOS, PAD, STRUCTURE_TOKENS, TITLE_CLOSE, TITLE_OPEN, UNK

__all__ = [
    "control_tokens_of",
    "load_tokenizer",
    "missing_special_tokens",
    "save_tokenizer",
    "tokenizer_hash",
    "tokenizer_settings",
    "train_tokenizer",
]

TOKENIZER_FILE = "tokenizer.json"


def train_tokenizer(
    cfg: TokenizerConfig,
    texts: Iterable[str],
    controls: list[str],
    out: Path,
    model_max_length: int | None = None,
    settings: dict | None = None,
) -> Path:
    """Train a tokenizer of `cfg.kind` on `texts` and save it to the folder `out`.

    `settings` (default: `cfg`) is recorded beside it, so a run can tell whether it still fits.
    """
    specials = [
        *STRUCTURE_TOKENS,
        *([UNK] if cfg.kind == "char" and cfg.fallback == "unk" else []),
        *controls,
    ]
    if cfg.kind == "bpe":
        tok = _train_bpe(texts, cfg.vocab_size, cfg.min_frequency, specials)
    elif cfg.fallback == "bytes":
        tok = _train_char_bytes(texts, cfg.vocab_size, cfg.min_frequency, specials)
    else:
        tok = _train_char_unk(texts, cfg.vocab_size, cfg.min_frequency, specials)
    save_tokenizer(tok, controls, out, model_max_length, settings or cfg.model_dump(mode="json"))
    return out


def _train_bpe(texts: Iterable[str], vocab_size: int, min_frequency: int, specials: list[str]):  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    return tok


def _frequent_chars(texts: Iterable[str], min_frequency: int) -> list[str]:
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(text)
    return [c for c, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n >= min_frequency]


def _train_char_bytes(texts: Iterable[str], vocab_size: int, min_frequency: int, specials: list[str]):  # type: ignore[no-untyped-def]
    """Byte-level BPE whose merges spell whole characters: ab → (ab)c → char, one chain per character."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    spell = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    vocab: dict[str, int] = {}
    for token in [*specials, *sorted(pre_tokenizers.ByteLevel.alphabet())]:
        vocab.setdefault(token, len(vocab))
    merges: list[tuple[str, str]] = []
    for char in _frequent_chars(texts, min_frequency):
        symbols = spell.pre_tokenize_str(char)[0][0]  # the character's UTF-8 bytes as byte-level symbols
        new = [symbols[:k] for k in range(2, len(symbols) + 1) if symbols[:k] not in vocab]
        if len(vocab) + len(new) > vocab_size:
            continue
        for merged in new:
            merges.append((merged[:-1], merged[-1]))
            vocab[merged] = len(vocab)
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(specials)
    return tok


def _train_char_unk(texts: Iterable[str], vocab_size: int, min_frequency: int, specials: list[str]):  # type: ignore[no-untyped-def]
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers

    vocab = {token: i for i, token in enumerate(specials)}
    for char in _frequent_chars(texts, min_frequency)[: max(0, vocab_size - len(vocab))]:
        vocab.setdefault(char, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token=UNK))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")  # every character alone
    tok.decoder = decoders.Fuse()
    tok.add_special_tokens(specials)
    return tok


def save_tokenizer(  # type: ignore[no-untyped-def]
    tok, controls: list[str], out: Path, model_max_length: int | None = None, settings: dict | None = None
) -> None:
    """Save as tokenizer.json plus the transformers files (special tokens named) and fabula_tokenizer.json."""
    from transformers import PreTrainedTokenizerFast

    extra = [t for t in STRUCTURE_TOKENS if t not in (BOS, EOS, PAD)] + controls
    kwargs = {"unk_token": UNK} if tok.token_to_id(UNK) is not None else {}
    if model_max_length:
        kwargs["model_max_length"] = model_max_length
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=BOS,
        eos_token=EOS,
        pad_token=PAD,
        extra_special_tokens=extra,
        **kwargs,
    )
    out.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(str(out))
    write_text_atomic(
        out / "fabula_tokenizer.json",
        json.dumps({"controls": controls, "settings": settings or {}}, ensure_ascii=False, indent=1),
    )


def tokenizer_settings(folder: Path) -> dict | None:
    """The settings a tokenizer was trained with (None for tokenizers made elsewhere)."""
    path = Path(folder) / "fabula_tokenizer.json"
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8")).get("settings")


def missing_special_tokens(tok) -> list[str]:  # type: ignore[no-untyped-def]
    """Fabula's structure tokens (BOS, EOS, PAD, FIM, title) that `tok` lacks."""
    return [t for t in STRUCTURE_TOKENS if tok.token_to_id(t) is None]


def load_tokenizer(folder: Path):  # type: ignore[no-untyped-def]
    """The `tokenizers.Tokenizer` in `folder`."""
    from tokenizers import Tokenizer

    path = Path(folder) / TOKENIZER_FILE
    if not path.exists():
        raise FabulaError(f"No {TOKENIZER_FILE} in {folder}. Train one with `fabula train tokenizer CONFIG`.")
    return Tokenizer.from_file(str(path))


def control_tokens_of(folder: Path) -> list[str]:
    """The control tokens a tokenizer was trained with (empty for tokenizers made elsewhere)."""
    path = Path(folder) / "fabula_tokenizer.json"
    if path.exists():
        return list(json.loads(path.read_text(encoding="utf-8"))["controls"])
    tok = load_tokenizer(folder)
    return sorted(
        t
        for t in tok.get_vocab()
        if t.startswith("<") and "=" in t and t.endswith(">") and t not in (TITLE_OPEN, TITLE_CLOSE)
    )


def tokenizer_hash(folder: Path) -> str:
    return hashlib.sha256((Path(folder) / TOKENIZER_FILE).read_bytes()).hexdigest()
