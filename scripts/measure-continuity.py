"""Measure `fabula.story.continuity.check_passage` on the planted-contradiction stories.

Each story in tests/story/fixtures/planted/*.toml is a bible, scenes in the order they were written
(each with its story order and time label) and the sentences where a contradiction was planted.
The protocol plays a writer working through the story:

1. the canon starts as the bible's facts;
2. each scene, in writing order, is checked against the canon built so far (so a flashback written
   last is checked against everything, at its own earlier story order);
3. its extracted facts are then proposed and the diff accepted, except facts read from planted
   sentences, which the writer rejects;
4. a reported contradiction is correct when its sentence is a planted one of the same kind;
   every other report is a false alarm, every planted sentence not reported is a miss.

Usage:  .venv/bin/python scripts/measure-continuity.py [--set dev|heldout|all] [--details]
Prints a Markdown table of precision and recall per kind and overall.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from fabula.story.bible import Bible
from fabula.story.canon import Canon, extract_facts
from fabula.story.continuity import KINDS, Contradiction, check_passage
from fabula.story.nlp import parse

PLANTED = Path(__file__).resolve().parent.parent / "tests" / "story" / "fixtures" / "planted"


@dataclass
class Scene:
    id: str
    order: int
    time: str | None
    text: str


@dataclass
class Planted:
    scene: str
    kind: str
    sentence: str


@dataclass
class Story:
    name: str
    heldout: bool
    bible: Bible
    scenes: list[Scene]
    planted: list[Planted]


@dataclass
class Tally:
    planted: int = 0
    reported: int = 0
    correct: int = 0
    alarms: list[tuple[str, Contradiction]] = field(default_factory=list)  # (story/scene, report)
    misses: list[tuple[str, Planted]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.correct / self.reported if self.reported else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.planted if self.planted else 1.0


def load_story(path: Path) -> Story:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    meta = data.get("story", {})
    scenes = [Scene(s["id"], int(s["order"]), s.get("time"), s["text"].strip()) for s in data["scenes"]]
    planted = [Planted(p["scene"], p["kind"], p["sentence"].strip()) for p in data.get("planted", [])]
    texts = {s.id: s.text for s in scenes}
    for p in planted:
        if p.kind not in KINDS or p.sentence not in texts.get(p.scene, ""):
            raise SystemExit(f"{path}: planted {p.kind!r} sentence not in scene {p.scene}: {p.sentence!r}")
    return Story(meta.get("name", path.stem), bool(meta.get("heldout", False)), Bible.from_dict(data["bible"]),
                 scenes, planted)


def stories(which: str = "dev") -> list[Story]:
    found = [load_story(p) for p in sorted(PLANTED.glob("*.toml"))]
    if which == "all":
        return found
    return [s for s in found if s.heldout == (which == "heldout")]


def _norm(text: str) -> str:
    return " ".join(text.replace("\u201c", '"').replace("\u201d", '"').split()).lower()


def _same(a: str, b: str) -> bool:
    a, b = _norm(a), _norm(b)
    return a in b or b in a


def run_story(story: Story, tallies: dict[str, Tally]) -> None:
    canon = Canon.from_bible(story.bible)
    for scene in story.scenes:
        planted = [p for p in story.planted if p.scene == scene.id]
        doc = parse(scene.text)  # parsed once for the check and the extraction
        reports = check_passage(doc, scene.order, canon, story.bible, scene_id=scene.id, time=scene.time)
        hit: set[int] = set()
        for r in reports:
            match = next((k for k, p in enumerate(planted) if p.kind == r.kind and _same(p.sentence, r.passage)), None)
            tallies[r.kind].reported += 1
            if match is not None and match not in hit:
                hit.add(match)
                tallies[r.kind].correct += 1
            elif match is None:
                tallies[r.kind].alarms.append((f"{story.name}/{scene.id}", r))
            else:
                tallies[r.kind].reported -= 1  # a second report of the same planted sentence is not counted
        for k, p in enumerate(planted):
            tallies[p.kind].planted += 1
            if k not in hit:
                tallies[p.kind].misses.append((f"{story.name}/{scene.id}", p))
        diff = canon.propose(extract_facts(doc, scene.id, scene.order, story.bible, canon.names()))
        wrong = [i for i in diff.ids if any(_same(p.sentence, canon.facts[i].evidence) for p in planted)]
        canon.reject(wrong)
        canon.accept([i for i in diff.ids if i not in wrong])
        if scene.time:
            canon.times[scene.id] = scene.time


def measure(which: str = "dev") -> dict[str, Tally]:
    tallies = {k: Tally() for k in KINDS}
    for story in stories(which):
        run_story(story, tallies)
    return tallies


def overall(tallies: dict[str, Tally]) -> Tally:
    t = Tally()
    for k in tallies.values():
        t.planted += k.planted
        t.reported += k.reported
        t.correct += k.correct
    return t


def table(tallies: dict[str, Tally]) -> str:
    rows = ["| kind | planted | reported | correct | precision | recall |", "|---|---:|---:|---:|---:|---:|"]
    for kind, t in [*tallies.items(), ("**all**", overall(tallies))]:
        rows.append(f"| {kind} | {t.planted} | {t.reported} | {t.correct} | {t.precision:.2f} | {t.recall:.2f} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=("dev", "heldout", "all"), default="dev")
    parser.add_argument("--details", action="store_true", help="list every false alarm and miss")
    args = parser.parse_args(argv)
    chosen = stories(args.set)
    sentences = sum(len(list(_sentences(s))) for s in chosen)
    tallies = measure(args.set)
    print(f"{len(chosen)} stories ({args.set}), {sum(len(s.scenes) for s in chosen)} scenes, "
          f"{sentences} sentences, {overall(tallies).planted} planted contradictions.\n")
    print(table(tallies))
    if args.details:
        for kind, t in tallies.items():
            for where, r in t.alarms:
                print(f"\nfalse alarm [{kind}] {where}: {r.passage}\n  {r.message}")
            for where, p in t.misses:
                print(f"\nmissed [{kind}] {where}: {p.sentence}")
    return 0


def _sentences(story: Story) -> list[str]:
    return [s.text for scene in story.scenes for s in parse(scene.text).sents]


if __name__ == "__main__":
    sys.exit(main())
