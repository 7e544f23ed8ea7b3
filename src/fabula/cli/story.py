"""`fabula story`: a premise to a planned, drafted, checked and exported story, in the project store.

    fabula story new NAME --premise "..." [--character "Mara: protagonist; red-haired"] [--bible FILE]
    fabula story plan NAME [--structure three-act] [--chapters 3] [--scenes 2]
    fabula story draft NAME [SCENE ...]       # every scene without prose, in story order
    fabula story continue NAME SCENE -n 3     # alternatives after a scene's text (see `fabula continue`)
    fabula story endings NAME                 # happy, tragic, open, twist from the same plan
    fabula story check NAME [FILE --scene ID] # contradictions with the canon
    fabula story export NAME -o story.epub

Every command opens the store afresh; heavy modules (spaCy, MiniLM, torch) load only when a
command needs them, so `fabula --help` stays fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from fabula.errors import FabulaError
from fabula.store import open_store

if TYPE_CHECKING:
    from fabula.backends.base import Backend
    from fabula.story.plan import StoryPlan
    from fabula.story.project import Story

app = typer.Typer(help="Stories: bible, plan, drafts, branches, endings, canon and export.", no_args_is_help=True)

_NAME = typer.Argument(..., help="The story's project name.")
_MODEL = typer.Option(None, "--model", "-m", help="Model spec (default: $FABULA_MODEL or house:en).")
_SEED = typer.Option(0, "--seed", help="Seed: the same seed writes the same text.")
_CONTROL = typer.Option([], "--control", "-c", help="House models: a control KEY=VALUE (e.g. genre=mystery).")


def _story(store, name: str) -> Story:  # type: ignore[no-untyped-def]
    from fabula.story.project import Story

    return Story.open(store, name)


def _backend(model: str | None, controls: list[str]) -> Backend:
    from fabula.backends import resolve
    from fabula.cli.generate import condition

    backend = resolve(model)
    condition(backend, controls, None)
    return backend


def _read(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    try:
        return Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise FabulaError(f"Cannot read {source}: {exc.strerror}; give a text file or - for stdin.") from exc


# -- bible ------------------------------------------------------------------------------------------


@app.command("new")
def new(
    name: str = _NAME,
    premise: str = typer.Option(None, "--premise", "-p", help="What the story is about, in a sentence or two."),
    title: str = typer.Option(None, "--title", help="The story's title (default: the project name)."),
    genre: str = typer.Option("", "--genre"),
    tone: str = typer.Option("", "--tone"),
    setting: str = typer.Option("", "--setting"),
    character: list[str] = typer.Option(
        [], "--character", help='"Name: role; trait, trait" (repeatable), e.g. "Mara: protagonist; red-haired".'
    ),
    place: list[str] = typer.Option([], "--place", help='"Name: description" (repeatable).'),
    bible_file: Path = typer.Option(None, "--bible", help="A bible TOML file instead (see docs/story.md)."),
) -> None:
    """Start a story: a project with its bible (from flags or a TOML file)."""
    from fabula.story.bible import Bible, load_bible
    from fabula.story.project import Story

    if bible_file is not None:
        bible = load_bible(bible_file)
    else:
        if not premise:
            raise FabulaError("Give the story a premise with --premise, or a whole bible with --bible FILE.")
        bible = Bible(title or name, premise, genre=genre, tone=tone, setting=setting,
                      characters=[_character(c) for c in character], places=[_place(p) for p in place])
    with open_store() as store:
        Story.create(store, name, bible)
    typer.echo(bible.to_toml(), nl=False)
    typer.echo(f"Story {name!r} created; plan it with `fabula story plan {name}`.", err=True)


def _character(spec: str):  # type: ignore[no-untyped-def]
    from fabula.story.bible import Character

    name, _, rest = spec.partition(":")
    role, _, traits = rest.partition(";")
    if not name.strip():
        raise FabulaError(f"--character {spec!r}: write it as \"Name: role; trait, trait\".")
    return Character(name.strip(), role.strip(), [t.strip() for t in traits.split(",") if t.strip()])


def _place(spec: str):  # type: ignore[no-untyped-def]
    from fabula.story.bible import Place

    name, _, description = spec.partition(":")
    return Place(name.strip(), description.strip())


@app.command("bible")
def bible(
    name: str = _NAME,
    set_file: Path = typer.Option(None, "--set", help="Replace the bible with this TOML file (a new version)."),
) -> None:
    """Print the story bible as TOML, or replace it (the old versions are kept)."""
    from fabula.story.bible import load_bible

    with open_store() as store:
        story = _story(store, name)
        if set_file is not None:
            story.save_bible(load_bible(set_file), message=f"from {set_file.name}")
        typer.echo(story.bible.to_toml(), nl=False)


# -- plan -------------------------------------------------------------------------------------------


@app.command("plan")
def plan(
    name: str = _NAME,
    structure: str = typer.Option("three-act", "--structure", "-s", help="A beat sheet (see `fabula story structures`)."),
    chapters: int = typer.Option(None, "--chapters", help="Chapters (default: one per structure beat)."),
    scenes: int = typer.Option(2, "--scenes", help="Scenes per chapter."),
    model: str = _MODEL,
    seed: int = _SEED,
    control: list[str] = _CONTROL,
    show_only: bool = typer.Option(False, "--show", help="Only print the current plan."),
) -> None:
    """Plan chapters and scenes from the bible (locked parts of the current plan are kept)."""
    with open_store() as store:
        story = _story(store, name)
        if show_only:
            result = story.require_plan()
        else:
            result = story.make_plan(_backend(model, control), structure, chapters, scenes, seed)
        typer.echo(render_plan(result, story))


def render_plan(plan: StoryPlan, story: Story | None = None) -> str:
    stale = {s.id for s in story.stale()} if story is not None else set()
    out = [f"Structure: {plan.structure}"]
    for c in plan.chapters:
        out.append(f"\n{c.id}  {c.title}{'  [locked]' if c.locked else ''}{'  [stale]' if c.id in stale else ''}"
                   f"  ({c.beat})\n    {c.summary}")
        for s in c.scenes:
            where = ", ".join(x for x in (s.place, s.time) if x)
            who = ", ".join(s.characters)
            marks = ("  [locked]" if s.locked else "") + ("  [stale]" if s.id in stale else "") + (
                "  [drafted]" if s.summary else "")
            out.append(f"  {s.id}{marks}  {s.beat}\n        ({'; '.join(x for x in (who, where) if x)})")
    return "\n".join(out)


@app.command("structures")
def structures() -> None:
    """List the beat sheets (data files; plugins add more)."""
    from fabula.story.structures import all_structures

    for key, s in all_structures().items():
        typer.echo(f"{key:16} {len(s.beats):2} beats  {s.description if hasattr(s, 'description') else ''}")


@app.command("lock")
def lock(name: str = _NAME, item: str = typer.Argument(..., help="A chapter (c1) or scene (c1s2) id."),
         scenes: bool = typer.Option(False, "--scenes", help="A chapter's scenes too.")) -> None:
    """Keep a chapter or scene when the plan is regenerated."""
    _set_lock(name, item, True, scenes)


@app.command("unlock")
def unlock(name: str = _NAME, item: str = typer.Argument(...),
           scenes: bool = typer.Option(False, "--scenes")) -> None:
    """Let the planner regenerate a chapter or scene again."""
    _set_lock(name, item, False, scenes)


def _set_lock(name: str, item: str, value: bool, scenes: bool) -> None:
    with open_store() as store:
        story = _story(store, name)
        p = story.require_plan()
        (p.lock if value else p.unlock)(item, scenes=scenes)
        story.save_plan(p, "edited", message=f"{'lock' if value else 'unlock'} {item}")
    typer.echo(f"{item} {'locked' if value else 'unlocked'}.", err=True)


@app.command("edit")
def edit(
    name: str = _NAME,
    item: str = typer.Argument(..., help="A chapter (c1) or scene (c1s2) id."),
    summary: str = typer.Option(None, "--summary", help="A chapter's new summary (its scenes become stale)."),
    title: str = typer.Option(None, "--title", help="A chapter's new title."),
    beat: str = typer.Option(None, "--beat", help="A scene's new beat (its prose becomes stale)."),
    prose: str = typer.Option(None, "--prose", help="A scene's new prose from FILE (- for stdin); its beat is rebuilt."),
) -> None:
    """Edit one level of the plan, or a scene's prose; what the edit made stale is listed."""
    with open_store() as store:
        story = _story(store, name)
        if prose is not None:
            story.write_prose(item, _read(prose))
        else:
            p = story.require_plan()
            if summary is not None or title is not None:
                p.set_chapter(item, summary=summary, title=title)
            if beat is not None:
                p.set_scene(item, beat=beat)
            story.save_plan(p, "edited", message=f"edit {item}")
        for s in story.stale():
            typer.echo(f"stale: {s.id} ({s.what}): {s.reason}", err=True)


