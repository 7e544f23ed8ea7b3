"""A `Runtime` on llama.cpp, through llama-cpp-python's low-level API.

Fabula's decode loop still does the sampling, penalties, stop strings and
constraints; llama.cpp only computes logits. Each alternative is its own
llama.cpp sequence in one unified KV cache: the prompt is decoded once in
sequence 0 and shared with sequences 1..n-1 by `llama_memory_seq_cp` (in a
unified cache that adds sequence ids to the prompt's cells, it copies no
data), then every step decodes one token per live sequence, each at its own
position, in a single `llama_decode` batch.

The KV cache starts small (the prompt plus a few hundred tokens per
alternative) and grows when llama.cpp reports it full: a larger context is
created and the live sequences are replayed into it. Long-context models
therefore cost memory for what a generation uses, not for n x context.

llama.cpp's log goes nowhere unless FABULA_LLAMACPP_LOG=1.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

import numpy as np
import torch

from fabula.errors import BackendUnavailable, CorruptCheckpoint, ModelNotFound

MAX_SEQUENCES = 64  # GenerationOptions.n is at most 64
SCORE_SEQ = MAX_SEQUENCES  # the sequence `sequence_logits` uses, so scoring never disturbs a generation
GROW_TOKENS = 256  # KV cells reserved per alternative beyond what is needed now
UBATCH = 512
LOG_ENV = "FABULA_LLAMACPP_LOG"


def import_llama_cpp():  # type: ignore[no-untyped-def]
    """The llama_cpp module, or a `BackendUnavailable` naming the extra to install."""
    try:
        import llama_cpp
    except ImportError as exc:
        raise BackendUnavailable(
            "llama.cpp support is not installed. Install the extra: pip install 'fabula[llamacpp]'"
        ) from exc
    return llama_cpp


_log_callback = None  # llama.cpp keeps calling it: it must live as long as the process
_backend_ready = False


def _setup(L) -> None:  # type: ignore[no-untyped-def]
    global _log_callback, _backend_ready
    if _log_callback is None and os.environ.get(LOG_ENV, "") not in ("1", "true", "yes"):
        _log_callback = L.llama_log_callback(lambda level, text, user_data: None)
        L.llama_log_set(_log_callback, ctypes.c_void_p(0))
    if not _backend_ready:
        L.llama_backend_init()
        _backend_ready = True


class LlamaCppModel:
    """GGUF weights loaded by llama.cpp (memory-mapped); contexts belong to runtimes."""

    def __init__(self, path: Path | str, threads: int | None = None) -> None:
        L = import_llama_cpp()
        _setup(L)
        self.L = L
        self.path = Path(path)
        self.model = None
        if not self.path.is_file():
            raise ModelNotFound(f"No GGUF file at {self.path}.")
        self.model = L.llama_model_load_from_file(str(self.path).encode(), L.llama_model_default_params())
        if not self.model:
            raise CorruptCheckpoint(
                f"llama.cpp could not load {self.path}: it is truncated, damaged or not a model it supports. "
                "Re-export or re-download it (set FABULA_LLAMACPP_LOG=1 to see llama.cpp's reason)."
            )
        self.vocab = L.llama_model_get_vocab(self.model)
        self.n_vocab = int(L.llama_vocab_n_tokens(self.vocab))
        self.n_ctx_train = int(L.llama_model_n_ctx_train(self.model))
        self.threads = threads or torch.get_num_threads()

    def metadata(self, key: str) -> str | None:
        """A GGUF metadata value as text, or None when the file has no such key."""
        size = 256
        while True:
            buf = ctypes.create_string_buffer(size)
            n = self.L.llama_model_meta_val_str(self.model, key.encode(), buf, size)
            if n < 0:
                return None
            if n < size:
                return buf.value.decode("utf-8", errors="replace")
            size = n + 1

    @property
    def size_bytes(self) -> int:
        return int(self.L.llama_model_size(self.model))

    def close(self) -> None:
        if getattr(self, "model", None):
            self.L.llama_model_free(self.model)
            self.model = None

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001, S110 (interpreter shutdown: nothing left to report to)
            pass


class LlamaCppRuntime:
    """`Runtime` (engine/runtime.py) over a llama.cpp context: one sequence per row.

    `step` returns a zero-copy view of llama.cpp's logits buffer: it is valid
    until the next call on this runtime (the decode loop uses it before then).
    `prefill` and `sequence_logits` return copies.
    """

    def __init__(self, model: LlamaCppModel | Path | str, n_ctx: int | None = None,
                 threads: int | None = None) -> None:
        self._owns_model = not isinstance(model, LlamaCppModel)
        self.m = model if isinstance(model, LlamaCppModel) else LlamaCppModel(model, threads)
        self.L = self.m.L
        self.n_ctx = min(n_ctx or self.m.n_ctx_train, self.m.n_ctx_train)
        self.threads = threads or self.m.threads
        self.ctx = None
        self._memory = None
        self.batch = None
        self.capacity = 0  # KV cells of the current context
        self.n_batch = 0
        self._row_types: dict[int, type] = {}
        # generation state, enough to replay into a larger context
        self.prompt: list[int] = []
        self.rows: list[int] = []  # live row -> sequence id
        self.history: list[list[int]] = []  # live row -> tokens fed by `step`
        self.length = 0  # position of the next token (the same for every live row)

    # --- Runtime protocol --------------------------------------------------------------------

    @property
    def context_length(self) -> int:
        return self.n_ctx

    def prefill(self, ids: list[int], n: int) -> torch.Tensor:
        if not 1 <= n <= MAX_SEQUENCES:
            raise ValueError(f"the llama.cpp runtime decodes 1 to {MAX_SEQUENCES} alternatives at once, not {n}")
        if not ids or len(ids) > self.n_ctx:
            raise ValueError(f"prompt of {len(ids)} tokens does not fit the context of {self.n_ctx}")
        P = len(ids)
        self.prompt, self.rows, self.history, self.length = [], [], [], 0
        self._reserve(P + n * min(GROW_TOKENS, max(self.n_ctx - P, 1)))
        self.L.llama_memory_clear(self._memory, False)
        try:
            last = self._feed(ids, range(P), [0] * P, outputs="last")
        except _CacheFull:  # cannot happen: the cache was just emptied and sized for the prompt
            raise RuntimeError(f"llama.cpp found no room for a {P}-token prompt") from None
        for seq in range(1, n):
            self.L.llama_memory_seq_cp(self._memory, 0, seq, -1, -1)
        self.prompt = list(ids)
        self.rows = list(range(n))
        self.history = [[] for _ in range(n)]
        self.length = P
        return torch.from_numpy(last).unsqueeze(0).expand(n, -1)

    def step(self, tokens: torch.Tensor) -> torch.Tensor:
        toks = tokens.tolist()
        B = len(toks)
        if self.ctx is None or B != len(self.rows):
            if self.ctx is None:
                raise RuntimeError("step before prefill (or after close)")
            raise ValueError(f"step got {B} tokens for {len(self.rows)} live rows")
        while True:
            self._fill(toks, None, self.rows, all_outputs=True)
            rc = self.L.llama_decode(self.ctx, self.batch)
            if rc != 1:
                break
            self._grow(B)  # the KV cache is full: a larger context, with every row replayed
        if rc != 0:
            raise RuntimeError(f"llama_decode failed (code {rc}) at position {self.length}")
        for row, t in zip(self.history, toks, strict=True):
            row.append(t)
        self.length += 1
        return torch.from_numpy(self._logits_view(B))

    def keep(self, rows: torch.Tensor) -> None:
        if self.ctx is None:
            raise RuntimeError("keep before prefill (or after close)")
        idx = [int(i) for i in rows.tolist()]
        kept = set(idx)
        for i, seq in enumerate(self.rows):
            if i not in kept:
                self.L.llama_memory_seq_rm(self._memory, seq, -1, -1)
        new_rows: list[int] = []
        free = sorted(set(range(MAX_SEQUENCES)) - set(self.rows))
        for i in idx:
            seq = self.rows[i]
            if seq in new_rows:  # a row kept twice: give the copy its own sequence
                if not free:
                    raise ValueError(f"more than {MAX_SEQUENCES} rows")
                copy = free.pop(0)
                self.L.llama_memory_seq_cp(self._memory, seq, copy, -1, -1)
                seq = copy
            new_rows.append(seq)
        self.rows = new_rows
        self.history = [list(self.history[i]) for i in idx]

    def sequence_logits(self, ids: list[int]) -> torch.Tensor:
        T = len(ids)
        if not 1 <= T <= self.n_ctx:
            raise ValueError(f"sequence of {T} tokens does not fit the context of {self.n_ctx}")
        if self.ctx is None or self._cells_in_use() + T > self.capacity:
            self._grow(T)
        while True:
            self.L.llama_memory_seq_rm(self._memory, SCORE_SEQ, -1, -1)
            try:
                return torch.from_numpy(self._feed(ids, range(T), [SCORE_SEQ] * T, outputs="all"))
            except _CacheFull:
                self._grow(T)
            finally:
                self.L.llama_memory_seq_rm(self._memory, SCORE_SEQ, -1, -1)

    # --- lifetime ----------------------------------------------------------------------------

    def close(self) -> None:
        """Free the llama.cpp context (and the model, when this runtime loaded it)."""
        self._free_context()
        if self._owns_model:
            self.m.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001, S110 (interpreter shutdown)
            pass

    # --- internals ---------------------------------------------------------------------------

    def _reserve(self, cells: int) -> None:
        """Make sure the context holds `cells` KV cells; a new context starts empty."""
        if self.ctx is not None and cells <= self.capacity:
            return
        if not self.m.model:
            raise RuntimeError(f"the llama.cpp model {self.m.path} was closed")
        L = self.L
        cells = max(256, -(-cells // 256) * 256)
        self._free_context()
        params = L.llama_context_default_params()
        params.n_ctx = cells
        params.n_batch = cells
        params.n_ubatch = min(UBATCH, cells)
        params.n_seq_max = MAX_SEQUENCES + 1  # + the scoring sequence
        params.kv_unified = True  # one cache for all sequences: the prompt's cells are shared, not copied
        params.n_threads = params.n_threads_batch = self.threads
        params.no_perf = True
        ctx = L.llama_init_from_model(self.m.model, params)
        if not ctx:
            raise BackendUnavailable(
                f"llama.cpp could not create a context of {cells} tokens for {self.m.path} (out of memory?)."
            )
        self.ctx = ctx
        self._memory = L.llama_get_memory(ctx)
        self.n_batch = int(L.llama_n_batch(ctx))
        self.capacity = int(L.llama_n_ctx(ctx))
        self.batch = L.llama_batch_init(self.n_batch, 0, 1)
        b = self.batch
        self._tok = np.ctypeslib.as_array(b.token, shape=(self.n_batch,))
        self._pos = np.ctypeslib.as_array(b.pos, shape=(self.n_batch,))
        self._out = np.ctypeslib.as_array(b.logits, shape=(self.n_batch,))
        np.ctypeslib.as_array(b.n_seq_id, shape=(self.n_batch,))[:] = 1
        self._seq_ids = [b.seq_id[i] for i in range(self.n_batch)]
        self._seq_layout: list[int] = []  # what seq_id[i][0] holds for i < len(...)

    def _free_context(self) -> None:
        if self.batch is not None:
            self.L.llama_batch_free(self.batch)
            self.batch = None
        if self.ctx is not None:
            self.L.llama_free(self.ctx)
            self.ctx = None
        self.capacity = 0

    def _fill(self, tokens: list[int], positions, seqs: list[int], all_outputs: bool) -> None:  # type: ignore[no-untyped-def]
        """Write a batch: `positions` None means every token at `self.length` (a decode step)."""
        n = len(tokens)
        self.batch.n_tokens = n
        self._tok[:n] = tokens
        if positions is None:
            self._pos[:n] = self.length
        else:
            self._pos[:n] = positions
        self._out[:n] = 1 if all_outputs else 0
        if self._seq_layout[:n] != seqs:
            for i, s in enumerate(seqs):
                self._seq_ids[i][0] = s
            self._seq_layout = list(seqs) + self._seq_layout[n:]

    def _feed(self, tokens: list[int], positions, seqs: list[int], outputs: str) -> np.ndarray | None:  # type: ignore[no-untyped-def]
        """Decode tokens in batches of at most n_batch; logits of the last token or of all (copies)."""
        positions = list(positions)
        total = len(tokens)
        out = np.empty((total, self.m.n_vocab), dtype=np.float32) if outputs == "all" else None
        for start in range(0, total, self.n_batch):
            end = min(start + self.n_batch, total)
            self._fill(tokens[start:end], positions[start:end], seqs[start:end], outputs == "all")
            if outputs == "last" and end == total:
                self._out[end - start - 1] = 1
            rc = self.L.llama_decode(self.ctx, self.batch)
            if rc == 1:
                raise _CacheFull
            if rc != 0:
                raise RuntimeError(f"llama_decode failed (code {rc}) on a batch of {end - start} tokens")
            if out is not None:
                out[start:end] = self._logits_view(end - start)
        if outputs == "last":
            return np.ctypeslib.as_array(self.L.llama_get_logits_ith(self.ctx, -1), shape=(self.m.n_vocab,)).copy()
        return out

    def _logits_view(self, rows: int) -> np.ndarray:
        """The (rows, V) float32 logits of the last decode, in batch order, without copying."""
        ptr = self.L.llama_get_logits(self.ctx)
        kind = self._row_types.get(rows)
        if kind is None:
            kind = self._row_types[rows] = ctypes.c_float * (rows * self.m.n_vocab)
        buf = kind.from_address(ctypes.addressof(ptr.contents))
        return np.frombuffer(buf, dtype=np.float32).reshape(rows, self.m.n_vocab)

    def _cells_in_use(self) -> int:
        return len(self.prompt) + sum(len(h) for h in self.history) if self.rows else 0

    def _grow(self, extra: int) -> None:
        """A larger context (at least double), with the live generation replayed into it."""
        want = self._cells_in_use() + extra + max(len(self.rows), 1) * GROW_TOKENS
        limit = (len(self.rows) + 1) * self.n_ctx + GROW_TOKENS  # more can never be needed
        cells = min(max(want, 2 * self.capacity), limit)
        if self.ctx is not None and cells <= self.capacity:
            raise RuntimeError(f"llama.cpp's KV cache is full at {self.capacity} cells")
        self._reserve(cells)
        self._replay()

    def _replay(self) -> None:
        """Decode the prompt and every live row's tokens again into a fresh context."""
        self.L.llama_memory_clear(self._memory, False)
        if not self.rows:
            return
        P, first = len(self.prompt), self.rows[0]
        self._feed(self.prompt, range(P), [first] * P, outputs="none")
        for seq in self.rows[1:]:
            self.L.llama_memory_seq_cp(self._memory, first, seq, -1, -1)
        steps = len(self.history[0])
        tokens = [h[j] for j in range(steps) for h in self.history]
        positions = [P + j for j in range(steps) for _ in self.history]
        seqs = [s for _ in range(steps) for s in self.rows]
        if tokens:
            self._feed(tokens, positions, seqs, outputs="none")


