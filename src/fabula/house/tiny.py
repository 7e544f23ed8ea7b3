"""A tiny randomly initialised Llama checkpoint built from a config.

Tests (and anyone checking the plumbing) need a real model that loads
through the same code as the shipped ones, in milliseconds and offline.
Its weights are random: its text is noise, by design.
"""

from __future__ import annotations

from pathlib import Path

import torch

# Varied English so the BPE learns real merges (word pieces, spaces).
_TOKENIZER_TEXT = """\
It was a bright cold day in April, and the clocks were striking thirteen.
The sea was calm that night; the lamps along the harbour burned low and gold.
She opened the letter slowly. "You came back," he said, and smiled at her.
Shall I compare thee to a summer's day? Thou art more lovely and more temperate.
In the beginning the story had no ending, only a door, a key and a question.
"""


def build_tiny_tokenizer(path: Path, vocab_size: int = 384) -> None:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["<|bos|>", "<|eos|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_TOKENIZER_TEXT.splitlines() * 4, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|bos|>", eos_token="<|eos|>")
    fast.save_pretrained(str(path))


def build_tiny_checkpoint(
    path: Path, seed: int = 0, hidden_size: int = 64, layers: int = 2, context: int = 128
) -> Path:
    """Write a tiny random Llama (head size 64) plus tokenizer into `path`."""
    path.mkdir(parents=True, exist_ok=True)
    build_tiny_tokenizer(path)
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(path))
    _save_random_llama(
        path, len(tokenizer), tokenizer.bos_token_id, tokenizer.eos_token_id, hidden_size, layers, context, seed
    )
    return path


def _save_random_llama(
    path: Path, vocab: int, bos: int, eos: int, hidden_size: int, layers: int, context: int, seed: int
) -> None:
    """A seeded random Llama with head size 64 and tied embeddings, saved as safetensors."""
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=vocab,
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 3,
        num_hidden_layers=layers,
        num_attention_heads=hidden_size // 64,
        num_key_value_heads=hidden_size // 64,
        max_position_embeddings=context,
        bos_token_id=bos,
        eos_token_id=eos,
        tie_word_embeddings=True,
    )
    torch.manual_seed(seed)
    LlamaForCausalLM(config).save_pretrained(str(path), safe_serialization=True)


def build_tiny_char_checkpoint(
    path: Path,
    text: str,
    controls: list[str] | tuple[str, ...] = (),
    seed: int = 0,
    hidden_size: int = 64,
    layers: int = 2,
    context: int = 256,
) -> Path:
    """A tiny random Llama with a character-level tokenizer (as `fabula train` makes for Chinese poetry).

    Every character of `text` gets a token; other characters fall back to UTF-8 byte tokens, and the
    control tokens (e.g. `<form=五言绝句>`) are recorded so a `house:` backend can condition on them.
    """
    from fabula.modeling.tokenizer import HFTokenizer
    from fabula.train.config import TokenizerConfig
    from fabula.train.tokenizer import train_tokenizer

    path.mkdir(parents=True, exist_ok=True)
    cfg = TokenizerConfig(kind="char", fallback="bytes", vocab_size=65536, min_frequency=1)
    train_tokenizer(cfg, [text], list(controls), path, model_max_length=context)
    tokenizer = HFTokenizer(path)
    _save_random_llama(
        path, tokenizer.vocab_size, tokenizer.bos_token_id, min(tokenizer.eos_token_ids),
        hidden_size, layers, context, seed,
    )
    return path
