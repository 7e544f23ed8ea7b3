"""A `Runtime` on llama.cpp (through llama-cpp-python's low-level API).

Fabula's decode loop still does the sampling, penalties, stop strings and
constraints; llama.cpp only computes logits. Each alternative is its own
llama.cpp sequence: the prompt is decoded once in sequence 0 and its KV cache
copied to the others, then every step decodes one token per live sequence in
a single batch.
"""

from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np
import torch

from fabula.errors import BackendUnavailable, CorruptCheckpoint

MAX_SEQUENCES = 64


def import_llama_cpp():  # type: ignore[no-untyped-def]
    try:
        import llama_cpp
    except ImportError as exc:
        raise BackendUnavailable("llama.cpp support needs the extra: pip install 'fabula[llamacpp]'") from exc
    return llama_cpp


_silence = None  # the log callback must outlive every context


def _quiet(L) -> None:  # type: ignore[no-untyped-def]
    global _silence
    if _silence is None:
        _silence = L.llama_log_callback(lambda level, text, data: None)
        L.llama_log_set(_silence, ctypes.c_void_p(0))


class LlamaCppModel:
    """A loaded GGUF model and one context sized for Fabula's batches."""

    def __init__(self, path: Path, n_ctx: int | None = None, threads: int | None = None) -> None:
        L = import_llama_cpp()
        _quiet(L)
        L.llama_backend_init()
        self.L = L
        self.model = L.llama_model_load_from_file(str(path).encode(), L.llama_model_default_params())
        if not self.model:
            raise CorruptCheckpoint(f"llama.cpp could not load {path}: not a valid GGUF model file.")
        self.vocab = L.llama_model_get_vocab(self.model)
        self.n_vocab = int(L.llama_vocab_n_tokens(self.vocab))
        train_ctx = int(L.llama_model_n_ctx_train(self.model))
        self.n_ctx = min(n_ctx or train_ctx, train_ctx)
        self.threads = threads or torch.get_num_threads()
        self.ctx = None
        self.batch = None
        self.capacity = 0
        self.ensure_capacity(self.n_ctx)

    def ensure_capacity(self, cells: int) -> None:
        """A context whose shared KV cache holds `cells` tokens over all sequences."""
        if cells <= self.capacity:
            return
        L = self.L
        self._free_context()
        params = L.llama_context_default_params()
        params.n_ctx = max(cells, self.n_ctx)
        params.n_batch = params.n_ubatch = max(self.n_ctx, MAX_SEQUENCES)
        params.n_seq_max = MAX_SEQUENCES
        params.kv_unified = True  # sequences share one cache, so seq_cp copies cells cheaply
        params.n_threads = params.n_threads_batch = self.threads
        self.ctx = L.llama_init_from_model(self.model, params)
        if not self.ctx:
            raise CorruptCheckpoint("llama.cpp could not create a context (out of memory?).")
        self.memory = L.llama_get_memory(self.ctx)
        self.batch = L.llama_batch_init(params.n_batch, 0, MAX_SEQUENCES)
        self.capacity = int(params.n_ctx)

    def _free_context(self) -> None:
        if self.batch is not None:
            self.L.llama_batch_free(self.batch)
            self.batch = None
        if self.ctx:
            self.L.llama_free(self.ctx)
            self.ctx = None

    def decode(self, tokens: list[int], positions: list[int], seqs: list[int], want: list[bool]) -> None:
        b = self.batch
        b.n_tokens = len(tokens)
        for i, (tok, pos, seq, out) in enumerate(zip(tokens, positions, seqs, want, strict=True)):
            b.token[i], b.pos[i], b.n_seq_id[i], b.logits[i] = tok, pos, 1, out
            b.seq_id[i][0] = seq
        if self.L.llama_decode(self.ctx, b) != 0:
            raise RuntimeError("llama_decode failed (context full?)")

    def logits(self, index: int) -> np.ndarray:
        ptr = self.L.llama_get_logits_ith(self.ctx, index)
        return np.ctypeslib.as_array(ptr, shape=(self.n_vocab,))

    def __del__(self) -> None:
        L = getattr(self, "L", None)
        if L is None:
            return
        if getattr(self, "capacity", None) is not None:
            self._free_context()
        if getattr(self, "model", None):
            L.llama_model_free(self.model)


