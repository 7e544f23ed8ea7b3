"""The one training loop on a tiny real model: loss goes down, resume is exact, the export loads."""

import json
import math
import shutil
from pathlib import Path

import pytest
import torch

from fabula.errors import FabulaError
from fabula.train.config import TrainConfig
from fabula.train.evaluate import bigram_perplexity, evaluate_checkpoint
from fabula.train.loop import lr_at, train
from fabula.train.trainable import FullTraining, TrainableParams

from .conftest import with_run


def test_schedule_warms_up_linearly_then_decays_by_cosine_to_min(tiny_config: TrainConfig) -> None:
    o = tiny_config.optim
    assert lr_at(0, o) == pytest.approx(o.lr / o.warmup_steps)
    assert lr_at(o.warmup_steps - 1, o) == pytest.approx(o.lr)
    assert lr_at(o.warmup_steps, o) == pytest.approx(o.lr)
    middle = o.warmup_steps + (o.max_steps - o.warmup_steps) // 2
    assert lr_at(middle, o) == pytest.approx((o.lr + o.min_lr) / 2, rel=0.05)
    assert lr_at(o.max_steps, o) == pytest.approx(o.min_lr)


def test_training_reduces_loss_and_exports_a_loadable_checkpoint(tiny_config: TrainConfig) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    summary = train(tiny_config, progress=False)
    val = [h["val_loss"] for h in summary["history"]]
    assert val[-1] < val[0] - 0.5
    assert summary["train_losses"][-1] < summary["train_losses"][0] - 1.0
    assert summary["tokens_seen"] == 40 * 8 * 32 and summary["complete"]

    exported = tiny_config.run.out / "model"
    for name in (
        "config.json",
        "model.safetensors",
        "generation_config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "training.json",
    ):
        assert (exported / name).exists(), name
    model = AutoModelForCausalLM.from_pretrained(exported)
    tok = AutoTokenizer.from_pretrained(exported)
    assert model.config.head_dim == 64 and model.config.num_attention_heads == 1
    assert model.config.vocab_size == len(tok) and model.config.tie_word_embeddings
    assert (
        model.config.bos_token_id == tok.bos_token_id == 0 and model.config.eos_token_id == tok.eos_token_id
    )
    ids = tok("<|bos|><genre=mystery>\nThe", return_tensors="pt", add_special_tokens=False).input_ids
    out = model.generate(ids, max_new_tokens=8, do_sample=False)
    assert out.shape[1] > ids.shape[1]

    meta = json.loads((exported / "training.json").read_text())
    assert meta["best_val_loss"] == min(val) and meta["tokens_seen"] == summary["tokens_seen"]
    assert 1 < meta["test"]["tiny"]["perplexity"] < 320 and meta["config"]["model"]["hidden_size"] == 64


def test_resume_after_interrupt_reproduces_the_uninterrupted_run(
    tiny_config: TrainConfig, tmp_path: Path
) -> None:
    cfg = with_run(tiny_config, bf16=True)
    whole = train(with_run(cfg, out=tmp_path / "whole"), progress=False)

    broken = with_run(cfg, out=tmp_path / "broken")
    train(broken, max_steps=17, progress=False)  # stopped at 17: a checkpoint is written there
    shutil.rmtree(broken.run.out / "checkpoints" / "step-00000017")  # as if killed before it: resume from 10
    resumed = train(broken, resume=True, progress=False)

    assert resumed["train_losses"] == whole["train_losses"]
    assert [h["val_loss"] for h in resumed["history"]] == [h["val_loss"] for h in whole["history"]]
    assert resumed["test"] == whole["test"]
    a = (tmp_path / "whole" / "model" / "model.safetensors").read_bytes()
    assert a == (tmp_path / "broken" / "model" / "model.safetensors").read_bytes()


def test_a_finished_run_folder_is_not_overwritten(tiny_config: TrainConfig) -> None:
    train(tiny_config, max_steps=10, progress=False)
    with pytest.raises(FabulaError, match="--resume"):
        train(tiny_config, progress=False)


