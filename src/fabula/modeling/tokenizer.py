"""Tokenizers of local checkpoints, behind Fabula's `Tokenizer` protocol."""

from __future__ import annotations

import json
from pathlib import Path

from fabula.errors import CorruptCheckpoint


class HFTokenizer:
    """A Hugging Face tokenizer (tokenizer.json, sentencepiece, ...) for Fabula."""

    def __init__(self, path: Path) -> None:
        from transformers import AutoTokenizer

        try:
            self._tok = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        except Exception as exc:  # transformers raises many types for a broken folder
            raise CorruptCheckpoint(
                f"Cannot load the tokenizer in {path}: {exc}. The folder needs tokenizer.json "
                "(or the files `tokenizer.save_pretrained(DIR)` writes)."
            ) from exc
        # Fabula checks prompts against the model's context itself; counting a longer text (to size
        # a prompt) is no error, so transformers' "longer than the maximum" warning is turned off.
        self._tok.model_max_length = 1 << 40
        self._eos = frozenset(_eos_ids(path, self._tok.eos_token_id))
        # The Rust tokenizer under a fast tokenizer decodes without the Python wrapper's overhead.
        self._rust = getattr(self._tok, "_tokenizer", None)

    @property
    def vocab_size(self) -> int:
        return len(self._tok)

    @property
    def eos_token_ids(self) -> frozenset[int]:
        return self._eos

    @property
    def bos_token_id(self) -> int | None:
        return self._tok.bos_token_id

    def encode(self, text: str) -> list[int]:
        return list(self._tok.encode(text, add_special_tokens=False))

    def encode_prompt(self, text: str) -> list[int]:
        """Token ids for a prompt, with the special tokens the model expects (e.g. BOS)."""
        return list(self._tok.encode(text, add_special_tokens=True))

    def decode(self, ids: list[int]) -> str:
        if self._rust is not None:
            return self._rust.decode(ids, skip_special_tokens=False)
        return self._tok.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)

    def token_text(self, token_id: int) -> str:
        return self.decode([token_id])

    def convert_to_id(self, token: str) -> int | None:
        tid = self._tok.convert_tokens_to_ids(token)
        return tid if tid is not None and tid != self._tok.unk_token_id else None


def _eos_ids(path: Path, tokenizer_eos: int | None) -> set[int]:
    ids = {tokenizer_eos} if tokenizer_eos is not None else set()
    for name in ("generation_config.json", "config.json"):
        file = path / name
        if file.exists():
            value = json.loads(file.read_text(encoding="utf-8")).get("eos_token_id")
            if isinstance(value, int):
                ids.add(value)
            elif isinstance(value, list):
                ids.update(int(v) for v in value)
    return ids
