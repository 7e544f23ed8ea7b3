"""`fabula continue`: alternatives after a document's text, kept as a tree in the project store.

`fabula continue PROJECT DOCUMENT` is short for `fabula continue next PROJECT DOCUMENT`; the other
subcommands (write, choose, reject, undo, tree, show, commit) act on the same tree. Every command
opens the store afresh, so a tree and its undo history carry over between runs.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click
import typer
from typer.core import TyperGroup

from fabula.backends import resolve
from fabula.cli.generate import condition, options_from_flags
from fabula.errors import InvalidOptions
from fabula.store import Document, NotFound, Store, open_store


class _NextByDefault(TyperGroup):
    """Routes `continue PROJECT DOCUMENT ...` to `continue next ...` (anything not a subcommand)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] != "--help":
            args = ["next", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_NextByDefault,
    help="Continue a document with alternatives to choose from; every branch is kept.",
    no_args_is_help=True,
)

_PROJECT = typer.Argument(..., help="Project name or id (create one with `fabula project new NAME`).")
_DOCUMENT = typer.Argument(..., help="Document title within the project.")
_PICK = typer.Argument(..., help="An alternative's number after the current text (1, 2, ...) or an id (#12).")


@app.command("next")
def next_(
    project: str = _PROJECT,
    document: str = _DOCUMENT,
    n: int = typer.Option(3, "--n", "-n", help="Alternatives, sampled together."),
    words: int = typer.Option(60, "--words", "-w", help="Most words per alternative."),
    model: str = typer.Option(None, "--model", "-m", help="Model spec (default: $FABULA_MODEL or house:en)."),
    seed: int = typer.Option(None, "--seed", help="Seed for reproducible alternatives."),
    temperature: float = typer.Option(0.8, "--temperature", "-t", help="0 = greedy."),
    top_p: float = typer.Option(0.95, "--top-p", help="Nucleus sampling mass."),
    text: str = typer.Option(
        None, "--text", help="First add this file (- for stdin) as your own passage; creates the document."
    ),
    control: list[str] = typer.Option([], "--control", "-c", help="House models: a control KEY=VALUE."),
    title: str = typer.Option(None, "--title", help="House models: a title (or theme) to write to."),
) -> None:
    """Sample N alternatives after the current text and print them numbered (stored as candidates)."""
    options = options_from_flags(temperature=temperature, top_p=top_p, n=n)
    backend = resolve(model)
    condition(backend, control, title)
    with open_store() as store:
        doc = _document(store, project, document, create=text is not None)
        if text is not None:
            _branches().write(store, doc, _read(text))
        nodes = _branches().continue_text(store, backend, doc, n=n, words=words, seed=seed, options=options)
        head = store.branch_head(doc)  # the head does not move: the new nodes are its children
        siblings = [] if head is None else [c.id for c in store.branch_children(head)]
    for node in nodes:
        typer.echo(f"--- {siblings.index(node.id) + 1} (#{node.id}) ---\n{node.text.strip()}\n")
    typer.echo(f"Keep one with `fabula continue choose {_args(project, document)} K`.", err=True)


@app.command("write")
def write(
    project: str = _PROJECT,
    document: str = _DOCUMENT,
    text: str = typer.Option("-", "--text", help="A file with your passage (- or nothing: standard input)."),
) -> None:
    """Add your own passage after the current text (creates the document if needed)."""
    with open_store() as store:
        node = _branches().write(store, _document(store, project, document, create=True), _read(text))
    count = len(node.text.split())
    words = f"{count} word{'' if count == 1 else 's'}"
    typer.echo(f"Added #{node.id} (written, {words}); it ends the current text now.")


@app.command("choose")
def choose(project: str = _PROJECT, document: str = _DOCUMENT, pick: str = _PICK) -> None:
    """Accept an alternative: it joins the current text; the others stay in the tree."""
    with open_store() as store:
        node = _branches().choose(store, _document(store, project, document), pick)
    typer.echo(f"Accepted #{node.id}. Take it back with `fabula continue undo {_args(project, document)}`.")


@app.command("reject")
def reject(project: str = _PROJECT, document: str = _DOCUMENT, pick: str = _PICK) -> None:
    """Mark an alternative rejected (kept in the tree; it can still be chosen)."""
    with open_store() as store:
        node = _branches().reject(store, _document(store, project, document), pick)
    typer.echo(f"Rejected #{node.id} (kept in the tree).")


@app.command("undo")
def undo(project: str = _PROJECT, document: str = _DOCUMENT) -> None:
    """Step back over the last choice or written passage (repeat to go further back)."""
    with open_store() as store:
        head = _branches().undo(store, _document(store, project, document))
    if head is None:
        typer.echo("Stepped back to the start: no text is accepted now (every passage is still in the tree).")
    else:
        typer.echo(f"Stepped back: the current text ends with #{head.id} now.")


@app.command("tree")
def tree(project: str = _PROJECT, document: str = _DOCUMENT) -> None:
    """Every passage and alternative, with ids, status and first words."""
    with open_store() as store:
        typer.echo(_branches().render_tree(store, _document(store, project, document)))


@app.command("show")
def show(
    project: str = _PROJECT,
    document: str = _DOCUMENT,
    passages: bool = typer.Option(False, "--passages", help="One passage a paragraph, with id and origin."),
) -> None:
    """The current (accepted) text: from the first passage to the head."""
    with open_store() as store:
        doc = _document(store, project, document)
        head = store.branch_head(doc)
        path = [] if head is None else store.branch_path(head)
    if passages:
        for node in path:
            origin = node.model if node.provenance == "generated" else node.provenance
            typer.echo(f"[#{node.id} {origin}] {node.text.strip()}")
        return
    typer.echo(_branches().accepted_text(path).strip())


@app.command("commit")
def commit(
    project: str = _PROJECT,
    document: str = _DOCUMENT,
    message: str = typer.Option("", "--message", "-m", help="What this version is."),
    author: str = typer.Option("", "--author", help="Who accepted it."),
) -> None:
    """Save the current text as the document's next version, with provenance per passage."""
    with open_store() as store:
        version = _branches().commit(store, _document(store, project, document), message, author)
    typer.echo(
        f"Committed version {version.number} of '{document}' ({len(version.passages)} passages): "
        f"{version.message}."
    )


def _branches():  # type: ignore[no-untyped-def]
    """The branches module, imported on first use: it loads torch, and `fabula --help` should not wait."""
    from fabula.story import branches

    return branches


def _document(store: Store, project: str, title: str, create: bool = False) -> Document:
    found = [d for d in store.documents(project) if d.title == title]
    if found:
        return found[0]
    if create:
        return store.create_document(project, title)
    raise NotFound(
        f"Project '{project}' has no document '{title}': start it with "
        f"`fabula continue {_args(project, title)} --text FILE`."
    )


def _read(source: str) -> str:
    if source == "-":
        if sys.stdin.isatty():
            raise InvalidOptions("Pipe your passage in, or give a file with --text FILE.")
        return sys.stdin.read()
    path = Path(source)
    if not path.is_file():
        raise InvalidOptions(f"No file {source}: give a text file with --text FILE (or --text - for stdin).")
    return path.read_text(encoding="utf-8")


def _args(project: str, document: str) -> str:
    return f"{shlex.quote(project)} {shlex.quote(document)}"
