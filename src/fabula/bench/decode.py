"""`fabula bench decode`: tokens/s and time to first token, same weights, same run.

Contenders (each skipped with a note when it cannot run here):
- Fabula's engine (engine/decode.py: samplers, penalties, stop strings,
  constraint hook) on each runtime: llama.cpp (q8_0 GGUF exported by Fabula)
  and the lean torch forward (bf16);
- `transformers` `generate` with its KV cache, float32 (the baseline) and bfloat16;
- raw llama.cpp q8_0 through llama-cpp-python's high-level `Llama` (an
  `eval` + argmax loop; batch 1 only: that API decodes one sequence).

Every contender decodes greedily (plus one row of Fabula's default sampling,
temperature 0.8, on llama.cpp) and generates exactly `tokens` new tokens
(end-of-text is ignored) after the same prompt, with the same thread count.
Tokens/s is the steady state after the first token; time to first token
covers the prompt and the first token. The batch-1 bound is model bytes /
memory bandwidth, both measured in the same run.
"""

from __future__ import annotations

import gc
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
from fabula.modeling.llama import LlamaShape, load_lean_llama, param_count, read_config
from fabula.modeling.tokenizer import HFTokenizer

BASELINE = "transformers generate fp32"
LLAMA_CPP = "llama.cpp q8_0 (raw Llama.eval)"
ENGINE_CPP = "Fabula engine, llama.cpp q8_0"
ENGINE_LEAN = "Fabula engine, lean torch bf16"
ENGINE_CPP_SAMPLED = "Fabula engine, llama.cpp q8_0, sampling T=0.8"

Progress = Callable[[int, int, str], None]  # (done, total, what is running)


@dataclass
class Result:
    contender: str
    batch: int
    tokens_per_s: float | None
    ttft_ms: float | None
    note: str = ""


class _NoEnd:
    """The model's tokenizer with no end-of-text token, so every run has the same length."""

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


def memory_bandwidth_gbs(size_mb: int = 512, repeats: int = 5) -> float:
    """Copy bandwidth (bytes read + written per second) of a buffer far larger than the caches."""
    src = np.ones(size_mb * 2**20 // 8)
    dst = np.empty_like(src)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - t)
    return 2 * src.nbytes / best / 1e9


def _time_engine(runtime: Runtime, tokenizer: _NoEnd, prompt: list[int], tokens: int, batch: int,
                 options: GenerationOptions) -> tuple[float, float]:
    options = options.model_copy(update={"max_tokens": tokens, "n": batch})
    t0 = time.perf_counter()
    first = None
    count = 0
    for chunk in decode(runtime, tokenizer, prompt, options):
        if first is None:  # every token yields a chunk, so this is the first sampled token
            first = time.perf_counter() - t0
        count += len(chunk.token_ids)
    total = time.perf_counter() - t0
    assert first is not None and count == batch * tokens, (count, batch, tokens)
    return (count - batch) / max(total - first, 1e-9), 1000 * first


def _time_generate(model: torch.nn.Module, prompt: list[int], tokens: int, batch: int) -> tuple[float, float]:
    ids = torch.tensor([prompt] * batch)
    mask = torch.ones_like(ids)
    common = {"attention_mask": mask, "do_sample": False, "eos_token_id": None, "pad_token_id": 0, "use_cache": True}
    with torch.inference_mode():
        t0 = time.perf_counter()
        model.generate(ids, max_new_tokens=1, min_new_tokens=1, **common)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        out = model.generate(ids, max_new_tokens=tokens, min_new_tokens=tokens, **common)
        total = time.perf_counter() - t0
    assert out.shape == (batch, len(prompt) + tokens), out.shape
    return batch * (tokens - 1) / max(total - first, 1e-9), 1000 * first


