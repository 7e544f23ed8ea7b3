"""`fabula screenplay check|export|stats`: Fountain files checked, exported and measured."""

from __future__ import annotations

import json
from pathlib import Path

import typer

app = typer.Typer(
    help="Screenplays in Fountain: check a file, export it to PDF, Final Draft or Fountain, count pages and parts.",
    no_args_is_help=True,
)


@app.command("check")
def check(file: Path = typer.Argument(..., help="A Fountain file (.fountain).")) -> None:
    """List what looks wrong, by line (errors and warnings); exit 1 if there are errors."""
    from fabula.screenplay.check import check_screenplay
    from fabula.screenplay.files import read_text
    from fabula.screenplay.layout import paginate

    sp, problems = check_screenplay(read_text(file))
    scenes = len(sp.scenes())
    for problem in problems:
        typer.echo(problem.render(str(file)))
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    pages = paginate(sp).count
    typer.echo(
        f"{file}: {_count(scenes, 'scene')}, {_count(pages, 'page')}; "
        f"{_count(errors, 'error')}, {_count(warnings, 'warning')}"
    )
    if errors:
        raise typer.Exit(1)


@app.command("export")
def export(
    file: Path = typer.Argument(..., help="A Fountain (.fountain) or Final Draft (.fdx) file."),
    output: Path = typer.Option(..., "--output", "-o", help="The file to write: .pdf, .fdx or .fountain."),
) -> None:
    """Write the screenplay as a PDF in standard layout, Final Draft XML, or canonical Fountain."""
    from fabula.screenplay.files import export as export_file
    from fabula.screenplay.files import read
    from fabula.screenplay.layout import paginate

    sp = read(file)
    export_file(sp, output)
    pages = paginate(sp).count
    typer.echo(f"Wrote {output} ({_count(len(sp.scenes()), 'scene')}, {_count(pages, 'page')})")


@app.command("stats")
def stats(
    file: Path = typer.Argument(..., help="A Fountain (.fountain) or Final Draft (.fdx) file."),
    as_json: bool = typer.Option(False, "--json", help="Print the statistics as JSON."),
) -> None:
    """Pages (about a minute each), scenes, speaking parts with their speeches, lines and words,
    INT/EXT and DAY/NIGHT shares."""
    from fabula.screenplay.files import read
    from fabula.screenplay.stats import stats as screenplay_stats

    result = screenplay_stats(read(file))
    typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) if as_json else result.render())


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
