"""The one training loop: pre-training now, fine-tuning strategies plug in through `TrainableParams`.

    tokenizer (trained once per run) → cached token memmaps → Llama built from the config
    → for each step: warmup/cosine lr, grad_accum micro-batches under bf16 autocast,
      clip, AdamW; validation every eval_interval steps; checkpoint every checkpoint_interval
    → export of the best (lowest validation loss) weights as a Hugging Face checkpoint

Exact resume: a checkpoint holds the trained parameters, the best ones so far,
AdamW's state, every RNG and the window sampler's generator; the learning rate
is a pure function of the step. Evaluation uses its own fixed windows, so
it never moves the training sampler. A resumed run therefore computes the same
losses, bit for bit, as one that was never interrupted (tests check this).
Ctrl-C stops at the end of the current step and writes a checkpoint first.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Self

import numpy as np
import torch

from fabula.data.corpus import read_split
from fabula.errors import FabulaError
from fabula.train.checkpoint import TrainState, latest_checkpoint, load_checkpoint, save_checkpoint
from fabula.train.config import OptimConfig, TrainConfig
from fabula.train.dataset import WindowSampler, fixed_windows, token_file
from fabula.train.evaluate import eval_formatter, stream_loss
from fabula.house.prompt import BOS, EOS, PAD
from fabula.train.formatting import Formatter, collect_control_tokens
from fabula.train.tokenizer import (
    control_tokens_of,
    load_tokenizer,
    missing_special_tokens,
    tokenizer_settings,
    train_tokenizer,
)
from fabula.train.trainable import TrainableParams, trainable_params

__all__ = [
    "build_model",
    "build_model_for",
    "lr_at",
    "make_optimizer",
    "measure_throughput",
    "prepare_tokenizer",
    "train",
    "train_formatter",
    "train_step",
]

_TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "fabula_tokenizer.json",
)


def lr_at(step: int, optim: OptimConfig) -> float:
    """Linear warmup to `lr` over `warmup_steps`, then cosine decay to `min_lr` at `max_steps`."""
    if step < optim.warmup_steps:
        return optim.lr * (step + 1) / optim.warmup_steps
    progress = min(1.0, (step - optim.warmup_steps) / max(1, optim.max_steps - optim.warmup_steps))
    return optim.min_lr + 0.5 * (optim.lr - optim.min_lr) * (1 + math.cos(math.pi * progress))


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare_tokenizer(cfg: TrainConfig, log: Callable[[str], None] = _stderr) -> Path:
    """The run's tokenizer folder (`<out>/tokenizer`), trained on the train splits the first time."""
    folder = cfg.run.out / "tokenizer"
    source = folder if (folder / "tokenizer.json").exists() else cfg.tokenizer.path
    if source is not None:
        lacking = missing_special_tokens(load_tokenizer(source))
        if lacking:
            raise FabulaError(
                f"Tokenizer {source} lacks {', '.join(lacking)}: train one with `fabula train tokenizer CONFIG` "
                "(it adds Fabula's special tokens), in a new run.out."
            )
    if source == folder:
        recorded = tokenizer_settings(folder)
        if cfg.tokenizer.path is None and recorded is not None and recorded != _tokenizer_settings(cfg):
            raise FabulaError(
                f"The tokenizer in {folder} was trained with other [tokenizer] or [data] settings. "
                "Set run.out to a new folder, or delete that tokenizer folder to train it again."
            )
        return folder
    if source is not None:
        folder.mkdir(parents=True, exist_ok=True)
        for name in _TOKENIZER_FILES:
            if (source / name).exists():
                shutil.copy2(source / name, folder / name)
        return folder

    def documents():  # type: ignore[no-untyped-def]
        for spec in cfg.data.corpora:
            for doc in read_split(spec.name, "train"):
                if cfg.data.lang is None or doc.meta.get("lang", cfg.data.lang) == cfg.data.lang:
                    yield doc

    controls = collect_control_tokens(documents(), cfg.data.control_keys, cfg.data.control_min_count)
    texts = (f"{doc.meta.get('title', '')}\n{doc.text}" for doc in documents())
    log(f"training a {cfg.tokenizer.kind} tokenizer with {len(controls)} control tokens")
    tmp = folder.with_name(".tokenizer.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    train_tokenizer(cfg.tokenizer, texts, controls, tmp, cfg.model.context, _tokenizer_settings(cfg))
    tmp.rename(folder)
    return folder


def _tokenizer_settings(cfg: TrainConfig) -> dict:
    """What a run's tokenizer depends on: its own settings and where its control tokens come from."""
    d = cfg.data
    return {
        "tokenizer": cfg.tokenizer.model_dump(mode="json"),
        "corpora": [c.name for c in d.corpora],
        "lang": d.lang,
        "control_keys": d.control_keys,
        "control_min_count": d.control_min_count,
    }


def train_formatter(cfg: TrainConfig, controls: list[str]) -> Formatter:
    d = cfg.data
    return Formatter(
        tuple(d.control_keys),
        frozenset(controls),
        d.control_dropout,
        d.title_rate,
        d.fim_rate,
        d.fim_piece_chars,
        cfg.run.seed,
    )


def build_model(
    cfg: TrainConfig, vocab_size: int, bos_id: int = 0, eos_id: int = 1, pad_id: int = 2
) -> torch.nn.Module:
    """A freshly initialised `LlamaForCausalLM` (seeded by run.seed) for a vocabulary of `vocab_size`."""
    from transformers import LlamaConfig, LlamaForCausalLM

    m = cfg.model
    config = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=m.hidden_size,
        intermediate_size=m.intermediate_size,
        num_hidden_layers=m.layers,
        num_attention_heads=m.heads,
        num_key_value_heads=m.kv_heads,
        head_dim=64,
        max_position_embeddings=m.context,
        rope_parameters={"rope_type": "default", "rope_theta": m.rope_theta},
        tie_word_embeddings=m.tie_embeddings,
        initializer_range=m.init_std,
        bos_token_id=bos_id,
        eos_token_id=eos_id,
        pad_token_id=pad_id,
    )
    torch.manual_seed(cfg.run.seed)
    model = LlamaForCausalLM(config)
    with torch.no_grad():  # residual projections scaled by 1/sqrt(2·layers), as in GPT-2
        for name, p in model.named_parameters():
            if name.endswith(("o_proj.weight", "down_proj.weight")):
                p.normal_(0.0, m.init_std / math.sqrt(2 * m.layers))
    return model


