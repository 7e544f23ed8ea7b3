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
    rhymes: str = typer.Option(
        None,
        "--rhymes",
        help="Rhyme book for 近体诗 (五绝 七绝 五律 七律): pingshui (平水韵, classical tones, the default) "
        "or xinyun (中华新韵: modern Mandarin tones and 14 rhyme groups).",
    ),
    duizhang: bool = typer.Option(
        False,
        "--duizhang",
        help="律诗: fail the poem when the 颔联 or 颈联 is not 对仗 (parallel); without it that is a warning note.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Check every line (count, 平仄 or stress, rhyme) and the whole poem; exit 1 if it breaks the form."""
    from fabula.forms import check_poem, get_form

    form_ = get_form(form)
    if heads:
        form_ = replace(form_, params={**form_.params, "heads": heads})
    if rhymes:
        from fabula.forms.chinese.lexicon import BOOKS

        book = rhymes.strip().lower()
        if book not in BOOKS:
            raise FabulaError(f"--rhymes {rhymes}: choose {' or '.join(BOOKS)} ({', '.join(BOOKS.values())}).")
        if form_.checker != "zh-shi":
            raise FabulaError(f"--rhymes applies to 近体诗 forms (五绝 七绝 五律 七律), not {form_.name}.")
        form_ = replace(form_, params={**form_.params, "rhyme_book": book})
    if duizhang:
        if form_.checker != "zh-shi" or not form_.params.get("duizhang_couplets"):
            raise FabulaError(f"--duizhang applies to 律诗 (五律 七律), not {form_.name}.")
        form_ = replace(form_, params={**form_.params, "duizhang": True})
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


DEFAULT_MODELS = {"zh": "house:zh-poetry", "en": "house:en"}


def write(
    form: str = typer.Option(
        ..., "--form", "-f", help="A form or alias: 五绝/wujue, 七律/qilv, 如梦令, sonnet, limerick, haiku, ..."
    ),
    theme: str = typer.Option(
        None, "--theme", help="What the poem is about: its words are echoed (and it is the title if none is given)."
    ),
    title: str = typer.Option(None, "--title", help="The poem's title (conditions the house model)."),
    heads: str = typer.Option(
        None, "--heads", help="Acrostic (藏头): the first character or letter of each line, e.g. 春江花月, LOVE."
    ),
    model: str = typer.Option(
        None, "--model", "-m", help="Model spec (default: house:zh-poetry for Chinese forms, house:en for English)."
    ),
    n: int = typer.Option(1, "--n", "-n", min=1, max=64, help="How many poems."),
    seed: int = typer.Option(None, "--seed", help="Seed for reproducible poems."),
    temperature: float = typer.Option(
        0.8, "--temperature", "-t", min=0.0, max=5.0, help="Sampling temperature."
    ),
    lines: int = typer.Option(
        None, "--lines", min=1, max=200, help="Lines, for forms of any length (quatrains, couplets, free verse)."
    ),
    pattern: str = typer.Option(
        None, "--pattern", help="A 近体诗 pattern (e.g. 仄起首句入韵) or a 词牌 template name (default: any / 正体)."
    ),
    rhymes: str = typer.Option(
        None, "--rhymes", help="Rhyme book for 近体诗: pingshui (平水韵, the default) or xinyun (中华新韵)."
    ),
    report: bool = typer.Option(False, "--report", help="Print each poem's form report on stderr."),
) -> None:
    """Write poems whose form holds by construction; the poems on stdout, title, report and timing on stderr.

    Each poem is printed in its form's layout (a couplet per line for 诗, a 片 per line for 词, a verse
    line per line in English), poems separated by a blank line. With a backend that cannot constrain
    decoding (OpenAI-compatible servers), lines are resampled until the form holds or a budget is
    spent; a poem that still breaks the form is printed with a warning and exit status 1.
    """
    from fabula.backends import resolve
    from fabula.forms import get_form
    from fabula.forms.compose import compose

    form_ = get_form(form)
    backend = resolve(model or DEFAULT_MODELS[form_.lang])
    backend.load()
    t0 = time.perf_counter()
    poems = compose(
        form_, backend, theme=theme, title=title, heads=heads, n=n, seed=seed, temperature=temperature,
        lines=lines, pattern=pattern, rhyme_book=rhymes.strip().lower() if rhymes else None,
    )
    elapsed = time.perf_counter() - t0
    failed = 0
    for k, poem in enumerate(poems):
        if k:
            typer.echo("")
        if poem.title:
            typer.echo(f"《{poem.title}》" if form_.lang == "zh" else poem.title, err=True)
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




@app.command("index")
def index(
    corpora: list[str] = typer.Argument(..., help="Prepared corpora (`fabula data list`), e.g. tang_song_shi song_ci."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the index; name it lines.bloom in a model folder."),
    fp_rate: float = typer.Option(0.01, "--fp-rate", min=1e-6, max=0.5, help="False-positive rate of the filter."),
) -> None:
    """Index the verse lines of corpora, so poems copying them are rejected (a Bloom filter).

    A model folder with a `lines.bloom` is checked automatically by `poem write`: a poem with a line
    of the index is resampled. Build it from the corpora the model was trained on.
    """
    from fabula.forms.originality import build_index

    t0 = time.perf_counter()
    built = build_index(corpora, fp_rate=fp_rate)
    built.save(out)
    size = out.stat().st_size / 1e6
    typer.echo(
        f"{built.count:,} lines of {', '.join(corpora)} in {out} ({size:.1f} MB, {built.hashes} hashes, "
        f"{fp_rate:.1%} false positives) in {time.perf_counter() - t0:.0f} s.",
        err=True,
    )

app.command("write")(write)


def write_shorthand(argv: list[str]) -> list[str]:
    """`poem --form X ...` means `poem write --form X ...` (the form of the command the docs show)."""
    if argv[:1] == ["poem"] and len(argv) >= 2 and (argv[1] in ("--form", "-f") or argv[1].startswith("--form=")):
        return ["poem", "write", *argv[1:]]
    return argv
