"""Training configuration: a TOML (or YAML) file validated when it is loaded.

    [model]      the Llama shape (head size 64; the vocabulary comes from the tokenizer)
    [tokenizer]  byte-level BPE for English, one token per character for Chinese
    [data]       corpora and their mixing, control tokens, titles, fill-in-the-middle
    [optim]      AdamW, warmup + cosine schedule, batch and accumulation, clipping
    [run]        output folder, evaluation and checkpoint cadence, seed, bf16, compile

Every section forbids unknown keys, so a typo is an error, not a silent default.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from fabula.errors import FabulaError

__all__ = [
    "CONFIG_DIR",
    "CorpusSpec",
    "DataConfig",
    "ModelConfig",
    "OptimConfig",
    "RunConfig",
    "TokenizerConfig",
    "TrainConfig",
    "load_config",
    "shipped_configs",
]

CONFIG_DIR = Path(__file__).parent / "configs"
HEAD_SIZE = 64  # llama.cpp's CPU kernels are fastest with heads of 64


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelConfig(_Strict):
    """A Llama decoder; the vocabulary size is taken from the trained tokenizer."""

    hidden_size: int = Field(256, ge=64, description="Width of the residual stream; heads × 64.")
    layers: int = Field(4, ge=1, le=64, description="Number of transformer blocks.")
    heads: int | None = Field(
        None, ge=1, description="Attention heads of size 64 (default hidden_size / 64)."
    )
    kv_heads: int | None = Field(
        None, ge=1, description="Key/value heads for grouped-query attention (default: heads)."
    )
    intermediate_size: int = Field(768, ge=64, description="Width of the SwiGLU feed-forward layer.")
    context: int = Field(256, ge=8, description="Tokens per training window; the model's context length.")
    rope_theta: float = Field(10000.0, gt=0, description="Base of the rotary position embedding.")
    tie_embeddings: bool = Field(True, description="Share the input embedding and the output projection.")
    init_std: float = Field(0.02, gt=0, description="Standard deviation of the initial weights.")

    @model_validator(mode="after")
    def _head_size_64(self) -> ModelConfig:
        if self.hidden_size % HEAD_SIZE:
            raise ValueError(
                f"hidden_size {self.hidden_size} must be a multiple of 64 (attention heads of size 64)"
            )
        heads = self.hidden_size // HEAD_SIZE
        if self.heads is None:
            self.heads = heads
        elif self.heads != heads:
            raise ValueError(
                f"heads {self.heads} × 64 ≠ hidden_size {self.hidden_size}: heads must be of size 64, "
                f"so use heads = {heads} or hidden_size = {self.heads * HEAD_SIZE}"
            )
        if self.kv_heads is None:
            self.kv_heads = self.heads
        elif self.heads % self.kv_heads:
            raise ValueError(f"kv_heads {self.kv_heads} must divide heads {self.heads}")
        return self


class TokenizerConfig(_Strict):
    """How the run's tokenizer is trained (once, from the train splits)."""

    kind: Literal["bpe", "char"] = Field(
        "bpe", description="bpe: byte-level BPE (English). char: one token per character (Chinese poetry)."
    )
    vocab_size: int = Field(
        8192,
        ge=300,
        le=65536 * 4,
        description="bpe: the vocabulary size, special tokens included. "
        "char: an upper bound (the most frequent characters are kept).",
    )
    min_frequency: int = Field(
        2,
        ge=1,
        description="bpe: a pair must occur this often to be merged. char: a character must occur "
        "this often to get its own token.",
    )
    fallback: Literal["bytes", "unk"] = Field(
        "bytes",
        description="char only: characters below the cut are spelt in UTF-8 bytes (lossless; the "
        "tokenizer stays byte-level BPE, so GGUF export works) or become <unk>.",
    )
    path: Path | None = Field(
        None, description="Use this trained tokenizer folder (tokenizer.json) instead of training one."
    )


class CorpusSpec(_Strict):
    name: str = Field(min_length=1, description="A prepared corpus (`fabula data prepare NAME`).")
    weight: float | None = Field(
        None, gt=0, description="Share of training windows drawn from this corpus (default: by its size)."
    )


