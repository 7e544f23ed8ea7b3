"""The catalogue of house models (data file) and where their folders live."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fabula.paths import PACKAGE_DIR, home

CATALOG_FILE = PACKAGE_DIR / "house" / "catalog.toml"
SHIPPED_DIR = PACKAGE_DIR / "house" / "models"


@dataclass(frozen=True)
class HouseModel:
    name: str
    description: str
    lang: str
    path: Path
    # Control values every prompt starts with unless the caller overrides them (see house/prompt.py).
    controls: Mapping[str, str] = field(default_factory=dict)

    @property
    def installed(self) -> bool:
        return (self.path / "config.json").exists()


def user_dir() -> Path:
    """Where `fabula train` exports models that `house:<name>` then finds."""
    return home() / "house"


def house_models() -> dict[str, HouseModel]:
    """Catalogue entries plus locally trained models, by name."""
    entries = tomllib.loads(CATALOG_FILE.read_text(encoding="utf-8"))["models"]
    models = {
        name: HouseModel(
            name, entry["description"], entry["lang"], SHIPPED_DIR / name, dict(entry.get("controls", {}))
        )
        for name, entry in entries.items()
    }
    local = user_dir()
    if local.exists():
        for folder in sorted(p for p in local.iterdir() if (p / "config.json").exists()):
            models[folder.name] = HouseModel(folder.name, "trained locally", "?", folder)
    return models
