"""Training configs: every shipped one loads; bad ones fail with a message naming the field."""

from pathlib import Path

import pytest

from fabula.errors import FabulaError
from fabula.train.config import CONFIG_DIR, load_config, shipped_configs

TINY = (CONFIG_DIR / "tiny-test.toml").read_text()


@pytest.mark.parametrize("path", shipped_configs(), ids=lambda p: p.name)
def test_shipped_configs_load(path: Path) -> None:
    cfg = load_config(path)
    assert cfg.model.heads * 64 == cfg.model.hidden_size
    assert cfg.description


def test_a_bare_name_finds_a_shipped_config_and_a_missing_one_lists_them() -> None:
    assert load_config("tiny-test.toml").model.layers == 2
    with pytest.raises(FabulaError, match="house-en.toml"):
        load_config("no-such-config.toml")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("hidden_size = 64", "hidden_size = 100", "model: hidden_size 100 must be a multiple of 64"),
        ("hidden_size = 64", "hidden_size = 128\nheads = 4", "heads 4 × 64 ≠ hidden_size 128"),
        ("lr = 3e-3", "lr = 3e-3\nlearning_rate = 1", "optim.learning_rate: unknown setting"),
        ("min_lr = 3e-4", "min_lr = 0.1", "min_lr 0.1 is above lr"),
        ("warmup_steps = 5", "warmup_steps = 40", "warmup_steps 40 must be fewer than max_steps 40"),
        ("batch_size = 8", "batch_size = 0", "optim.batch_size: Input should be greater than or equal to 1"),
        ('kind = "bpe"', 'kind = "wordpiece"', "tokenizer.kind: Input should be 'bpe' or 'char'"),
        (
            'corpora = ["tiny"]',
            'corpora = [{name = "a", weight = 2}, "b"]',
            "give every corpus a weight, or none",
        ),
        ("fim_rate = 0.25", "fim_rate = 1.5", "data.fim_rate: Input should be less than or equal to 1"),
        ("eval_interval = 10", "eval_interval = 100", "eval_interval 100 exceeds optim.max_steps 40"),
    ],
)
def test_invalid_configs_name_the_problem(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in TINY
    bad = tmp_path / "bad.toml"
    bad.write_text(TINY.replace(old, new, 1))
    with pytest.raises(FabulaError, match=message):
        load_config(bad)


def test_missing_sections_and_syntax_errors_are_reported(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[model]\nhidden_size = 64\n")
    with pytest.raises(FabulaError, match=r"data: Field required"):
        load_config(bad)
    bad.write_text("[model\n")
    with pytest.raises(FabulaError, match="Cannot parse"):
        load_config(bad)


def test_yaml_configs_load_like_toml(tmp_path: Path) -> None:
    yaml = pytest.importorskip("yaml")
    import tomllib

    raw = tomllib.loads(TINY)
    raw["data"]["corpora"] = [{"name": "a", "weight": 3.0}, {"name": "b", "weight": 1.0}]
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(raw))
    cfg = load_config(path)
    assert [(c.name, c.weight) for c in cfg.data.corpora] == [("a", 3.0), ("b", 1.0)]
    assert cfg == load_config(CONFIG_DIR / "tiny-test.toml").model_copy(update={"data": cfg.data})