class _RawLlamaCpp:
    """llama-cpp-python's high-level API, as its users decode: eval, then argmax of the scores."""

    def __init__(self, gguf: Path, context: int, threads: int) -> None:
        from llama_cpp import Llama

        self.llm = Llama(str(gguf), n_ctx=context, n_batch=min(context, 512), n_threads=threads,
                         n_threads_batch=threads, verbose=False)

    def time(self, prompt: list[int], tokens: int) -> tuple[float, float]:
        llm = self.llm
        llm.reset()
        t0 = time.perf_counter()
        llm.eval(prompt)
        token = int(np.argmax(llm.scores[llm.n_tokens - 1]))
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(tokens - 1):
            llm.eval([token])
            token = int(np.argmax(llm.scores[llm.n_tokens - 1]))
        return (tokens - 1) / (time.perf_counter() - t0), 1000 * first

    def close(self) -> None:
        self.llm.close()


def run(checkpoint: Path, tokens: int = 128, prompt_tokens: int = 64, batches: tuple[int, ...] = (1, 8),
        repeats: int = 3, threads: int | None = None, progress: Progress = lambda done, total, what: None,
        bandwidth_mb: int = 512) -> dict:
    """Measure every contender on `checkpoint` (a Llama folder); best of `repeats` rounds after a warm-up.

    `bandwidth_mb` is the buffer copied to measure memory bandwidth: keep it
    well above the last-level cache.
    """
    if tokens < 2:
        raise ValueError("tokens must be at least 2 (the first token is timed separately)")
    threads = threads or torch.get_num_threads()
    saved_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return _run(checkpoint, tokens, prompt_tokens, batches, repeats, threads, progress, bandwidth_mb)
    finally:
        torch.set_num_threads(saved_threads)