def build_model_for(cfg: TrainConfig, tokenizer_dir: Path) -> torch.nn.Module:
    """`build_model` sized for the tokenizer in `tokenizer_dir`, with its BOS, EOS and PAD ids."""
    tok = load_tokenizer(tokenizer_dir)
    return build_model(
        cfg,
        tok.get_vocab_size(with_added_tokens=True),
        tok.token_to_id(BOS),
        tok.token_to_id(EOS),
        tok.token_to_id(PAD),
    )


def make_optimizer(named: list[tuple[str, torch.nn.Parameter]], optim: OptimConfig) -> torch.optim.Optimizer:
    """AdamW; weight decay on matrices (and embeddings) only, not on norms' gains."""
    decay = [p for _, p in named if p.dim() >= 2]
    no_decay = [p for _, p in named if p.dim() < 2]
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": optim.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=optim.lr,
        betas=(optim.beta1, optim.beta2),
    )


def _row_losses(forward: Callable, x: torch.Tensor, y: torch.Tensor, bf16: bool) -> torch.Tensor:
    """Mean next-token cross-entropy of each row; `y` is `x` shifted by one."""
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        logits = forward(input_ids=x, use_cache=False).logits  # (B, T, V)
    loss = torch.nn.functional.cross_entropy(logits.float().flatten(0, 1), y.reshape(-1), reduction="none")
    return loss.view(y.shape).mean(dim=1)  # (B,)


def train_step(
    forward: Callable,
    sampler: WindowSampler,
    optimizer: torch.optim.Optimizer,
    params: list[torch.nn.Parameter],
    cfg: TrainConfig,
) -> tuple[float, float]:
    """One optimiser step over `grad_accum` micro-batches; returns the mean loss and the gradient norm."""
    loss_sum = 0.0
    for _ in range(cfg.optim.grad_accum):
        x, y, _ = sampler.sample(cfg.optim.batch_size)
        loss = _row_losses(forward, x, y, cfg.run.bf16).mean()
        (loss / cfg.optim.grad_accum).backward()
        loss_sum += float(loss.detach())
    grad_norm = float(torch.nn.utils.clip_grad_norm_(params, cfg.optim.clip))
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return loss_sum / cfg.optim.grad_accum, grad_norm


