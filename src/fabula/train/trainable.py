"""The hook that decides which parameters train and how the result is saved.

The training loop knows nothing about fine-tuning methods: it asks a
`TrainableParams` strategy for the parameters to optimise, checkpoints exactly
those, and asks the strategy to save the finished model. Full training is the
built-in strategy; LoRA or adapters plug in by implementing the same two
methods (`select` may add modules to the model before returning their
parameters) and registering a name in `STRATEGIES`, chosen by `run.trainable`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable

import torch

from fabula.errors import FabulaError

__all__ = ["STRATEGIES", "FullTraining", "TrainableParams", "trainable_params"]


@runtime_checkable
class TrainableParams(Protocol):
    name: str

    def select(self, model: torch.nn.Module) -> list[tuple[str, torch.nn.Parameter]]:
        """Prepare `model`, set `requires_grad`, and return the parameters to train, by name."""
        ...

    def save(self, model: torch.nn.Module, folder: Path) -> None:
        """Write the trained model to `folder` so it loads as a checkpoint (or an adapter)."""
        ...


class FullTraining:
    """Every parameter trains; the result is a complete Hugging Face checkpoint."""

    name = "full"

    def select(self, model: torch.nn.Module) -> list[tuple[str, torch.nn.Parameter]]:
        for p in model.parameters():
            p.requires_grad_(True)
        return list(model.named_parameters())  # tied weights appear once

    def save(self, model: torch.nn.Module, folder: Path) -> None:
        model.save_pretrained(str(folder), safe_serialization=True)


STRATEGIES: dict[str, Callable[[], TrainableParams]] = {"full": FullTraining}


def trainable_params(name: str) -> TrainableParams:
    if name not in STRATEGIES:
        raise FabulaError(
            f"No trainable-parameter strategy '{name}'. Known: {', '.join(sorted(STRATEGIES))}."
        )
    return STRATEGIES[name]()
