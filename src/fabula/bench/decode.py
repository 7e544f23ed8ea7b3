"""`fabula bench decode`: tokens/s and time to first token, same weights, same run.

Contenders (each skipped with a reason when it cannot run here):
- Fabula's engine on the llama.cpp runtime (q8_0 GGUF) and on the lean torch runtime (bf16);
- `transformers` `generate` with its KV cache, float32 (the baseline) and bfloat16;
- raw llama.cpp q8_0 through llama-cpp-python's `Llama.eval` loop (batch 1 only).
Every contender generates exactly `tokens` new tokens (end-of-text is ignored)
after the same prompt. The batch-1 bound is model bytes / memory bandwidth,
both measured here.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from fabula.backends.options import GenerationOptions
from fabula.engine.decode import decode
from fabula.engine.runtime import LeanRuntime, Runtime
from fabula.modeling.llama import load_lean_llama
from fabula.modeling.tokenizer import HFTokenizer

BASELINE = "transformers generate fp32"
LLAMA_CPP = "llama.cpp q8_0 (raw)"


@dataclass
class Result:
    contender: str
    batch: int
    tokens_per_s: float | None
    ttft_ms: float | None
    note: str = ""


class _NoEnd:
    """The model's tokenizer with no end-of-text token, so every run has equal length."""

    def __init__(self, inner: HFTokenizer) -> None:
        self.inner = inner
        self.vocab_size = inner.vocab_size
        self.eos_token_ids: frozenset[int] = frozenset()
        self.bos_token_id = inner.bos_token_id

    def decode(self, ids: list[int]) -> str:
        return self.inner.decode(ids)

    def encode(self, text: str) -> list[int]:
        return self.inner.encode(text)

    def token_text(self, token_id: int) -> str:
        return self.inner.token_text(token_id)


def memory_bandwidth_gbs(size_mb: int = 256, repeats: int = 5) -> float:
    """Copy bandwidth (read + write) of a buffer far larger than the caches."""
    src = np.ones(size_mb * 2**20 // 8)
    dst = np.empty_like(src)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - t)
    return 2 * src.nbytes / best / 1e9


def _time_engine(runtime: Runtime, tokenizer: _NoEnd, prompt: list[int], tokens: int, batch: int) -> tuple[float, float]:
    options = GenerationOptions(max_tokens=tokens, n=batch, seed=0, temperature=1.0)
    t0 = time.perf_counter()
    first = None
    count = 0
    for chunk in decode(runtime, tokenizer, prompt, options):
        if first is None:
            first = time.perf_counter() - t0
        count += len(chunk.token_ids)
    total = time.perf_counter() - t0
    # steady state: the tokens after each row's first, over the time after the first chunk
    return (count - batch) / max(total - first, 1e-9), 1000 * first


def _time_generate(model: torch.nn.Module, prompt: list[int], tokens: int, batch: int) -> tuple[float, float]:
    ids = torch.tensor([prompt] * batch)
    common = dict(do_sample=False, eos_token_id=None, pad_token_id=0)
    with torch.inference_mode():
        t0 = time.perf_counter()
        model.generate(ids, max_new_tokens=1, **common)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        model.generate(ids, max_new_tokens=tokens, min_new_tokens=tokens, **common)
        total = time.perf_counter() - t0
    return batch * (tokens - 1) / max(total - first, 1e-9), 1000 * first


def _time_raw_llamacpp(gguf: Path, prompt: list[int], tokens: int) -> tuple[float, float]:
    from llama_cpp import Llama

    llm = Llama(str(gguf), n_ctx=len(prompt) + tokens + 8, n_threads=torch.get_num_threads(),
                n_batch=len(prompt) + tokens + 8, verbose=False)
    t0 = time.perf_counter()
    llm.eval(prompt)
    first = time.perf_counter() - t0
    token = int(np.argmax(llm.scores[llm.n_tokens - 1]))
    t0 = time.perf_counter()
    for _ in range(tokens - 1):
        llm.eval([token])
        token = int(np.argmax(llm.scores[llm.n_tokens - 1]))
    return (tokens - 1) / (time.perf_counter() - t0), 1000 * first