class DataConfig(_Strict):
    """Which documents, and how each becomes a training sequence."""

    corpora: list[CorpusSpec] = Field(min_length=1, description="Corpora, as names or {name, weight} tables.")
    lang: Literal["en", "zh"] | None = Field(None, description="Keep only documents whose meta.lang is this.")
    control_keys: list[str] = Field(
        ["source", "genre", "style", "form", "tune"],
        description="Meta keys that become control tokens such as <genre=mystery>, in this order.",
    )
    control_min_count: int = Field(
        1, ge=1, description="A label value needs this many training documents to get a control token."
    )
    control_dropout: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Each control token is left out with this probability, so prompts may "
        "give any subset of them (or none).",
    )
    title_rate: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Fraction of documents whose meta.title precedes the text as <title>…</title>.",
    )
    fim_rate: float = Field(
        0.0, ge=0, le=1, description="Fraction of pieces rewritten for fill-in-the-middle (PSM order)."
    )
    fim_piece_chars: int = Field(
        1024,
        ge=16,
        description="Documents are cut at line ends into pieces of about this many characters "
        "before fill-in-the-middle, so a piece fits one training window.",
    )

    @field_validator("corpora", mode="before")
    @classmethod
    def _names_are_specs(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value

    @model_validator(mode="after")
    def _weights_all_or_none(self) -> DataConfig:
        given = [c.weight is not None for c in self.corpora]
        if any(given) and not all(given):
            raise ValueError("give every corpus a weight, or none (then corpora are mixed by size)")
        names = [c.name for c in self.corpora]
        if len(set(names)) != len(names):
            raise ValueError(f"a corpus is listed twice: {names}")
        for key in self.control_keys:
            if not key.isidentifier():
                raise ValueError(f"control key {key!r} must be a plain name such as 'genre'")
        return self


class OptimConfig(_Strict):
    """AdamW with linear warmup then cosine decay to min_lr."""

    lr: float = Field(1e-3, gt=0, description="Peak learning rate, reached after warmup.")
    min_lr: float = Field(1e-4, ge=0, description="Learning rate at the end of the cosine decay.")
    warmup_steps: int = Field(100, ge=0, description="Optimiser steps of linear warmup.")
    max_steps: int = Field(
        2000, ge=1, description="Optimiser steps in the whole run (the schedule's length)."
    )
    batch_size: int = Field(16, ge=1, description="Windows per micro-batch.")
    grad_accum: int = Field(1, ge=1, description="Micro-batches accumulated per optimiser step.")
    weight_decay: float = Field(0.1, ge=0, description="Decoupled weight decay, on matrices only.")
    beta1: float = Field(0.9, ge=0, lt=1, description="AdamW β1.")
    beta2: float = Field(0.95, ge=0, lt=1, description="AdamW β2.")
    clip: float = Field(1.0, gt=0, description="Clip the global gradient norm to this.")

    @model_validator(mode="after")
    def _consistent(self) -> OptimConfig:
        if self.min_lr > self.lr:
            raise ValueError(f"min_lr {self.min_lr} is above lr {self.lr}")
        if self.warmup_steps >= self.max_steps:
            raise ValueError(
                f"warmup_steps {self.warmup_steps} must be fewer than max_steps {self.max_steps}"
            )
        return self


class RunConfig(_Strict):
    out: Path = Field(description="Run folder: tokenizer, checkpoints, TensorBoard logs, exported model.")
    eval_interval: int = Field(200, ge=1, description="Measure validation loss every this many steps.")
    eval_batches: int = Field(
        20, ge=1, description="Micro-batches of fixed validation windows per evaluation."
    )
    checkpoint_interval: int = Field(
        200, ge=1, description="Write a resumable checkpoint every this many steps."
    )
    keep_checkpoints: int = Field(2, ge=1, description="How many recent checkpoints to keep.")
    seed: int = Field(0, ge=0, description="Seeds initial weights, window sampling, FIM spans and dropouts.")
    bf16: bool = Field(True, description="bfloat16 autocast on CPU (weights and optimiser stay float32).")
    compile: bool = Field(False, description="torch.compile the model (slower start, faster steps).")
    threads: int = Field(2, ge=1, description="torch intra-op threads.")
    tensorboard: bool = Field(True, description="Write TensorBoard scalars to <out>/tensorboard.")
    trainable: str = Field("full", description="Which parameters train and how they are saved: full.")
    test_eval: bool = Field(True, description="Measure test perplexity of the best model when the run ends.")


class TrainConfig(_Strict):
    description: str = Field("", description="What this run is for.")
    model: ModelConfig
    tokenizer: TokenizerConfig = Field(default_factory=TokenizerConfig)
    data: DataConfig
    optim: OptimConfig
    run: RunConfig

    @model_validator(mode="after")
    def _fits(self) -> TrainConfig:
        if self.run.eval_interval > self.optim.max_steps:
            raise ValueError(
                f"run.eval_interval {self.run.eval_interval} exceeds optim.max_steps {self.optim.max_steps}: "
                "the run would never be validated"
            )
        return self

    @property
    def tokens_per_step(self) -> int:
        return self.optim.batch_size * self.optim.grad_accum * self.model.context


def shipped_configs() -> list[Path]:
    return sorted(p for p in CONFIG_DIR.iterdir() if p.suffix in (".toml", ".yaml", ".yml"))


def _format_errors(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "(top level)"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown setting (extra keys are not permitted; check the spelling)"
        lines.append(f"  {where}: {message}")
    return "\n".join(lines)


def parse_config(raw: dict[str, Any], source: str = "config") -> TrainConfig:
    try:
        return TrainConfig.model_validate(raw)
    except ValidationError as exc:
        raise FabulaError(f"Invalid training config {source}:\n{_format_errors(exc)}") from exc


def load_config(path: Path | str) -> TrainConfig:
    """Read and validate a TOML or YAML config; a bare name finds a shipped config."""
    path = Path(path)
    if not path.exists() and (CONFIG_DIR / path).exists():
        path = CONFIG_DIR / path
    if not path.exists():
        shipped = ", ".join(p.name for p in shipped_configs())
        raise FabulaError(f"No config file {path}. Give a path, or one of the shipped configs: {shipped}.")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix in (".yaml", ".yml"):
            import yaml

            raw = yaml.safe_load(text) or {}
        else:
            raw = tomllib.loads(text)
    except Exception as exc:  # tomllib and yaml syntax errors
        raise FabulaError(f"Cannot parse training config {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise FabulaError(f"Training config {path} must be a table of sections ([model], [data], ...).")
    return parse_config(raw, str(path))