def _run(checkpoint: Path, tokens: int, prompt_tokens: int, batches: tuple[int, ...], repeats: int,
         threads: int, progress: Progress, bandwidth_mb: int) -> dict:
    shape = LlamaShape.from_config(read_config(checkpoint))
    if prompt_tokens + tokens + 1 > shape.max_seq_len:
        raise ValueError(f"prompt {prompt_tokens} + {tokens} tokens exceed the model's context {shape.max_seq_len}")
    tokenizer = _NoEnd(HFTokenizer(checkpoint))
    prompt = [(7 * i + 3) % tokenizer.vocab_size for i in range(prompt_tokens)]
    greedy = GenerationOptions(temperature=0.0, seed=0)
    sampled = GenerationOptions(seed=0)  # Fabula's default sampling (temperature 0.8)
    have_llamacpp = importlib.util.find_spec("llama_cpp") is not None and importlib.util.find_spec("gguf") is not None
    jobs: list[tuple[str, int, Callable[[], tuple[float, float]]]] = []
    results: list[Result] = []
    cleanup: list[Callable[[], None]] = []

    gguf = None
    if have_llamacpp:
        from fabula.engine.llamacpp_runtime import LlamaCppModel, LlamaCppRuntime
        from fabula.modeling.gguf_export import cached_gguf

        progress(0, 1, "exporting q8_0 GGUF (cached)")
        gguf = cached_gguf(checkpoint, "q8_0")
        cpp = LlamaCppRuntime(LlamaCppModel(gguf, threads), threads=threads)
        cleanup.append(cpp.close)
        for b in batches:
            jobs.append((ENGINE_CPP, b, lambda b=b: _time_engine(cpp, tokenizer, prompt, tokens, b, greedy)))
        for b in batches:
            jobs.append((ENGINE_CPP_SAMPLED, b, lambda b=b: _time_engine(cpp, tokenizer, prompt, tokens, b, sampled)))
    else:
        for b in batches:
            results.append(Result(ENGINE_CPP, b, None, None, "llama-cpp-python not installed"))
    lean = LeanRuntime(load_lean_llama(checkpoint, torch.bfloat16))
    for b in batches:
        jobs.append((ENGINE_LEAN, b, lambda b=b: _time_engine(lean, tokenizer, prompt, tokens, b, greedy)))

    from transformers import AutoModelForCausalLM
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # our own progress bar is the only one
    for dtype, label in ((torch.float32, BASELINE), (torch.bfloat16, "transformers generate bf16")):
        model = AutoModelForCausalLM.from_pretrained(str(checkpoint), dtype=dtype, local_files_only=True).eval()
        for b in batches:
            jobs.append((label, b, lambda b=b, m=model: _time_generate(m, prompt, tokens, b)))
    if gguf is not None:
        raw = _RawLlamaCpp(gguf, prompt_tokens + tokens + 8, threads)
        cleanup.append(raw.close)
        jobs.append((LLAMA_CPP, 1, lambda: raw.time(prompt, tokens)))
    else:
        results.append(Result(LLAMA_CPP, 1, None, None, "llama-cpp-python not installed"))

    # Round-robin: every round runs each contender once, so a burst of load from elsewhere on the
    # machine hits all of them rather than one; each keeps its best round.
    total = len(jobs) * (repeats + 1) + 1
    step = 0
    runs: list[list[tuple[float, float]]] = [[] for _ in jobs]
    gc.collect()  # once: collections during the timed runs are what they are for every contender
    try:
        for round_ in range(repeats + 1):
            for k, (name, batch, fn) in enumerate(jobs):
                what = "warm-up" if round_ == 0 else f"round {round_}/{repeats}"
                progress(step, total, f"{what}: {name}, batch {batch}")
                measured = fn()
                if round_ > 0:  # round 0 warms up: first-call allocations and lazy initialisation
                    runs[k].append(measured)
                step += 1
    finally:
        for close in cleanup:
            close()
    for (name, batch, _), timed in zip(jobs, runs, strict=True):
        results.append(Result(name, batch, round(max(r[0] for r in timed), 1), round(min(r[1] for r in timed), 1)))
    progress(step, total, "memory bandwidth")
    bandwidth = memory_bandwidth_gbs(bandwidth_mb)
    progress(total, total, "done")

    params = param_count(shape)
    model_bytes = {
        "fp32": 4 * params,
        "bf16": 2 * params,
        "q8_0": gguf.stat().st_size if gguf else None,
    }
    bounds = {k: round(bandwidth * 1e9 / v, 1) for k, v in model_bytes.items() if v}
    order = {name: i for i, name in enumerate(
        [ENGINE_CPP, ENGINE_CPP_SAMPLED, ENGINE_LEAN, BASELINE, "transformers generate bf16", LLAMA_CPP])}
    results.sort(key=lambda r: (order.get(r.contender, 99), r.batch))
    return {
        "checkpoint": str(checkpoint),
        "parameters": params,
        "tokens": tokens,
        "prompt_tokens": prompt_tokens,
        "batches": list(batches),
        "repeats": repeats,
        "threads": threads,
        "torch": torch.__version__,
        "llama_cpp": _version("llama_cpp"),
        "transformers": _version("transformers"),
        "bandwidth_gbs": round(bandwidth, 2),
        "model_bytes": {k: v for k, v in model_bytes.items() if v},
        "batch1_bound_tok_s": bounds,
        "results": [asdict(r) for r in results],
        "ratios": ratios(results),
    }


def ratios(results: list[Result]) -> list[dict]:
    """Each result against `transformers generate` fp32 (same batch) and raw llama.cpp (batch 1)."""

    def speed(name: str, batch: int) -> float | None:
        return next((r.tokens_per_s for r in results if r.contender == name and r.batch == batch), None)

    rows = []
    for r in results:
        base, cpp = speed(BASELINE, r.batch), speed(LLAMA_CPP, r.batch)
        rows.append({
            "contender": r.contender,
            "batch": r.batch,
            "vs_generate": round(r.tokens_per_s / base, 2) if r.tokens_per_s and base else None,
            "vs_llamacpp": round(r.tokens_per_s / cpp, 2) if r.tokens_per_s and cpp else None,
        })
    return rows


def _version(module: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    name = {"llama_cpp": "llama-cpp-python"}.get(module, module)
    try:
        return version(name)
    except PackageNotFoundError:
        return None
