"""`fabula poem check|forms`: poem forms and the line-by-line checker."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import typer

from fabula.errors import FabulaError

app = typer.Typer(help="Poem forms: check a poem line by line against a form.", no_args_is_help=True)


@app.command("check")
def check(
    file: Path = typer.Argument(..., help="The poem, one verse line per line ('-' reads standard input)."),
    form: str = typer.Option(..., "--form", "-f", help="A form name or alias, e.g. 五言绝句, wujue, sonnet."),
    heads: str = typer.Option(None, "--heads", help="Acrostic (藏头): the first character or letter of each line."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Check every line (count, 平仄 or stress, rhyme) and the whole poem; exit 1 if it breaks the form."""
    from fabula.forms import check_poem, get_form

    form_ = get_form(form)
    if heads:
        form_ = replace(form_, params={**form_.params, "heads": heads})
    if str(file) == "-":
        text = sys.stdin.read()
    elif not file.is_file():
        raise FabulaError(f"No poem file at {file}: give a text file with one verse line per line, or '-'.")
    else:
        text = file.read_text(encoding="utf-8")
    if not text.strip():
        raise FabulaError(f"{file} is empty: write the poem one verse line per line.")
    report = check_poem(text, form_)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        typer.echo(report.render())
    if not report.ok:
        raise typer.Exit(1)


@app.command("forms")
def forms() -> None:
    """List the forms in the catalogue with their aliases."""
    from fabula.forms import all_forms

    for f in all_forms().values():
        aliases = f" ({', '.join(f.aliases)})" if f.aliases else ""
        typer.echo(f"{f.name}{aliases} [{f.lang}]: {f.description}")
