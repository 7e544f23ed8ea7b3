"""The catalogue of poem forms: data files, registered the way a plugin would be.

Every form is a `[[form]]` table in a TOML file. The files come from folders
named by entry points in the `fabula.forms` group; Fabula's own folder
(`fabula/forms/data/`) is registered there too (pyproject.toml), so a plugin
package adds forms with one entry point and a folder of TOML files:

    [project.entry-points."fabula.forms"]
    my_forms = "my_package:forms_folder"   # a function returning a Path

A form table:

    [[form]]
    name = "五言绝句"              # what users call it
    aliases = ["wujue", "五绝"]    # ASCII and short names, matched case-insensitively
    lang = "zh"                   # "zh" or "en"
    checker = "zh-shi"            # a name in CHECKERS: the code that applies `params`
    description = "..."
    [form.params]                 # whatever the checker reads
    lines = 4
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from fabula.plugins import catalog_folders, read_catalog_file
from fabula.errors import FabulaError
from fabula.forms.report import PoemReport

__all__ = ["CHECKERS", "Form", "UnknownForm", "all_forms", "builtin_forms", "check_poem", "get_form"]

ENTRY_POINT_GROUP = "fabula.forms"

# Checker name -> "module:function" taking (form, lines) and returning a PoemReport.
CHECKERS: dict[str, str] = {
    "zh-shi": "fabula.forms.chinese.shi:check",
    "zh-ci": "fabula.forms.chinese.ci:check",
    "en-verse": "fabula.forms.english.verse:check",
}


class UnknownForm(FabulaError):
    """A form name that no catalogue file defines."""


@dataclass(frozen=True)
class Form:
    name: str
    lang: str
    checker: str
    description: str = ""
    aliases: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""  # the file it came from

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


def builtin_forms() -> Path:
    """Fabula's own catalogue folder (registered as the `builtin` entry point)."""
    return Path(__file__).parent / "data"


def _folders() -> list[Path]:
    return catalog_folders(ENTRY_POINT_GROUP, builtin_forms())


def _read(path: Path) -> list[Form]:
    tables = read_catalog_file(path, "Form catalogue").get("form", [])
    forms = []
    for t in tables:
        missing = [k for k in ("name", "lang", "checker") if k not in t]
        if missing:
            raise FabulaError(f"A form in {path} lacks {', '.join(missing)}.")
        if t["checker"] not in CHECKERS:
            raise FabulaError(f"Form {t['name']} in {path}: unknown checker {t['checker']!r} ({', '.join(CHECKERS)}).")
        forms.append(
            Form(
                name=t["name"],
                lang=t["lang"],
                checker=t["checker"],
                description=t.get("description", ""),
                aliases=tuple(t.get("aliases", ())),
                params=t.get("params", {}),
                source=str(path),
            )
        )
    return forms


@cache
def all_forms() -> dict[str, Form]:
    """Every form by its name, built-in first; a later file may not redefine a name or alias."""
    forms: dict[str, Form] = {}
    taken: dict[str, str] = {}
    for folder in _folders():
        for path in sorted(folder.glob("*.toml")):
            for form in _read(path):
                for key in form.names:
                    k = key.casefold()
                    if k in taken:
                        raise FabulaError(f"Form name {key!r} in {path} is already used by {taken[k]}.")
                    taken[k] = form.name
                forms[form.name] = form
    return forms


def get_form(name: str) -> Form:
    """A form by name or alias (case-insensitive for ASCII aliases)."""
    wanted = name.strip().casefold()
    for form in all_forms().values():
        if wanted in (n.casefold() for n in form.names):
            return form
    known = ", ".join(f"{f.name} ({'/'.join(f.aliases)})" if f.aliases else f.name for f in all_forms().values())
    raise UnknownForm(f"No poem form called {name!r}. Known forms: {known}. See `fabula poem forms`.")


def _checker(name: str) -> Callable[[Form, list[str]], PoemReport]:
    module, _, func = CHECKERS[name].partition(":")
    return getattr(importlib.import_module(module), func)


def check_poem(text: str, form: Form | str) -> PoemReport:
    """Check a poem (one verse line per text line; blank lines separate stanzas) against a form."""
    form = get_form(form) if isinstance(form, str) else form
    lines = [line.strip() for line in text.splitlines()]
    return _checker(form.checker)(form, lines)
