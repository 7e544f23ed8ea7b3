"""The training loop on a tiny real model and corpus."""

import json
from pathlib import Path

import pytest

from fabula.backends import GenerationOptions, resolve
from fabula.data.corpus import Document, write_corpus
from fabula.errors import FabulaError
from fabula.train.config import CONFIG_DIR, TrainConfig, load_config
from fabula.train.loop import lr_at, train

PARAGRAPH = (
    "The lamps along the harbour burned low and gold. She opened the letter slowly, "
    "and the sea was calm that night. He smiled at her and said that he had come back. "
)


@pytest.fixture
def tiny_config(tmp_path: Path) -> TrainConfig:
    docs = [Document(f"d{i}", (PARAGRAPH * 3).replace("letter", f"letter {i}"), {"style": "test", "form": "prose"})
            for i in range(60)]
    write_corpus("tiny", docs, {"source": "test", "licence": "n/a"})
    cfg = load_config(Path("tiny-test.toml"))
    return cfg.model_copy(update={"run": cfg.run.model_copy(update={"out": tmp_path / "run", "bf16": False})})


@pytest.mark.parametrize("path", sorted(CONFIG_DIR.glob("*.toml")), ids=lambda p: p.name)
def test_shipped_configs_load(path: Path) -> None:
    assert load_config(path).model.heads >= 1


def test_invalid_configs_name_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text((CONFIG_DIR / "tiny-test.toml").read_text().replace("hidden_size = 64", "hidden_size = 100"))
    with pytest.raises(FabulaError, match="multiple of 64"):
        load_config(bad)
    bad.write_text((CONFIG_DIR / "tiny-test.toml").read_text() + "\n[extra]\nx = 1\n")
    with pytest.raises(FabulaError, match="extra"):
        load_config(bad)


def test_schedule_warms_up_then_decays_to_min(tiny_config: TrainConfig) -> None:
    o = tiny_config.optim
    assert lr_at(0, tiny_config) == pytest.approx(o.lr / o.warmup_steps)
    assert lr_at(o.warmup_steps, tiny_config) == pytest.approx(o.lr)
    assert lr_at(o.max_steps, tiny_config) == pytest.approx(o.min_lr)


def test_training_reduces_loss_and_exports_a_loadable_model(tiny_config: TrainConfig) -> None:
    summary = train(tiny_config)
    losses = [h["val_loss"] for h in summary["history"]]
    assert losses[-1] < losses[0] - 1.0
    exported = tiny_config.run.out / "model"
    out = resolve(f"hf:{exported}").generate("The lamps", GenerationOptions(max_tokens=8, temperature=0))
    assert out[0].text.strip()
    assert json.loads((tiny_config.run.out / "training.json").read_text())["steps"] == tiny_config.optim.max_steps


def test_resume_after_interrupt_reproduces_the_uninterrupted_run(tiny_config: TrainConfig, tmp_path: Path) -> None:
    whole = train(tiny_config)["history"]
    cfg = tiny_config.model_copy(update={"run": tiny_config.run.model_copy(update={"out": tmp_path / "resumed"})})
    train(cfg, max_steps=20)  # "interrupted" at a checkpoint
    resumed = train(cfg, resume=True)["history"]
    assert [h["val_loss"] for h in resumed] == [h["val_loss"] for h in whole]
