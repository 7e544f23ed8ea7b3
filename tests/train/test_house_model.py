"""A model trained by the loop, used as a house model: control headers, titles, infill, the CLI."""

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fabula.backends import GenerationOptions, resolve
from fabula.cli import app
from fabula.errors import InvalidOptions
from fabula.house.prompt import BOS, FIM_MIDDLE, FIM_PREFIX, FIM_SUFFIX, ModelControls
from fabula.train.config import TrainConfig
from fabula.train.loop import train

runner = CliRunner()


@pytest.fixture
def house_mine(tiny_config: TrainConfig, fabula_home: Path) -> str:
    train(tiny_config, progress=False)
    shutil.copytree(tiny_config.run.out / "model", fabula_home / "house" / "mine")
    return "house:mine"


def test_trained_model_knows_its_controls_and_fim(house_mine: str, fabula_home: Path) -> None:
    controls = ModelControls.of(fabula_home / "house" / "mine")
    assert controls.values("genre") == ["mystery", "romance"]
    assert controls.fim and "genre" in controls.keys


def test_header_carries_controls_and_title_and_refuses_unknown_values(house_mine: str) -> None:
    backend = resolve(house_mine)
    assert backend.header == BOS + "\n"  # a locally trained model has no catalogue defaults
    backend.condition({"genre": "mystery"}, title="The  Key")
    assert backend.header == f"{BOS}<genre=mystery><title>The Key</title>\n"
    with pytest.raises(InvalidOptions, match="Choose one of: mystery, romance"):
        backend.condition({"genre": "horror"})
    with pytest.raises(InvalidOptions, match="no control 'colour'"):
        backend.condition({"colour": "red"})
    assert backend.header.startswith(f"{BOS}<genre=mystery>")  # a refused change leaves it as it was


def test_conditioning_changes_what_the_model_sees(house_mine: str) -> None:
    backend = resolve(house_mine)
    plain = backend.score("The inspector", " counted").total
    backend.condition({"genre": "mystery"})
    assert backend.score("The inspector", " counted").total != plain


def test_infill_generates_until_end_of_text(house_mine: str) -> None:
    backend = resolve(house_mine)
    before, after = "The lamps along the harbour", " that night."
    done = backend.infill(before, after, GenerationOptions(max_tokens=40, seed=3, n=2))
    assert len(done) == 2 and all(c.token_ids for c in done)
    assert all(FIM_MIDDLE not in c.text for c in done)


def test_cli_generate_with_control_and_infill_logs_the_fim_prompt(house_mine: str) -> None:
    result = runner.invoke(
        app, ["generate", "--model", house_mine, "-c", "genre=romance", "--max-tokens", "5", "--seed", "1", "Rain"]
    )
    assert result.exit_code == 0, result.output
    bad = runner.invoke(app, ["generate", "--model", house_mine, "-c", "genre", "Rain"])
    assert bad.exit_code == 1 and "KEY=VALUE" in bad.output
    result = runner.invoke(app, ["infill", "--model", house_mine, "--max-tokens", "5", "--seed", "1", "Rain", "gold."])
    assert result.exit_code == 0, result.output
    log = runner.invoke(app, ["log", "--json", "-n", "1"])
    entry = json.loads(log.output.splitlines()[0])
    assert f"{FIM_PREFIX}Rain{FIM_SUFFIX}gold.{FIM_MIDDLE}" in entry["prompt"]


def test_control_on_a_plain_checkpoint_is_refused(tiny_checkpoint: Path) -> None:
    result = runner.invoke(app, ["generate", "--model", f"hf:{tiny_checkpoint}", "-c", "genre=x", "Once"])
    assert result.exit_code == 1 and "work with house models" in result.output