# -- prose ------------------------------------------------------------------------------------------


@app.command("draft")
def draft(
    name: str = _NAME,
    scene: list[str] = typer.Argument(None, help="Scene ids (default: every scene without prose)."),
    words: int = typer.Option(250, "--words", "-w", help="About this many words per scene."),
    model: str = _MODEL,
    seed: int = _SEED,
    control: list[str] = _CONTROL,
    redraft: bool = typer.Option(False, "--redraft", help="Draft scenes that have prose again (a new version)."),
    accept_canon: bool = typer.Option(False, "--accept-canon", help="Accept the facts read from the drafts."),
) -> None:
    """Draft scenes in story order, each from its beat, the previous summary and the canon."""
    from tqdm import tqdm

    backend = _backend(model, control)
    with open_store() as store:
        story = _story(store, name)
        total = len(scene) if scene else len(story.require_plan().scenes())
        with tqdm(total=total, unit="scene", file=sys.stderr, leave=False) as bar:
            def progress(sid: str) -> None:
                bar.set_description(sid)
                bar.update(1)
            results = story.draft(backend, scene or None, words=words, seed=seed, redraft=redraft,
                                  accept_canon=accept_canon, progress=progress)
        for sid, result in results.items():
            typer.echo(f"## {sid}\n\n{result.text.strip()}\n")
        waiting = len(story.proposed().ids)
    typer.echo(f"Drafted {len(results)} scene(s).", err=True)
    if waiting:
        typer.echo(f"{waiting} canon fact(s) proposed: review them with `fabula story canon {name}`.", err=True)


