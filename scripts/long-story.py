#!/usr/bin/env python3
"""A long story (7 chapters x 3 scenes) drafted with a house model, every step's prompt accounted.

    .venv/bin/python scripts/long-story.py [--model house:en] [--words 150]

Prints a Markdown table: per scene, the steps, the largest prompt plus new tokens against the
model's context, and the memory lines kept and dropped, so docs/story.md can show that the
context never overflows however long the story (the numbers are measured, never asserted by time).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from fabula.backends import resolve
from fabula.store import open_store
from fabula.story.bible import Bible, Character, Place
from fabula.story.project import Story


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--model", default="house:en")
    args.add_argument("--words", type=int, default=150)
    opts = args.parse_args()
    os.environ["FABULA_HOME"] = tempfile.mkdtemp(prefix="fabula-long-")
    backend = resolve(opts.model)
    backend.load()
    bible = Bible(
        "The Lighthouse", "A lighthouse keeper finds a letter from her brother, who drowned ten years ago.",
        genre="mystery",
        characters=[Character("Mara", "protagonist", ["red-haired", "stubborn"]),
                    Character("Tom", "missing brother", ["cheerful"]), Character("Eliza", "antagonist", ["cold"])],
        places=[Place("the lighthouse", "a white tower on a rock"), Place("the village", "a fishing village")],
    )
    t0 = time.perf_counter()
    with open_store() as store:
        story = Story.create(store, "long", bible)
        plan = story.make_plan(backend, "save-the-cat", chapters=7, scenes_per_chapter=3, seed=1)
        results = story.draft(backend, words=opts.words, seed=1, accept_canon=True)
        facts = len(store.facts(story.project.id, "accepted"))
    context = backend.context_length
    print(f"{opts.model}, context {context} tokens; {len(plan.scenes())} scenes of about {opts.words} words; "
          f"{facts} canon facts accepted on the way; {time.perf_counter() - t0:.0f} s in all.\n")
    print("| scene | steps | largest prompt + new tokens | of context | memory lines kept (min-max) | dropped (max) |")
    print("|---|---:|---:|---:|---|---:|")
    worst = 0
    for sid, r in results.items():
        top = max(s.prompt_tokens + s.new_tokens for s in r.steps)
        worst = max(worst, top)
        kept = [s.memory_lines for s in r.steps]
        print(f"| {sid} | {len(r.steps)} | {top} | {top / context:.0%} | {min(kept)}-{max(kept)} | "
              f"{max(s.dropped for s in r.steps)} |")
    print(f"\nLargest step of the whole story: {worst} of {context} tokens.")


if __name__ == "__main__":
    main()
