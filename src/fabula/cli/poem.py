"""`fabula poem check|forms|write`: poem forms, the line-by-line checker, and writing in a form."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import typer

from fabula.errors import FabulaError

app = typer.Typer(
    help="Poem forms: check a poem line by line against a form, or write one in it.", no_args_is_help=True
)


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


ZH_DEFAULT_MODEL = "house:zh-poetry"


@app.command("write")
def write(
    form: str = typer.Option(
        ..., "--form", "-f", help="A form name or alias: 五绝/wujue, 七绝/qijue, 五律/wulv, 七律/qilv."
    ),
    theme: str = typer.Option(
        None, "--theme", help="What the poem is about (used as the title when none is given)."
    ),
    title: str = typer.Option(None, "--title", help="The poem's title (conditions the house model)."),
    heads: str = typer.Option(
        None, "--heads", help="Acrostic (藏头): the first character of each line, e.g. 春江花月."
    ),
    model: str = typer.Option(
        None, "--model", "-m", help=f"Model spec (default for Chinese forms: {ZH_DEFAULT_MODEL})."
    ),
    n: int = typer.Option(1, "--n", "-n", min=1, max=64, help="How many poems."),
    seed: int = typer.Option(None, "--seed", help="Seed for reproducible poems."),
    temperature: float = typer.Option(
        0.8, "--temperature", "-t", min=0.0, max=5.0, help="Sampling temperature."
    ),
    report: bool = typer.Option(False, "--report", help="Print each poem's form report on stderr."),
) -> None:
    """Write poems whose form holds by construction; the poems on stdout, title, report and timing on stderr.

    Each poem is printed one couplet per line, poems separated by a blank line. With a backend that
    cannot constrain decoding (OpenAI-compatible servers), lines are resampled until the form holds or
    a budget is spent; a poem that still breaks the form is printed with a warning and exit status 1.
    """
    from fabula.backends import resolve
    from fabula.forms import get_form
    from fabula.forms.compose import ENGLISH_NOT_IMPLEMENTED, compose

    form_ = get_form(form)
    if form_.lang != "zh":
        raise FabulaError(f"{form_.name}: {ENGLISH_NOT_IMPLEMENTED}.")
    backend = resolve(model or ZH_DEFAULT_MODEL)
    backend.load()
    t0 = time.perf_counter()
    poems = compose(
        form_, backend, theme=theme, title=title, heads=heads, n=n, seed=seed, temperature=temperature
    )
    elapsed = time.perf_counter() - t0
    failed = 0
    for k, poem in enumerate(poems):
        if k:
            typer.echo("")
        if poem.title:
            typer.echo(f"《{poem.title}》", err=True)
        typer.echo(poem.text)
        if report:
            typer.echo(poem.report.render(), err=True)
        if not poem.ok:
            failed += 1
            typer.echo(
                f"warning: could not make this poem hold the form in {poem.attempts} attempts "
                f"({', '.join(poem.report.broken_rules())}); {backend.spec} cannot constrain decoding.",
                err=True,
            )
    how = "constrained decoding" if all(p.constrained for p in poems) else "generate, check and repair"
    typer.echo(f"{len(poems)} {form_.name} from {backend.spec} in {elapsed:.2f} s ({how}).", err=True)
    if failed:
        raise typer.Exit(1)
