"""The one training loop (pre-training now; fine-tuning strategies plug in later).

AdamW with decay on matrices only, linear warmup then cosine decay, gradient
accumulation, bf16 autocast on CPU, gradient clipping, periodic validation
perplexity, atomic checkpoints with exact resume (model, optimiser, step,
every RNG), a progress bar, and export of the best model as a Hugging Face
checkpoint that `hf:` and `house:` load.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from fabula.data.corpus import read_split
from fabula.train.config import TrainConfig
from fabula.train.dataset import Windows, tokenize_split
from fabula.train.tokenizer import control_tokens, train_tokenizer


def lr_at(step: int, cfg: TrainConfig) -> float:
    o = cfg.optim
    if step < o.warmup_steps:
        return o.lr * (step + 1) / o.warmup_steps
    progress = min(1.0, (step - o.warmup_steps) / max(1, o.max_steps - o.warmup_steps))
    return o.min_lr + 0.5 * (o.lr - o.min_lr) * (1 + math.cos(math.pi * progress))


def prepare_tokenizer(cfg: TrainConfig):  # type: ignore[no-untyped-def]
    """Train the tokenizer once per run folder (control tokens from the corpora's labels)."""
    from transformers import AutoTokenizer

    folder = cfg.run.out / "tokenizer"
    if not (folder / "tokenizer.json").exists():
        texts, specials = [], set()
        for name in cfg.data.corpora:
            for doc in read_split(name, "train"):
                texts.append(doc.text)
                specials.update(control_tokens(doc.meta))
        train_tokenizer(texts, sorted(specials), cfg.model.vocab_size, folder)
    return AutoTokenizer.from_pretrained(str(folder))


def build_model(cfg: TrainConfig, tokenizer):  # type: ignore[no-untyped-def]
    from transformers import LlamaConfig, LlamaForCausalLM

    m = cfg.model
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=m.hidden_size, intermediate_size=m.intermediate_size,
        num_hidden_layers=m.layers, num_attention_heads=m.heads, num_key_value_heads=m.heads,
        max_position_embeddings=m.context, rope_theta=m.rope_theta, tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(cfg.run.seed)
    return LlamaForCausalLM(config)


def _loss(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Next-token cross-entropy; `y` is `x` shifted by one already."""
    logits = model(input_ids=x).logits  # (B, T, V)
    return torch.nn.functional.cross_entropy(logits.float().flatten(0, 1), y.reshape(-1))


def _optimizer(model: torch.nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    decay = [p for p in model.parameters() if p.requires_grad and p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.dim() < 2]
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.optim.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.optim.lr, betas=(0.9, 0.95),
    )


@torch.no_grad()
def evaluate(model: torch.nn.Module, windows: Windows, batches: int, batch_size: int, bf16: bool) -> float:
    """Mean validation loss over fixed windows (same windows every call)."""
    model.eval()
    state = windows.state()
    windows.rng = np.random.default_rng(1234)
    losses = []
    for _ in range(batches):
        x, y = windows.batch(batch_size)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            losses.append(float(_loss(model, x, y)))
    windows.restore(state)
    model.train()
    return sum(losses) / len(losses)


def train(cfg: TrainConfig, resume: bool = False, max_steps: int | None = None) -> dict:
    torch.set_num_threads(cfg.run.threads)
    out = cfg.run.out
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = prepare_tokenizer(cfg)
    train_w = Windows(tokenize_split(tokenizer, cfg.data.corpora, "train"), cfg.model.context, cfg.run.seed)
    val_w = Windows(tokenize_split(tokenizer, cfg.data.corpora, "validation"), cfg.model.context, cfg.run.seed)
    model = build_model(cfg, tokenizer)
    optimizer = _optimizer(model, cfg)
    state = {"step": 0, "best_val": float("inf"), "tokens": 0, "seconds": 0.0, "history": []}
    ckpt = out / "checkpoint.pt"
    if resume and ckpt.exists():
        state = _load_checkpoint(ckpt, model, optimizer, train_w)
    stop = min(cfg.optim.max_steps, max_steps or cfg.optim.max_steps)
    per_step = cfg.optim.batch_size * cfg.optim.grad_accum * cfg.model.context
    bar = tqdm(total=stop, initial=state["step"], desc="train", unit="step")
    started = time.perf_counter() - state["seconds"]
    model.train()
    while state["step"] < stop:
        step = state["step"]
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, cfg)
        for _ in range(cfg.optim.grad_accum):
            x, y = train_w.batch(cfg.optim.batch_size)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.run.bf16):
                loss = _loss(model, x, y) / cfg.optim.grad_accum
            loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.optim.clip)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        state["step"] += 1
        state["tokens"] += per_step
        state["seconds"] = time.perf_counter() - started
        bar.update(1)
        bar.set_postfix(loss=f"{float(loss.detach()) * cfg.optim.grad_accum:.3f}",
                        tok_s=f"{state['tokens'] / max(state['seconds'], 1e-9):.0f}")
        if state["step"] % cfg.run.eval_interval == 0 or state["step"] == stop:
            val = evaluate(model, val_w, cfg.run.eval_batches, cfg.optim.batch_size, cfg.run.bf16)
            state["history"].append({"step": state["step"], "train_loss": float(loss) * cfg.optim.grad_accum,
                                     "val_loss": val, "val_ppl": math.exp(val), "tokens": state["tokens"]})
            if val < state["best_val"]:
                state["best_val"] = val
                _export(model, tokenizer, out / "model")
        if state["step"] % cfg.run.checkpoint_interval == 0 or state["step"] == stop:
            _save_checkpoint(ckpt, model, optimizer, train_w, state)
    bar.close()
    summary = {"steps": state["step"], "tokens": state["tokens"], "seconds": round(state["seconds"], 1),
               "best_val_loss": state["best_val"], "best_val_ppl": math.exp(state["best_val"]),
               "parameters": sum(p.numel() for p in model.parameters()), "history": state["history"]}
    (out / "training.json").write_text(json.dumps(summary, indent=2))
    return summary


def _export(model: torch.nn.Module, tokenizer, folder: Path) -> None:  # type: ignore[no-untyped-def]
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(str(tmp), safe_serialization=True)
    tokenizer.save_pretrained(str(tmp))
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)


def _save_checkpoint(path: Path, model, optimizer, windows: Windows, state: dict) -> None:  # type: ignore[no-untyped-def]
    payload = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "state": state,
               "windows": windows.state(), "torch_rng": torch.get_rng_state(), "python_rng": random.getstate()}
    tmp = path.with_suffix(".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)


def _load_checkpoint(path: Path, model, optimizer, windows: Windows) -> dict:  # type: ignore[no-untyped-def]
    payload = torch.load(path, weights_only=False)
    model.load_state_dict(payload["model"])
    optimizer.load_state_dict(payload["optimizer"])
    windows.restore(payload["windows"])
    torch.set_rng_state(payload["torch_rng"])
    random.setstate(payload["python_rng"])
    return payload["state"]
