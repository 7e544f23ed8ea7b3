"""Resumable checkpoints, written atomically.

    <out>/checkpoints/step-00000200/
        trainable.safetensors   the parameters being trained, now
        best.safetensors        the same parameters at the lowest validation loss so far
        optimizer.pt            AdamW state (the schedule is a function of the step)
        rng.pt                  torch, NumPy and Python RNG states
        state.json              step, tokens, time, history, best, sampler state, config

A checkpoint is written into a hidden temporary folder and renamed into place,
so a run killed mid-write leaves the previous checkpoint intact; the newest
complete `step-*` folder is the one `--resume` continues from.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from fabula.errors import FabulaError

__all__ = ["TrainState", "latest_checkpoint", "load_checkpoint", "save_checkpoint"]


@dataclass
class TrainState:
    """Everything about a run's progress that is not a tensor."""

    step: int = 0
    tokens: int = 0
    seconds: float = 0.0
    best_val: float = float("inf")
    best_step: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)  # one entry per evaluation
    train_losses: list[float] = field(default_factory=list)  # one per optimiser step


def checkpoint_dir(out: Path) -> Path:
    return out / "checkpoints"


def latest_checkpoint(out: Path) -> Path | None:
    folders = sorted(checkpoint_dir(out).glob("step-*")) if checkpoint_dir(out).exists() else []
    return folders[-1] if folders else None


def _tensors(named: list[tuple[str, torch.nn.Parameter]]) -> dict[str, torch.Tensor]:
    return {name: p.detach().to("cpu", copy=True).contiguous() for name, p in named}


def save_checkpoint(
    out: Path,
    named: list[tuple[str, torch.nn.Parameter]],
    best: dict[str, torch.Tensor] | None,
    optimizer: torch.optim.Optimizer,
    sampler_state: dict,
    state: TrainState,
    config: dict,
    keep: int = 2,
) -> Path:
    from safetensors.torch import save_file

    root = checkpoint_dir(out)
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"step-{state.step:08d}"
    tmp = root / f".step-{state.step:08d}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    save_file(_tensors(named), str(tmp / "trainable.safetensors"))
    if best is not None:
        save_file(best, str(tmp / "best.safetensors"))
    torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
    torch.save(
        {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()},
        tmp / "rng.pt",
    )
    payload = {"state": asdict(state), "sampler": sampler_state, "config": config}
    (tmp / "state.json").write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    for old in sorted(root.glob("step-*"))[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def load_checkpoint(
    folder: Path, named: list[tuple[str, torch.nn.Parameter]], optimizer: torch.optim.Optimizer
) -> tuple[TrainState, dict, dict[str, torch.Tensor] | None, dict]:
    """Restore parameters, optimiser and RNGs in place.

    Returns the train state, the sampler state, the best weights so far and the run's config.
    """
    from safetensors.torch import load_file

    saved = load_file(str(folder / "trainable.safetensors"))
    wrong = [name for name, p in named if name not in saved or saved[name].shape != p.shape]
    if wrong:
        raise FabulaError(
            f"Checkpoint {folder} does not fit this model ({', '.join(wrong[:3])} missing or of another "
            "shape): resume with the config it was trained with, or set run.out to a new folder."
        )
    with torch.no_grad():
        for name, p in named:
            p.copy_(saved[name])
    optimizer.load_state_dict(torch.load(folder / "optimizer.pt", weights_only=True))
    rng = torch.load(
        folder / "rng.pt", weights_only=False
    )  # our own file: NumPy and Python states are tuples
    torch.set_rng_state(rng["torch"])
    np.random.set_state(rng["numpy"])
    random.setstate(rng["python"])
    payload = json.loads((folder / "state.json").read_text(encoding="utf-8"))
    best_file = folder / "best.safetensors"
    best = load_file(str(best_file)) if best_file.exists() else None
    return TrainState(**payload["state"]), payload["sampler"], best, payload["config"]
