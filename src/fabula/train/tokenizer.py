"""Byte-level BPE tokenizers with control tokens, trained on prepared corpora."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

BOS, EOS = "<|bos|>", "<|eos|>"
CONTROL_KEYS = ("source", "genre", "style", "form")


def control_tokens(meta: dict[str, str]) -> list[str]:
    """Conditioning tokens for a document, e.g. <style=shakespeare> <form=play>."""
    return [f"<{k}={meta[k]}>" for k in CONTROL_KEYS if meta.get(k)]


def format_document(text: str, meta: dict[str, str]) -> str:
    return BOS + "".join(control_tokens(meta)) + "\n" + text + EOS


def train_tokenizer(texts: Iterable[str], specials: list[str], vocab_size: int, out: Path) -> None:
    """Train a byte-level BPE and save it (tokenizer.json + config) for transformers."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=[BOS, EOS, *specials],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=BOS, eos_token=EOS)
    fast.save_pretrained(str(out))