class LlamaCppRuntime:
    """`Runtime` over a `LlamaCppModel`: one llama.cpp sequence per row."""

    def __init__(self, model: LlamaCppModel) -> None:
        self.m = model
        self.rows: list[int] = []  # live row -> sequence id
        self.length = 0

    @property
    def context_length(self) -> int:
        return self.m.n_ctx

    def prefill(self, ids: list[int], n: int) -> torch.Tensor:
        if n > MAX_SEQUENCES:
            raise ValueError(f"llama.cpp runtime decodes at most {MAX_SEQUENCES} alternatives at once")
        L = self.m.L
        self.m.ensure_capacity(n * self.m.n_ctx)  # room for every row to reach the full context
        L.llama_memory_clear(self.m.memory, True)
        self.m.decode(ids, list(range(len(ids))), [0] * len(ids), [i == len(ids) - 1 for i in range(len(ids))])
        last = torch.from_numpy(self.m.logits(len(ids) - 1).copy())
        for seq in range(1, n):
            L.llama_memory_seq_cp(self.m.memory, 0, seq, -1, -1)
        self.rows = list(range(n))
        self.length = len(ids)
        return last.unsqueeze(0).expand(n, -1)

    def step(self, tokens: torch.Tensor) -> torch.Tensor:
        toks = tokens.tolist()
        self.m.decode(toks, [self.length] * len(toks), self.rows, [True] * len(toks))
        self.length += 1
        return self._logits(len(toks))

    def _logits(self, rows: int) -> torch.Tensor:
        if rows == 1:  # the common case: one copy out of llama.cpp's buffer, no stacking
            return torch.from_numpy(self.m.logits(0).copy()).unsqueeze(0)
        return torch.from_numpy(np.stack([self.m.logits(i) for i in range(rows)]))

    def keep(self, rows: torch.Tensor) -> None:
        keep = set(rows.tolist())
        for i, seq in enumerate(self.rows):
            if i not in keep:
                self.m.L.llama_memory_seq_rm(self.m.memory, seq, -1, -1)
        self.rows = [self.rows[i] for i in rows.tolist()]

    def sequence_logits(self, ids: list[int]) -> torch.Tensor:
        self.m.L.llama_memory_clear(self.m.memory, True)
        self.m.decode(ids, list(range(len(ids))), [0] * len(ids), [True] * len(ids))
        return self._logits(len(ids))


class LlamaCppTokenizer:
    """llama.cpp's own tokenizer, for GGUF files with no Hugging Face folder beside them."""

    def __init__(self, model: LlamaCppModel) -> None:
        self.m = model
        L = model.L
        self._eos = frozenset(
            t for t in (L.llama_vocab_eos(model.vocab), L.llama_vocab_eot(model.vocab)) if t >= 0
        )
        bos = L.llama_vocab_bos(model.vocab)
        self._bos = bos if bos >= 0 and L.llama_vocab_get_add_bos(model.vocab) else None

    @property
    def vocab_size(self) -> int:
        return self.m.n_vocab

    @property
    def eos_token_ids(self) -> frozenset[int]:
        return self._eos

    @property
    def bos_token_id(self) -> int | None:
        return self._bos

    def _tokenize(self, text: str, add_special: bool) -> list[int]:
        data = text.encode("utf-8")
        size = len(data) + 8
        buf = (self.m.L.llama_token * size)()
        n = self.m.L.llama_tokenize(self.m.vocab, data, len(data), buf, size, add_special, False)
        return list(buf[:n])

    def encode(self, text: str) -> list[int]:
        return self._tokenize(text, False)

    def encode_prompt(self, text: str) -> list[int]:
        return self._tokenize(text, True)

    def _piece(self, token_id: int) -> bytes:
        buf = ctypes.create_string_buffer(64)
        n = self.m.L.llama_token_to_piece(self.m.vocab, token_id, buf, 64, 0, False)
        return buf.raw[:n] if n >= 0 else b""

    def decode(self, ids: list[int]) -> str:
        return b"".join(self._piece(t) for t in ids).decode("utf-8", errors="replace")

    def token_text(self, token_id: int) -> str:
        return self.decode([token_id])


def gguf_metadata(model: LlamaCppModel, key: str) -> str | None:
    buf = ctypes.create_string_buffer(4096)
    n = model.L.llama_model_meta_val_str(model.model, key.encode(), buf, 4096)
    return buf.value.decode("utf-8") if n >= 0 else None