class _CacheFull(Exception):
    """llama_decode found no free KV cells for a batch."""


class LlamaCppTokenizer:
    """llama.cpp's own tokenizer behind Fabula's `Tokenizer` protocol.

    Used for GGUF files with no Hugging Face tokenizer beside them. Special
    tokens written in the text are parsed, as Hugging Face tokenizers do.
    """

    def __init__(self, model: LlamaCppModel) -> None:
        self.m = model
        L = model.L
        null = -1  # LLAMA_TOKEN_NULL
        self._eos = frozenset(
            int(t) for t in (L.llama_vocab_eos(model.vocab), L.llama_vocab_eot(model.vocab)) if t != null
        )
        bos = int(L.llama_vocab_bos(model.vocab))
        self._bos = bos if bos != null else None

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
        L = self.m.L
        data = text.encode("utf-8")
        size = len(data) + 8
        while True:
            buf = (L.llama_token * size)()
            n = L.llama_tokenize(self.m.vocab, data, len(data), buf, size, add_special, True)
            if n >= 0:
                return list(buf[:n])
            size = -n

    def encode(self, text: str) -> list[int]:
        return self._tokenize(text, False)

    def encode_prompt(self, text: str) -> list[int]:
        """With the BOS/EOS the GGUF asks for (tokenizer.ggml.add_bos_token)."""
        return self._tokenize(text, True)

    def _piece(self, token_id: int) -> bytes:
        size = 32
        while True:
            buf = ctypes.create_string_buffer(size)
            n = self.m.L.llama_token_to_piece(self.m.vocab, token_id, buf, size, 0, True)
            if n >= 0:
                return buf.raw[:n]
            size = -n

    def decode(self, ids: list[int]) -> str:
        return b"".join(self._piece(int(t)) for t in ids).decode("utf-8", errors="replace")

    def token_text(self, token_id: int) -> str:
        return self.decode([token_id])


__all__ = ["MAX_SEQUENCES", "LlamaCppModel", "LlamaCppRuntime", "LlamaCppTokenizer", "import_llama_cpp"]
