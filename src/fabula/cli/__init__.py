"""The `fabula` command line: one small module per command group."""

from __future__ import annotations

import importlib

import typer
from typer.core import TyperGroup

from fabula.errors import FabulaError


class FabulaGroup(TyperGroup):
    """Shows a `FabulaError` as a one-line message, not a traceback."""

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except FabulaError as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(1) from exc


app = typer.Typer(
    cls=FabulaGroup,
    help="Fabula: write stories, poems and screenplays with language models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Command groups, each in its own module exposing `app` (a Typer) or `register(app)`.
_GROUPS = {"project": "fabula.cli.project", "log": "fabula.cli.log", "serve": "fabula.cli.serve", "bench": "fabula.cli.bench",
    "data": "fabula.cli.data", "train": "fabula.cli.train", "poem": "fabula.cli.poem"}
_GROUPS["continue"] = "fabula.cli.continue_"
_GROUPS["story"] = "fabula.cli.story"
_GROUPS["screenplay"] = "fabula.cli.screenplay"
_GROUPS["eval"] = "fabula.cli.eval"
_COMMANDS = ("fabula.cli.generate", "fabula.cli.infill", "fabula.cli.models")

for _module in _COMMANDS:
    importlib.import_module(_module).register(app)
for _name, _module in _GROUPS.items():
    app.add_typer(importlib.import_module(_module).app, name=_name)


def main() -> None:
    import sys

    from fabula.cli.eval import run_shorthand
    from fabula.cli.poem import write_shorthand

    app(args=run_shorthand(write_shorthand(sys.argv[1:])))
