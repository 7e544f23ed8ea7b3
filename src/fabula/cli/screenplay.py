"""`fabula screenplay`: write a screenplay from a logline, edit it level by level, and check,
export and measure Fountain files.

    fabula screenplay new "LOGLINE" [--name NAME] [-o FILE.fountain] [--pdf FILE.pdf] [--scenes 6]
    fabula screenplay plan NAME [--structure three-act] [--scenes 6]   # locked items are kept
    fabula screenplay lock NAME ID [--unlock]
    fabula screenplay edit NAME SCENE (--file FILE | --beat "..." --place ... --time ...)
    fabula screenplay draft NAME [SCENE ...] [--redraft]
    fabula screenplay alternatives NAME SCENE -n 3 [--choose K]
    fabula screenplay endings NAME [--kind happy --kind tragic]
    fabula screenplay show NAME [SCENE] [--plan]
    fabula screenplay export NAME|FILE -o FILE.fountain|.pdf|.fdx [--ending KIND]
    fabula screenplay check NAME|FILE;  fabula screenplay stats FILE

Fountain goes to stdout, progress to stderr; heavy modules load only inside the commands.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from fabula.errors import FabulaError

if TYPE_CHECKING:
    from fabula.backends.base import Backend
    from fabula.screenplay.project import ScreenplayProject
    from fabula.story.plan import StoryPlan

app = typer.Typer(
    help="Screenplays: write one from a logline and edit it level by level; check, export and measure Fountain files.",
    no_args_is_help=True,
)

_NAME = typer.Argument(..., help="The screenplay's project name.")
_MODEL = typer.Option(None, "--model", "-m", help="Model spec (default: $FABULA_MODEL or house:en).")
_SEED = typer.Option(0, "--seed", help="Seed: the same seed writes the same screenplay.")
_CONTROL = typer.Option([], "--control", "-c", help="House models: a control KEY=VALUE (e.g. genre=mystery).")
_WORDS = typer.Option(40, "--words", help="About how many words of action a scene gets.")
_TURNS = typer.Option(4, "--turns", help="Lines of dialogue a scene gets.")


def _backend(model: str | None, controls: list[str]) -> Backend:
    from fabula.backends import resolve
    from fabula.cli.generate import condition

    backend = resolve(model)
    condition(backend, controls, None)
    return backend


def _open(store, name: str) -> ScreenplayProject:  # type: ignore[no-untyped-def]
    from fabula.screenplay.project import ScreenplayProject

    return ScreenplayProject.open(store, name)


def _say(message: str) -> None:
    typer.echo(message, err=True)


def _plan_lines(plan: StoryPlan, project: ScreenplayProject) -> list[str]:
    from fabula.screenplay.plan import heading_for

    bible = project.bible
    out = []
    for c in plan.chapters:
        out.append(f"{c.id}{' [locked]' if c.locked else ''} {c.title}: {c.summary}")
        for s in c.scenes:
            written = "written" if project.scene_text(s.id) else "not written"
            lock = ", locked" if s.locked else ""
            out.append(f"  {s.id} {heading_for(s, bible).text} ({written}{lock}; {', '.join(s.characters)}): {s.beat}")
    return out


# -- writing ------------------------------------------------------------------------------------


@app.command("new")
def new(
    logline: str = typer.Argument(..., help="Who wants what, and what stands in the way, in a sentence."),
    name: str = typer.Option(None, "--name", help="Keep the screenplay in the store under this name, to edit it later."),
    output: Path = typer.Option(None, "--output", "-o", help="Write the Fountain here instead of stdout."),
    pdf: Path = typer.Option(None, "--pdf", help="Also write the PDF here."),
    model: str = _MODEL,
    scenes: int = typer.Option(6, "--scenes", help="How many scenes (at least this many)."),
    structure: str = typer.Option("three-act", "--structure", "-s", help="A beat sheet (see `fabula story structures`)."),
    characters: int = typer.Option(3, "--characters", help="How many characters the bible gets."),
    author: str = typer.Option("Fabula", "--author", help="The title page's author."),
    draft_date: str = typer.Option(None, "--draft-date", help="The title page's draft date (default: today)."),
    words: int = _WORDS,
    turns: int = _TURNS,
    seed: int = _SEED,
    control: list[str] = _CONTROL,
) -> None:
    """A screenplay from a logline: bible, plan, scenes, as Fountain (and PDF)."""
    from fabula.screenplay.bible import bible_from_logline

    _check_outputs(output, pdf)  # before any work
    backend = _backend(model, control)
    if name is None:
        from fabula.screenplay.generate import draft_screenplay

        sp = draft_screenplay(backend, logline, scenes, structure, seed, author=author, draft_date=draft_date,
                              characters=characters, words=words, turns=turns, progress=_say).screenplay
    else:
        from fabula.screenplay.project import ScreenplayProject, Settings
        from fabula.store import open_store

        with open_store() as store:
            _say("bible")
            bible = bible_from_logline(backend, logline, characters=characters, seed=seed)
            project = ScreenplayProject.create(store, name, bible, Settings(author, draft_date, seed, logline))
            _say("plan")
            project.make_plan(backend, structure, scenes, seed)
            project.draft(backend, seed=seed, words=words, turns=turns, progress=lambda sid: _say(f"scene {sid}"))
            sp = project.screenplay()
        _say(f"Screenplay {name!r} kept; see `fabula screenplay show {name} --plan`.")
    _emit(sp, output, pdf)


def _check_outputs(output: Path | None, pdf: Path | None) -> None:
    if output is not None and output.suffix.lower() != ".fountain":
        raise FabulaError(f"-o writes Fountain: name the file {output.stem}.fountain (use --pdf for a PDF).")
    if pdf is not None and pdf.suffix.lower() != ".pdf":
        raise FabulaError(f"--pdf writes a PDF: name the file {pdf.stem}.pdf.")


def _emit(sp, output: Path | None, pdf: Path | None) -> None:  # type: ignore[no-untyped-def]
    from fabula.screenplay.files import export as export_file
    from fabula.screenplay.fountain import write
    from fabula.screenplay.layout import paginate

    if output is not None:
        export_file(sp, output)
        _say(f"Wrote {output}")
    else:
        sys.stdout.write(write(sp))
    if pdf is not None:
        export_file(sp, pdf)
        _say(f"Wrote {pdf} ({_count(paginate(sp).count, 'page')} and a title page)")


@app.command("plan")
def plan(
    name: str = _NAME,
    structure: str = typer.Option("three-act", "--structure", "-s", help="A beat sheet (see `fabula story structures`)."),
    scenes: int = typer.Option(None, "--scenes", min=1,
                               help="How many scenes (at least this many; default: as many as the plan has, or 6)."),
    model: str = _MODEL,
    seed: int = _SEED,
    control: list[str] = _CONTROL,
) -> None:
    """Plan (or re-plan) the screenplay: locked chapters and scenes are kept."""
    from fabula.store import open_store

    backend = _backend(model, control)
    with open_store() as store:
        project = _open(store, name)
        made = project.make_plan(backend, structure, scenes, seed)
        typer.echo("\n".join(_plan_lines(made, project)))


@app.command("lock")
def lock(
    name: str = _NAME,
    item: str = typer.Argument(..., help="A chapter (c2) or scene (c2s1) id."),
    unlock: bool = typer.Option(False, "--unlock", help="Unlock instead."),
    scenes: bool = typer.Option(False, "--scenes", help="A chapter's scenes too."),
) -> None:
    """Lock an item so re-planning and redrafting keep it (a locked scene keeps its Fountain)."""
    from fabula.store import open_store

    with open_store() as store:
        _open(store, name).lock(item, locked=not unlock, scenes=scenes)
    typer.echo(f"{item} {'unlocked' if unlock else 'locked'}")


@app.command("edit")
def edit(
    name: str = _NAME,
    scene: str = typer.Argument(..., help="A scene id (c2s1)."),
    file: str = typer.Option(None, "--file", "-f", help="The scene's new Fountain (a file, or - for stdin)."),
    beat: str = typer.Option(None, "--beat", help="The scene's new beat in the plan."),
    place: str = typer.Option(None, "--place", help="The scene's new place (its heading follows)."),
    time: str = typer.Option(None, "--time", help="The scene's new time label (\"night 2\" gives NIGHT)."),
    characters: str = typer.Option(None, "--characters", help="Who is in the scene, comma-separated."),
) -> None:
    """Edit a scene: its Fountain (--file; the beat is rebuilt from it) or its plan entry."""
    from fabula.store import open_store

    if file is None and all(x is None for x in (beat, place, time, characters)):
        raise FabulaError("Say what to change: --file FILE for the scene's Fountain, or --beat/--place/--time/--characters.")
    with open_store() as store:
        project = _open(store, name)
        if file is not None:
            text = sys.stdin.read() if file == "-" else _read(Path(file))
            project.edit_scene(scene, text)
            typer.echo(f"{scene}: Fountain kept; its beat is rebuilt from it.")
        if any(x is not None for x in (beat, place, time, characters)):
            cast = [c.strip() for c in characters.split(",")] if characters is not None else None
            project.set_scene(scene, beat=beat, place=place, time=time, characters=cast)
            typer.echo(f"{scene}: plan edited; redraft it with `fabula screenplay draft {name} {scene}`.")


def _read(path: Path) -> str:
    from fabula.screenplay.files import read_text

    return read_text(path)


@app.command("draft")
def draft(
    name: str = _NAME,
    scenes: list[str] = typer.Argument(None, help="Scene ids (default: every scene without text)."),
    redraft: bool = typer.Option(False, "--redraft", help="Redraft every unlocked scene."),
    model: str = _MODEL,
    words: int = _WORDS,
    turns: int = _TURNS,
    seed: int = _SEED,
    control: list[str] = _CONTROL,
) -> None:
    """Write scenes in story order; locked scenes with text are kept."""
    from fabula.store import open_store

    backend = _backend(model, control)
    with open_store() as store:
        project = _open(store, name)
        done = project.draft(backend, scenes or None, seed=seed, redraft=redraft, words=words, turns=turns,
                             progress=lambda sid: _say(f"scene {sid}"))
    typer.echo(f"Drafted {_count(len(done), 'scene')}" + (f": {', '.join(done)}" if done else ""))


@app.command("alternatives")
def alternatives(
    name: str = _NAME,
    scene: str = typer.Argument(..., help="A scene id (c2s1)."),
    n: int = typer.Option(3, "-n", help="How many alternatives."),
    choose: int = typer.Option(None, "--choose", help="Make alternative K the scene's text instead."),
    model: str = _MODEL,
    words: int = _WORDS,
    turns: int = _TURNS,
    seed: int = _SEED,
    control: list[str] = _CONTROL,
) -> None:
    """Other drafts of one scene, printed and kept; `--choose K` takes one."""
    from fabula.store import open_store

    with open_store() as store:
        project = _open(store, name)
        if choose is not None:
            typer.echo(project.choose(scene, choose), nl=False)
            return
        backend = _backend(model, control)
        texts = project.alternatives(backend, scene, n, seed, words, turns)
    for k, text in enumerate(texts, start=1):
        typer.echo(f"[[alternative {k} of {scene}]]\n\n{text}")
    _say(f"Keep one with `fabula screenplay alternatives {name} {scene} --choose K`.")


@app.command("endings")
def endings(
    name: str = _NAME,
    kind: list[str] = typer.Option(["happy", "tragic", "open", "twist"], "--kind", help="Ending kinds (repeatable)."),
    model: str = _MODEL,
    words: int = _WORDS,
    turns: int = _TURNS,
    seed: int = _SEED,
    control: list[str] = _CONTROL,
) -> None:
    """Alternative final scenes, one per ending kind; export one with `export --ending KIND`."""
    from fabula.store import open_store

    backend = _backend(model, control)
    with open_store() as store:
        made = _open(store, name).endings(backend, kind, seed, words, turns)
    for k, text in made.items():
        typer.echo(f"[[ending {k}]]\n\n{text}")


@app.command("show")
def show(
    name: str = _NAME,
    scene: str = typer.Argument(None, help="One scene id (default: the whole screenplay)."),
    as_plan: bool = typer.Option(False, "--plan", help="The plan: chapters, scenes, headings, locks."),
    ending: str = typer.Option(None, "--ending", help="With this stored ending as the last scene."),
) -> None:
    """Print the screenplay (Fountain), one scene, or the plan."""
    from fabula.screenplay.fountain import write
    from fabula.store import open_store

    with open_store() as store:
        project = _open(store, name)
        if as_plan:
            typer.echo("\n".join(_plan_lines(project.require_plan(), project)))
        elif scene is not None:
            project.require_plan().scene(scene)
            text = project.scene_text(scene)
            if not text:
                raise FabulaError(f"Scene {scene} is not written yet; run `fabula screenplay draft {name} {scene}`.")
            typer.echo(text, nl=False)
        else:
            typer.echo(write(project.screenplay(ending=ending)), nl=False)


@app.command("check")
def check(file: Path = typer.Argument(..., help="A Fountain file (.fountain), or a stored screenplay's name.")) -> None:
    """List what looks wrong, by line (errors and warnings); exit 1 if there are errors. For a stored
    screenplay: each scene's Fountain, and its action and dialogue against the rest's canon."""
    from fabula.screenplay.check import check_screenplay
    from fabula.screenplay.files import read_text
    from fabula.screenplay.layout import paginate

    if not _is_file(file):
        _check_stored(str(file))
        return
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


def _is_file(path: Path) -> bool:
    return path.exists() or path.suffix.lower() in (".fountain", ".fdx", ".spmd", ".txt")


def _check_stored(name: str) -> None:
    from fabula.screenplay.check import check_screenplay
    from fabula.store import open_store

    with open_store() as store:
        project = _open(store, name)
        plan = project.require_plan()
        errors = 0
        for s in plan.scenes():
            text = project.scene_text(s.id)
            for problem in check_screenplay(text)[1] if text else []:
                errors += problem.severity == "error"
                typer.echo(problem.render(f"{name}:{s.id}"))
        found = project.check()
    for sid, contradictions in found.items():
        for c in contradictions:
            typer.echo(f"{name}:{sid}: {c.kind}: {c.message} ({c.passage!r}; canon from {c.fact_scene})")
    total = sum(len(c) for c in found.values())
    typer.echo(f"{name}: {_count(len(found), 'scene')} written; {_count(errors, 'error')}, "
               f"{_count(total, 'contradiction')}")
    if errors or total:
        raise typer.Exit(1)


@app.command("export")
def export(
    file: Path = typer.Argument(..., help="A Fountain (.fountain) or Final Draft (.fdx) file, or a screenplay's name."),
    output: Path = typer.Option(..., "--output", "-o", help="The file to write: .pdf, .fdx or .fountain."),
    ending: str = typer.Option(None, "--ending", help="A stored screenplay: end with this ending."),
) -> None:
    """Write the screenplay as a PDF in standard layout, Final Draft XML, or canonical Fountain."""
    from fabula.screenplay.files import export as export_file
    from fabula.screenplay.files import read
    from fabula.screenplay.layout import paginate

    if _is_file(file):
        if ending:
            raise FabulaError("--ending works with a stored screenplay's name, not with a file.")
        sp = read(file)
    else:
        from fabula.store import open_store

        with open_store() as store:
            sp = _open(store, str(file)).screenplay(ending=ending)
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