def run(checkpoint: Path, tokens: int = 128, prompt_tokens: int = 64, batches: tuple[int, ...] = (1, 8),
        repeats: int = 2, progress: Callable[[str], None] = lambda _: None) -> dict:
    """Measure every contender; best of `repeats` runs each."""
    tokenizer = _NoEnd(HFTokenizer(checkpoint))
    prompt = [(7 * i + 3) % tokenizer.vocab_size for i in range(prompt_tokens)]
    have_llamacpp = importlib.util.find_spec("llama_cpp") is not None
    jobs: list[tuple[str, int, Callable[[], tuple[float, float]]]] = []

    def add(name: str, batch: int, fn: Callable[[], tuple[float, float]]) -> None:
        jobs.append((name, batch, fn))

    gguf = None
    if have_llamacpp:
        from fabula.engine.llamacpp_runtime import LlamaCppModel, LlamaCppRuntime
        from fabula.modeling.gguf_export import cached_gguf

        gguf = cached_gguf(checkpoint, "q8_0")
        cpp_runtime = LlamaCppRuntime(LlamaCppModel(gguf))
        for b in batches:
            add("Fabula engine, llama.cpp q8_0", b, lambda b=b: _time_engine(cpp_runtime, tokenizer, prompt, tokens, b))
    lean = LeanRuntime(load_lean_llama(checkpoint, torch.bfloat16))
    for b in batches:
        add("Fabula engine, lean torch bf16", b, lambda b=b: _time_engine(lean, tokenizer, prompt, tokens, b))
    from transformers import AutoModelForCausalLM

    for dtype, label in ((torch.float32, BASELINE), (torch.bfloat16, "transformers generate bf16")):
        model = AutoModelForCausalLM.from_pretrained(str(checkpoint), dtype=dtype).eval()
        for b in batches:
            add(label, b, lambda b=b, m=model: _time_generate(m, prompt, tokens, b))
    if gguf is not None:
        add(LLAMA_CPP, 1, lambda: _time_raw_llamacpp(gguf, prompt, tokens))

    results: list[Result] = []
    for name, batch, fn in jobs:
        progress(f"{name}, batch {batch}")
        fn()  # warm-up: first-call allocations and lazy init do not count
        best = max((fn() for _ in range(repeats)), key=lambda r: r[0])
        results.append(Result(name, batch, round(best[0], 1), round(best[1], 1)))
    if gguf is None:
        results.append(Result(LLAMA_CPP, 1, None, None, "llama-cpp-python not installed"))
    bandwidth = memory_bandwidth_gbs()
    weights = sum(f.stat().st_size for f in checkpoint.glob("*.safetensors"))
    model_bytes = {"fp32 safetensors": weights, "q8_0 gguf": gguf.stat().st_size if gguf else None}
    bounds = {k: round(bandwidth * 1e9 / v, 1) for k, v in model_bytes.items() if v}
    return {
        "checkpoint": str(checkpoint), "tokens": tokens, "prompt_tokens": prompt_tokens,
        "threads": torch.get_num_threads(), "bandwidth_gbs": round(bandwidth, 2),
        "batch1_bound_tok_s": bounds, "results": [asdict(r) for r in results],
        "ratios": _ratios(results),
    }


def _ratios(results: list[Result]) -> list[dict]:
    def speed(name: str, batch: int) -> float | None:
        return next((r.tokens_per_s for r in results if r.contender == name and r.batch == batch), None)

    rows = []
    for r in results:
        base, cpp = speed(BASELINE, r.batch), speed(LLAMA_CPP, r.batch)
        rows.append({
            "contender": r.contender, "batch": r.batch,
            "vs_generate": round(r.tokens_per_s / base, 2) if r.tokens_per_s and base else None,
            "vs_llamacpp": round(r.tokens_per_s / cpp, 2) if r.tokens_per_s and cpp else None,
        })
    return rows
