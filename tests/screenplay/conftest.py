"""Fixtures: hand-written Fountain files (tests/screenplay/fixtures/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fabula.screenplay import Screenplay, parse

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def ferry_text() -> str:
    """A realistic four-page sequence: five scenes, three speaking parts and a voice on the radio."""
    return (FIXTURES / "last_ferry.fountain").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def every_text() -> str:
    """Every Fountain element, forced and natural, in one short file."""
    return (FIXTURES / "every_element.fountain").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def ferry(ferry_text: str) -> Screenplay:
    return parse(ferry_text)


@pytest.fixture(scope="session")
def every(every_text: str) -> Screenplay:
    return parse(every_text)
