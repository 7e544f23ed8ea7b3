"""Perplexity of a model on a corpus split, and of a smoothed bigram baseline on the same tokens.

Held-out perplexity is measured over every token of the split: the token
stream is cut into consecutive windows of the model's context, each scored
from its own start. The split is formatted as in training (control tokens,
titles) but without fill-in-the-middle or control dropout, so the number is
plain conditioned language-model perplexity.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import torch

from fabula.errors import FabulaError, ModelNotFound
from fabula.train.config import DataConfig
from fabula.train.dataset import token_file
from fabula.train.formatting import Formatter
from fabula.train.tokenizer import control_tokens_of

__all__ = ["bigram_perplexity", "eval_formatter", "evaluate_checkpoint", "stream_loss"]


def eval_formatter(data: DataConfig, controls: list[str], seed: int) -> Formatter:
    """The formatting of validation and test splits: as in training, minus FIM and control dropout."""
    return Formatter(
        tuple(data.control_keys), frozenset(controls), 0.0, data.title_rate, 0.0, data.fim_piece_chars, seed
    )


@torch.no_grad()
def stream_loss(
    model: torch.nn.Module, tokens: np.ndarray, context: int, batch_size: int = 16, bf16: bool = False
) -> tuple[float, int]:
    """Summed next-token cross-entropy (nats) over consecutive windows of a token stream, and the count."""
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    starts = list(range(0, max(len(tokens) - 1, 0), context))
    for i in range(0, len(starts), batch_size):
        rows = [np.asarray(tokens[s : s + context + 1], dtype=np.int64) for s in starts[i : i + batch_size]]
        for length in sorted({len(r) for r in rows}):  # the last window may be short
            batch = torch.from_numpy(np.stack([r for r in rows if len(r) == length]))
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                logits = model(input_ids=batch[:, :-1], use_cache=False).logits
            total += float(
                torch.nn.functional.cross_entropy(
                    logits.float().flatten(0, 1), batch[:, 1:].reshape(-1), reduction="sum"
                )
            )
            count += batch[:, 1:].numel()
    model.train(was_training)
    return total, count


def _summary(total: float, count: int, characters: int) -> dict:
    loss = total / max(count, 1)
    return {
        "tokens": count,
        "loss": loss,
        "perplexity": math.exp(loss),
        "bits_per_character": total / math.log(2) / max(characters, 1),
    }


def evaluate_checkpoint(
    model_dir: Path, corpora: list[str], split: str = "test", baseline: bool = False, bf16: bool = False
) -> dict:
    """Perplexity of an exported model (config.json + weights + tokenizer) on corpus splits.

    Formatting settings come from the model's `training.json` when it has one.
    """
    from transformers import AutoModelForCausalLM

    model_dir = Path(model_dir)
    if not (model_dir / "config.json").exists() and (model_dir / "model" / "config.json").exists():
        model_dir = model_dir / "model"  # a run folder: its exported model
    if not (model_dir / "config.json").exists():
        raise ModelNotFound(
            f"No checkpoint in {model_dir} (config.json missing). Train one with `fabula train run`."
        )
    meta_file = model_dir / "training.json"
    meta = json.loads(meta_file.read_text(encoding="utf-8")) if meta_file.exists() else {}
    data = (
        DataConfig.model_validate(meta["config"]["data"]) if "config" in meta else DataConfig(corpora=corpora)
    )
    seed = meta.get("config", {}).get("run", {}).get("seed", 0)
    formatter = eval_formatter(data, control_tokens_of(model_dir), seed)
    model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=torch.float32).eval()
    context = model.config.max_position_embeddings
    report: dict = {"model": str(model_dir), "split": split, "corpora": {}}
    grand = [0.0, 0, 0]
    for name in corpora:
        tf = token_file(name, split, model_dir, formatter, data.lang)
        if tf.tokens < 2:
            raise FabulaError(f"Corpus '{name}' has no {split} text to measure.")
        total, count = stream_loss(model, tf.array(), context, bf16=bf16)
        entry = _summary(total, count, tf.characters)
        if baseline:
            vocab = model.get_input_embeddings().weight.shape[0]
            fit = token_file(name, "train", model_dir, formatter, data.lang).array()
            tune = token_file(name, "validation", model_dir, formatter, data.lang).array()
            k = min((0.01, 0.03, 0.1, 0.3, 1.0), key=lambda k: bigram_perplexity(fit, tune, vocab, k))
            entry["bigram_baseline"] = {"k": k, "perplexity": bigram_perplexity(fit, tf.array(), vocab, k)}
        report["corpora"][name] = entry
        grand = [grand[0] + total, grand[1] + count, grand[2] + tf.characters]
    report.update(_summary(*grand))
    return report


def bigram_perplexity(train: np.ndarray, test: np.ndarray, vocab: int, k: float = 0.1) -> float:
    """Add-k smoothed bigram model fitted on `train`, scored on `test`: the baseline to beat.

    Counts are kept sparse (pair codes), so large vocabularies cost no V×V table.
    """
    train = np.asarray(train, dtype=np.int64)
    test = np.asarray(test, dtype=np.int64)
    codes, counts = np.unique(train[:-1] * vocab + train[1:], return_counts=True)
    rows = np.bincount(train[:-1], minlength=vocab).astype(np.float64)
    query = test[:-1] * vocab + test[1:]
    at = np.clip(np.searchsorted(codes, query), 0, max(len(codes) - 1, 0))
    pair = (
        np.where((len(codes) > 0) & (codes[at] == query), counts[at], 0)
        if len(codes)
        else np.zeros(len(query))
    )
    probs = (pair + k) / (rows[test[:-1]] + k * vocab)
    return float(math.exp(-np.log(probs).mean()))