def measure_throughput(
    cfg: TrainConfig, steps: int = 20, warmup: int = 3, vocab_size: int | None = None
) -> dict:
    """Training tokens per second of the config's model on this machine (random tokens, real steps)."""
    torch.set_num_threads(cfg.run.threads)
    vocab = vocab_size or cfg.tokenizer.vocab_size
    model = build_model(cfg, vocab)
    named = trainable_params(cfg.run.trainable).select(model)
    optimizer = make_optimizer(named, cfg.optim)
    tokens = np.random.default_rng(cfg.run.seed).integers(0, vocab, 1 << 20).astype(np.int64)
    sampler = WindowSampler([tokens], None, cfg.model.context, cfg.run.seed)
    forward = torch.compile(model) if cfg.run.compile else model
    started = time.perf_counter()
    for _ in range(warmup):
        train_step(forward, sampler, optimizer, [p for _, p in named], cfg)
    warm = time.perf_counter()
    for _ in range(steps):
        train_step(forward, sampler, optimizer, [p for _, p in named], cfg)
    seconds = time.perf_counter() - warm
    return {
        "parameters": sum(p.numel() for p in model.parameters()),
        "vocab_size": vocab,
        "tokens_per_second": steps * cfg.tokens_per_step / seconds,
        "seconds_per_step": seconds / steps,
        "warmup_seconds": warm - started,
        "compile": cfg.run.compile,
        "bf16": cfg.run.bf16,
        "threads": cfg.run.threads,
    }


@torch.no_grad()
def _validate(model: torch.nn.Module, forward: Callable, windows: list, names: list[str], bf16: bool) -> dict:
    model.eval()
    per_corpus: dict[str, list[float]] = {n: [] for n in names}
    for x, y, which in windows:
        for loss, w in zip(_row_losses(forward, x, y, bf16).tolist(), which.tolist(), strict=True):
            per_corpus[names[w]].append(loss)
    model.train()
    everything = [v for losses in per_corpus.values() for v in losses]
    return {
        "val_loss": sum(everything) / len(everything),
        "per_corpus": {n: sum(v) / len(v) for n, v in per_corpus.items() if v},
    }


class _StopRequest:
    """Ctrl-C (or SIGTERM) stops the loop after this step, with a checkpoint; a second Ctrl-C aborts."""

    _SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict = {}

    def __enter__(self) -> Self:
        if threading.current_thread() is threading.main_thread():
            self._previous = {sig: signal.signal(sig, self._handle) for sig in self._SIGNALS}
        return self

    def _handle(self, signum, frame) -> None:  # type: ignore[no-untyped-def]
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc: object) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)


def _tensorboard(cfg: TrainConfig, step: int, log: Callable[[str], None]):  # type: ignore[no-untyped-def]
    if not cfg.run.tensorboard:
        return None
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        log("TensorBoard logs are off: `pip install tensorboard` to get them.")
        return None
    return SummaryWriter(log_dir=str(cfg.run.out / "tensorboard"), purge_step=step or None)


def _config_changes(old: dict, new: dict, prefix: str = "") -> list[str]:
    """Dotted names of settings that differ (run.out, and where it runs, may change freely)."""
    changes = []
    for key in sorted(set(old) | set(new)):
        name = f"{prefix}{key}"
        if name in ("run.out", "run.threads", "description"):
            continue
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            changes += _config_changes(a, b, f"{name}.")
        elif a != b:
            changes.append(name)
    return changes