@app.command("show")
def show(name: str = _NAME, scene: str = typer.Argument(None, help="A scene id: print its prose.")) -> None:
    """Print the plan with each scene's state, or one scene's prose."""
    with open_store() as store:
        story = _story(store, name)
        if scene:
            typer.echo(story.prose(scene) or f"(scene {scene} has no prose yet)")
        else:
            typer.echo(render_plan(story.require_plan(), story))


@app.command("continue")
def continue_(
    name: str = _NAME,
    scene: str = typer.Argument(..., help="The scene to continue."),
    n: int = typer.Option(3, "--n", "-n", help="Alternatives."),
    words: int = typer.Option(60, "--words", "-w"),
    model: str = _MODEL,
    seed: int = typer.Option(None, "--seed"),
) -> None:
    """Alternatives after a scene's current text, kept in its branch tree (`fabula story branch`)."""
    from fabula.story import branches

    backend = _backend(model, [])
    with open_store() as store:
        story = _story(store, name)
        doc = _scene_tree(story, scene)
        nodes = branches.continue_text(store, backend, doc, n=n, words=words, seed=seed)
    for k, node in enumerate(nodes, start=1):
        typer.echo(f"--- {k} (#{node.id}) ---\n{node.text.strip()}\n")
    typer.echo(f"Keep one with `fabula story branch {name} {scene} choose K`.", err=True)


def _scene_tree(story: Story, scene_id: str):  # type: ignore[no-untyped-def]
    """The scene's document, its branch tree started from its current prose."""
    from fabula.story import branches
    from fabula.story.project import SCENE_KIND, scene_title

    story.require_plan().scene(scene_id)
    doc = story._document(scene_title(scene_id), SCENE_KIND)
    if story.store.branch_head(doc) is None:
        text = story.prose(scene_id)
        if not text:
            raise FabulaError(f"Scene {scene_id} has no text to continue; draft it or `fabula story edit --prose`.")
        branches.write(story.store, doc, text)
    return doc


@app.command("branch")
def branch(
    name: str = _NAME,
    scene: str = typer.Argument(...),
    action: str = typer.Argument("tree", help="tree | choose K | reject K | undo | accept"),
    pick: str = typer.Argument(None, help="For choose/reject: an alternative's number or #id."),
) -> None:
    """Work a scene's branch tree; `accept` makes the chosen path the scene's prose (a new version)."""
    from fabula.story import branches

    with open_store() as store:
        story = _story(store, name)
        doc = _scene_tree(story, scene)
        if action in ("choose", "reject"):
            if pick is None:
                raise FabulaError(f"`{action}` needs an alternative: its number or #id (see the tree).")
            getattr(branches, action)(store, doc, int(pick) if pick.isdigit() else pick)
        elif action == "undo":
            branches.undo(store, doc)
        elif action == "accept":
            story.write_prose(scene, branches.current_text(store, doc))
        elif action != "tree":
            raise FabulaError(f"Unknown branch action {action!r}: use tree, choose, reject, undo or accept.")
        typer.echo(branches.render_tree(store, doc))


