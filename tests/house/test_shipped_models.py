"""The house models shipped in the package: present, complete, loadable, and better than noise."""

import json
import random

import pytest

from fabula.backends import GenerationOptions, resolve
from fabula.house.catalog import SHIPPED_DIR, house_models

SHIPPED = sorted(name for name, m in house_models().items() if m.path.parent == SHIPPED_DIR)
# Held-out text in each model's language (not from the training corpora).
SENTENCES = {
    "en": "The old woman opened the door and looked out at the rain falling on the quiet street.",
    "zh-poetry": "白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。",
}
FILES = ("config.json", "model.safetensors", "tokenizer.json", "fabula_tokenizer.json", "training.json")


def test_both_house_models_are_in_the_catalogue() -> None:
    assert SHIPPED == ["en", "zh-poetry"]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_is_complete_and_its_training_finished(name: str) -> None:
    folder = SHIPPED_DIR / name
    for file in FILES:
        assert (folder / file).exists(), f"{folder / file} is missing"
    training = json.loads((folder / "training.json").read_text(encoding="utf-8"))
    assert training["complete"] and training["steps"] == training["config"]["optim"]["max_steps"]


@pytest.mark.parametrize("name", SHIPPED)
def test_catalogue_controls_are_known_to_the_model(name: str) -> None:
    backend = resolve(f"house:{name}")
    assert backend.header.startswith("<|bos|>") and backend.header.endswith("\n")


@pytest.mark.parametrize("name", SHIPPED)
def test_generation_is_seeded(name: str) -> None:
    backend = resolve(f"house:{name}")
    options = GenerationOptions(max_tokens=12, seed=5, temperature=0.8)
    first = backend.generate("", options)[0]
    assert first.token_ids and first.token_ids == backend.generate("", options)[0].token_ids


@pytest.mark.parametrize("name", SHIPPED)
def test_model_prefers_real_text_to_the_same_words_shuffled(name: str) -> None:
    """A trained model scores a sentence far above a shuffle of its own tokens; noise would not."""
    backend = resolve(f"house:{name}")
    text = SENTENCES[name]
    units = text.split(" ") if " " in text else list(text)
    shuffled = units[:]
    random.Random(0).shuffle(shuffled)
    joined = (" " if " " in text else "").join(shuffled)
    real, scrambled = backend.score("", text), backend.score("", joined)
    assert real.total > scrambled.total + 10  # nats


@pytest.mark.parametrize("name", SHIPPED)
def test_structure_and_control_tokens_are_never_generated(name: str) -> None:
    backend = resolve(f"house:{name}")
    special = backend.special_ids
    assert len(special) >= 7 + len(backend.controls.tokens)  # <|bos|> <|pad|> <fim_*> <title> ... and controls
    assert not special & backend.tokenizer.eos_token_ids  # a document may still end
    options = GenerationOptions(n=16, max_tokens=64, seed=2, temperature=1.2)
    for c in backend.generate("", options):
        assert not special & set(c.token_ids), c.text
    [middle] = backend.infill("It was", "the end.", GenerationOptions(max_tokens=24, seed=1)) if backend.controls.fim else [None]
    assert middle is None or not special & set(middle.token_ids)