def train(
    cfg: TrainConfig,
    resume: bool = False,
    max_steps: int | None = None,
    progress: bool = True,
    log: Callable[[str], None] = _stderr,
) -> dict:
    """Train (or continue) the run described by `cfg`; returns the summary also written to training.json.

    `max_steps` stops early (with a checkpoint) without changing the schedule, which always runs to
    `cfg.optim.max_steps`; `resume=True` continues from the newest checkpoint in `cfg.run.out`.
    """
    from tqdm import tqdm

    out = cfg.run.out
    latest = latest_checkpoint(out)
    if latest is not None and not resume:
        raise FabulaError(
            f"{out} already holds a run (checkpoint {latest.name}). Continue it with "
            "`fabula train run CONFIG "
            "--resume`, or set run.out to a new folder."
        )
    if resume and latest is None:
        log(f"no checkpoint in {out}: starting from step 0")
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(cfg.run.threads)
    random.seed(cfg.run.seed)
    np.random.seed(cfg.run.seed)

    tokenizer_dir = prepare_tokenizer(cfg, log)
    controls = control_tokens_of(tokenizer_dir)
    names = [c.name for c in cfg.data.corpora]
    weights = [c.weight for c in cfg.data.corpora] if cfg.data.corpora[0].weight is not None else None
    fmt, val_fmt = train_formatter(cfg, controls), eval_formatter(cfg.data, controls, cfg.run.seed)
    train_files = [token_file(n, "train", tokenizer_dir, fmt, cfg.data.lang) for n in names]
    val_files = [token_file(n, "validation", tokenizer_dir, val_fmt, cfg.data.lang) for n in names]
    ctx, batch = cfg.model.context, cfg.optim.batch_size
    sampler = WindowSampler([f.array() for f in train_files], weights, ctx, cfg.run.seed, names)
    val_windows = fixed_windows(
        WindowSampler([f.array() for f in val_files], weights, ctx, cfg.run.seed + 1, names),
        cfg.run.eval_batches,
        batch,
    )

    model = build_model_for(cfg, tokenizer_dir)
    strategy: TrainableParams = trainable_params(cfg.run.trainable)
    named = strategy.select(model)
    params = [p for _, p in named]
    optimizer = make_optimizer(named, cfg.optim)
    state, best = TrainState(), None
    if resume and latest is not None:
        state, sampler_state, best, saved_config = load_checkpoint(latest, named, optimizer)
        sampler.load_state_dict(sampler_state)
        changed = _config_changes(saved_config, cfg.model_dump(mode="json"))
        if changed:
            log(
                f"warning: the config changed since the checkpoint ({', '.join(changed)}): the resumed run "
                "will not reproduce an uninterrupted one"
            )
        log(f"resuming {out} at step {state.step}")
    n_params = sum(p.numel() for p in model.parameters())
    log(
        f"{n_params / 1e6:.2f} M parameters ({sum(p.numel() for p in params) / 1e6:.2f} M trained), "
        f"{sum(f.tokens for f in train_files) / 1e6:.2f} M training tokens, {cfg.tokens_per_step} tokens/step"
    )

    forward = torch.compile(model) if cfg.run.compile else model
    writer = _tensorboard(cfg, state.step, log)
    config_json = cfg.model_dump(mode="json")
    stop = cfg.optim.max_steps if max_steps is None else min(max_steps, cfg.optim.max_steps)
    bar = tqdm(
        total=cfg.optim.max_steps,
        initial=state.step,
        desc=out.name,
        unit="step",
        disable=not progress,
        dynamic_ncols=True,
    )
    say = (lambda message: bar.write(message, file=sys.stderr)) if progress else log
    wall_start, wall_base = time.perf_counter(), state.seconds
    rate = None
    model.train()
    with _StopRequest() as stop_request:
        while state.step < stop:
            step_start = time.perf_counter()
            lr = lr_at(state.step, cfg.optim)
            for group in optimizer.param_groups:
                group["lr"] = lr
            train_loss, grad_norm = train_step(forward, sampler, optimizer, params, cfg)
            state.step += 1
            state.tokens += cfg.tokens_per_step
            state.train_losses.append(train_loss)
            step_rate = cfg.tokens_per_step / (time.perf_counter() - step_start)
            rate = step_rate if rate is None else 0.9 * rate + 0.1 * step_rate
            if writer is not None:
                for tag, value in (
                    ("train/loss", train_loss),
                    ("train/lr", lr),
                    ("train/grad_norm", grad_norm),
                    ("train/tokens_per_second", step_rate),
                ):
                    writer.add_scalar(tag, value, state.step)
            bar.update(1)
            bar.set_postfix(loss=f"{train_loss:.3f}", lr=f"{lr:.1e}", tok_s=f"{rate:.0f}")

            if state.step % cfg.run.eval_interval == 0 or state.step == cfg.optim.max_steps:
                val = _validate(model, forward, val_windows, names, cfg.run.bf16)
                entry = {
                    "step": state.step,
                    "tokens": state.tokens,
                    "train_loss": train_loss,
                    "val_loss": val["val_loss"],
                    "val_ppl": math.exp(val["val_loss"]),
                    "val_loss_by_corpus": val["per_corpus"],
                }
                state.history.append(entry)
                if writer is not None:
                    writer.add_scalar("val/loss", entry["val_loss"], state.step)
                    writer.add_scalar("val/perplexity", entry["val_ppl"], state.step)
                    for name, value in val["per_corpus"].items():
                        writer.add_scalar(f"val/loss/{name}", value, state.step)
                if val["val_loss"] < state.best_val:
                    state.best_val, state.best_step = val["val_loss"], state.step
                    best = {n: p.detach().clone() for n, p in named}
                say(
                    f"step {state.step}: train {train_loss:.3f}, val {entry['val_loss']:.3f} "
                    f"(ppl {entry['val_ppl']:.1f})"
                )

            state.seconds = wall_base + time.perf_counter() - wall_start
            if state.step % cfg.run.checkpoint_interval == 0 or state.step == stop or stop_request.requested:
                save_checkpoint(
                    out,
                    named,
                    best,
                    optimizer,
                    sampler.state_dict(),
                    state,
                    config_json,
                    cfg.run.keep_checkpoints,
                )
            if stop_request.requested:
                say(f"stopped at step {state.step}; continue with `fabula train run CONFIG --resume`")
                break
    bar.close()
    if writer is not None:
        writer.close()

    complete = state.step >= cfg.optim.max_steps
    summary = {
        "complete": complete,
        "steps": state.step,
        "max_steps": cfg.optim.max_steps,
        "tokens_seen": state.tokens,
        "seconds": round(state.seconds, 1),
        "tokens_per_second": round(state.tokens / max(state.seconds, 1e-9)),
        "parameters": n_params,
        "vocab_size": model.config.vocab_size,
        "control_tokens": controls,
        "best_step": state.best_step,
        "best_val_loss": state.best_val,
        "best_val_ppl": math.exp(state.best_val) if math.isfinite(state.best_val) else None,
        "history": state.history,
        "config": config_json,
    }
    if best is not None:
        with torch.no_grad():
            for name, p in named:
                p.copy_(best[name])
        if complete and cfg.run.test_eval:
            summary["test"] = _test_perplexity(model, cfg, tokenizer_dir, controls)
        _export(model, strategy, tokenizer_dir, out / "model", summary)
    else:
        log("no validation yet, so nothing to export")
    (out / "training.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False), encoding="utf-8")
    summary["train_losses"] = state.train_losses
    return summary


def _test_perplexity(
    model: torch.nn.Module, cfg: TrainConfig, tokenizer_dir: Path, controls: list[str]
) -> dict:
    fmt = eval_formatter(cfg.data, controls, cfg.run.seed)
    report: dict = {}
    total = count = 0.0
    for spec in cfg.data.corpora:
        tf = token_file(spec.name, "test", tokenizer_dir, fmt, cfg.data.lang)
        if tf.tokens < 2:
            continue
        nats, n = stream_loss(model, tf.array(), cfg.model.context, cfg.optim.batch_size)
        report[spec.name] = {
            "tokens": n,
            "loss": nats / n,
            "perplexity": math.exp(nats / n),
            "bits_per_character": nats / math.log(2) / max(tf.characters, 1),
        }
        total, count = total + nats, count + n
    if count:
        report["all"] = {"tokens": int(count), "loss": total / count, "perplexity": math.exp(total / count)}
    return report


def _export(
    model: torch.nn.Module, strategy: TrainableParams, tokenizer_dir: Path, folder: Path, summary: dict
) -> None:
    """Write the model, its tokenizer and training.json to `folder`, replacing it atomically."""
    from transformers.utils import logging as hf_logging

    tmp = folder.with_name(f".{folder.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    bars_were_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # transformers' "Writing model shards" bar
    try:
        strategy.save(model, tmp)
    finally:
        if bars_were_on:
            hf_logging.enable_progress_bar()
    for name in _TOKENIZER_FILES:
        if (tokenizer_dir / name).exists():
            shutil.copy2(tokenizer_dir / name, tmp / name)
    (tmp / "training.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False), encoding="utf-8")
    old = folder.with_name(f".{folder.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    tmp.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