@app.command("endings")
def endings(
    name: str = _NAME,
    kind: list[str] = typer.Option(["happy", "tragic", "open", "twist"], "--kind", "-k", help="Ending kinds."),
    words: int = typer.Option(250, "--words", "-w"),
    model: str = _MODEL,
    seed: int = _SEED,
    control: list[str] = _CONTROL,
) -> None:
    """Several endings of the same plan: the final scene drafted once per kind (all kept)."""
    backend = _backend(model, control)
    with open_store() as store:
        results = _story(store, name).endings(backend, kind, words=words, seed=seed)
    for k, result in results.items():
        typer.echo(f"## {k}\n\n{result.text.strip()}\n")
    typer.echo(f"Export one with `fabula story export {name} -o FILE --ending KIND`.", err=True)


@app.command("dialogue")
def dialogue(
    name: str = _NAME,
    speaker: list[str] = typer.Option(..., "--with", help="A character who speaks (repeatable)."),
    situation: str = typer.Option(..., "--situation", help="What the scene is about."),
    turns: int = typer.Option(8, "--turns"),
    model: str = _MODEL,
    seed: int = _SEED,
) -> None:
    """Dialogue between characters, each in the voice their bible entry gives them."""
    from fabula.story.dialogue import write_dialogue

    backend = _backend(model, [])
    with open_store() as store:
        lines = write_dialogue(backend, _story(store, name).bible, speaker, situation, turns=turns, seed=seed)
    for line in lines:
        typer.echo(f"{line.speaker.upper()}: {line.text}")


# -- canon and checks -------------------------------------------------------------------------------


@app.command("canon")
def canon(
    name: str = _NAME,
    accept: str = typer.Option(None, "--accept", help="Fact ids (1,4,7) or 'all' to accept."),
    reject: str = typer.Option(None, "--reject", help="Fact ids or 'all' to reject."),
    read: str = typer.Option(None, "--read", help="Re-read a scene's prose for facts (proposed)."),
) -> None:
    """Show the proposed canon changes as a diff; accept or reject them by id."""
    with open_store() as store:
        story = _story(store, name)
        if read:
            story.read_canon(read)
        for ids, yes in ((accept, True), (reject, False)):
            if ids:
                wanted = story.proposed().ids if ids == "all" else [int(x) for x in ids.replace(" ", "").split(",")]
                story.decide(wanted, yes)
        diff = story.proposed()
        typer.echo(diff.render() if diff else "No proposed facts; the canon is up to date.")


@app.command("check")
def check(
    name: str = _NAME,
    file: str = typer.Argument(None, help="A passage to check (- for stdin); default: every drafted scene."),
    scene: str = typer.Option(None, "--scene", help="Where the passage goes in the story (a scene id)."),
    as_json: bool = typer.Option(False, "--json", help="Print the contradictions as JSON."),
) -> None:
    """Contradictions with the canon: dead characters acting, attributes, places, timeline, names."""
    from fabula.story.continuity import render_text

    with open_store() as store:
        story = _story(store, name)
        if file is not None:
            if not scene:
                raise FabulaError("Say where the passage goes with --scene ID (see `fabula story show`).")
            found = {scene: story.check(_read(file), scene)}
        else:
            found = story.check_all()
    total = sum(len(v) for v in found.values())
    if as_json:
        typer.echo(json.dumps({sid: [c.to_dict() for c in cs] for sid, cs in found.items()}, ensure_ascii=False, indent=2))
    else:
        for sid, cs in found.items():
            if cs:
                typer.echo(f"== {sid}\n{render_text(cs)}")
        if file is None:
            typer.echo(f"{total} contradiction(s) in {len(found)} scene(s).", err=True)
    if total:
        raise typer.Exit(1)


@app.command("export")
def export(
    name: str = _NAME,
    out: Path = typer.Option(..., "--out", "-o", help="FILE.md, .txt, .epub or .docx."),
    author: str = typer.Option("", "--author"),
    ending: str = typer.Option(None, "--ending", help="Use this stored ending as the last scene."),
) -> None:
    """Export the story as Markdown, plain text, EPUB 3 or DOCX."""
    from fabula.story.export import export as write

    with open_store() as store:
        manuscript = _story(store, name).manuscript(author=author, ending=ending)
    path = write(manuscript, out)
    typer.echo(f"Wrote {path} ({len(manuscript.chapters)} chapters).", err=True)