def test_tensorboard_scalars_are_written(tiny_config: TrainConfig) -> None:
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    train(with_run(tiny_config, checkpoint_interval=40), max_steps=20, progress=False)
    events = EventAccumulator(str(tiny_config.run.out / "tensorboard"))
    events.Reload()
    tags = events.Tags()["scalars"]
    assert {
        "train/loss",
        "train/lr",
        "train/grad_norm",
        "val/loss",
        "val/perplexity",
        "val/loss/tiny",
    } <= set(tags)
    assert [e.step for e in events.Scalars("val/loss")] == [10, 20]


def test_checkpoint_perplexity_matches_training_and_beats_a_bigram(tiny_config: TrainConfig) -> None:
    summary = train(tiny_config, progress=False)
    report = evaluate_checkpoint(tiny_config.run.out / "model", ["tiny"], "test", baseline=True)
    assert report["corpora"]["tiny"]["perplexity"] == pytest.approx(
        summary["test"]["tiny"]["perplexity"], rel=1e-4
    )
    assert report["tokens"] == summary["test"]["tiny"]["tokens"]
    assert report["corpora"]["tiny"]["bigram_baseline"]["perplexity"] > 1


def test_bigram_perplexity_by_hand() -> None:
    import numpy as np

    alternating = np.array([0, 1] * 50)
    assert bigram_perplexity(alternating, alternating, vocab=2, k=1e-9) == pytest.approx(1.0, abs=1e-6)
    assert bigram_perplexity(np.array([0]), np.array([1, 2, 3]), vocab=4, k=1.0) == pytest.approx(4.0)


def test_the_trainable_hook_decides_what_trains(
    tiny_config: TrainConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fabula.train import trainable

    class NormsOnly(FullTraining):
        name = "norms"

        def select(self, model: torch.nn.Module) -> list[tuple[str, torch.nn.Parameter]]:
            chosen = []
            for name, p in model.named_parameters():
                p.requires_grad_("norm" in name)
                if "norm" in name:
                    chosen.append((name, p))
            return chosen

    assert isinstance(NormsOnly(), TrainableParams)
    monkeypatch.setitem(trainable.STRATEGIES, "norms", NormsOnly)
    cfg = with_run(tiny_config, trainable="norms", test_eval=False)
    summary = train(cfg, max_steps=10, progress=False)
    assert math.isfinite(summary["best_val_loss"])
    from safetensors.torch import load_file

    saved = load_file(str(cfg.run.out / "checkpoints" / "step-00000010" / "trainable.safetensors"))
    assert saved and all("norm" in name for name in saved)


def test_chinese_poetry_run_with_a_character_tokenizer(
    tmp_path: Path, zh_corpus: str, tiny_config: TrainConfig
) -> None:
    from transformers import AutoTokenizer

    data = tiny_config.data.model_validate(
        {"corpora": [zh_corpus], "lang": "zh", "title_rate": 1.0, "control_keys": ["form", "tune"]}
    )
    cfg = tiny_config.model_copy(
        update={
            "data": data,
            "tokenizer": tiny_config.tokenizer.model_copy(
                update={"kind": "char", "min_frequency": 1, "vocab_size": 1000}
            ),
        }
    )
    summary = train(with_run(cfg, out=tmp_path / "zh"), max_steps=10, progress=False)
    assert summary["control_tokens"] == ["<form=七言绝句>", "<form=五言绝句>", "<form=词>", "<tune=如梦令>"]
    tok = AutoTokenizer.from_pretrained(tmp_path / "zh" / "model")
    assert len(tok.encode("床前明月光", add_special_tokens=False)) == 5


def test_a_run_refuses_a_tokenizer_trained_with_other_settings(tiny_config: TrainConfig) -> None:
    train(tiny_config, max_steps=10, progress=False)
    bigger = tiny_config.model_copy(
        update={"tokenizer": tiny_config.tokenizer.model_copy(update={"vocab_size": 400})}
    )
    with pytest.raises(FabulaError, match=r"other \[tokenizer\] or \[data\] settings"):
        train(bigger, resume=True, progress=False)


def test_the_exported_model_runs_in_fabulas_own_backend(tiny_config: TrainConfig) -> None:
    from fabula.backends import GenerationOptions, resolve

    train(with_run(tiny_config, test_eval=False), progress=False)
    backend = resolve(f"hf:{tiny_config.run.out / 'model'}")
    [out] = backend.generate("<|bos|><genre=mystery>\nThe", GenerationOptions(max_tokens=8, temperature=0))
    assert out.token_ids
