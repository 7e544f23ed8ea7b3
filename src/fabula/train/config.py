"""Training configuration: a TOML file validated when loaded."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from fabula.errors import FabulaError

CONFIG_DIR = Path(__file__).parent / "configs"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelConfig(_Strict):
    hidden_size: int = Field(256, ge=64, description="Width; a multiple of 64 (head size is 64).")
    layers: int = Field(4, ge=1)
    intermediate_size: int = Field(768, ge=64)
    context: int = Field(256, ge=16, description="Tokens per training window and the model's context.")
    vocab_size: int = Field(4096, ge=300, description="BPE vocabulary including special tokens.")
    rope_theta: float = 10000.0

    @model_validator(mode="after")
    def _head_size_64(self) -> ModelConfig:
        if self.hidden_size % 64:
            raise ValueError("hidden_size must be a multiple of 64 (attention heads of size 64)")
        return self

    @property
    def heads(self) -> int:
        return self.hidden_size // 64


class DataConfig(_Strict):
    corpora: list[str] = Field(min_length=1, description="Prepared corpora (`fabula data prepare`).")


class OptimConfig(_Strict):
    lr: float = Field(1e-3, gt=0)
    min_lr: float = Field(1e-4, ge=0)
    warmup_steps: int = Field(100, ge=0)
    max_steps: int = Field(2000, ge=1)
    batch_size: int = Field(16, ge=1)
    grad_accum: int = Field(1, ge=1)
    weight_decay: float = Field(0.1, ge=0)
    clip: float = Field(1.0, gt=0)


class RunConfig(_Strict):
    out: Path = Field(description="Run folder: checkpoints, logs, exported model.")
    eval_interval: int = Field(200, ge=1)
    eval_batches: int = Field(20, ge=1)
    checkpoint_interval: int = Field(200, ge=1)
    seed: int = 0
    bf16: bool = True
    threads: int = Field(2, ge=1)


class TrainConfig(_Strict):
    model: ModelConfig
    data: DataConfig
    optim: OptimConfig
    run: RunConfig


def load_config(path: Path) -> TrainConfig:
    """Read and validate a TOML training config, with errors that name the field."""
    if not path.exists() and (CONFIG_DIR / path).exists():
        path = CONFIG_DIR / path
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        return TrainConfig.model_validate(raw)
    except FileNotFoundError as exc:
        shipped = ", ".join(p.name for p in CONFIG_DIR.glob("*.toml"))
        raise FabulaError(f"No config file {path}. Shipped configs: {shipped}.") from exc
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise FabulaError(f"Invalid training config {path}: {exc}") from exc
