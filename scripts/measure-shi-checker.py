#!/usr/bin/env python3
"""Run the zh-shi checker over the regulated-verse poems of a 唐诗三百首 corpus and count results.

    python scripts/measure-shi-checker.py [CORPUS_DIR] [--traditional] [--show RULE] [--list]

CORPUS_DIR holds {train,validation,test}.jsonl (JSON lines {id, text, meta}); meta.form_tag is
the anthology's own tag. Poems tagged 五言绝句/七言绝句/五言律诗/七言律诗 are checked against that
form. Prints pass counts per form, a histogram of broken rules (each rule counted once per poem)
and, with --show RULE, the poems that break it.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from fabula.forms import check_poem, get_form

FORMS = ("五言绝句", "七言绝句", "五言律诗", "七言律诗")
DEFAULT = Path("/work/fhome/cache/corpora/tang300")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--traditional", action="store_true", help="check meta.text_hant instead of text")
    ap.add_argument("--show", metavar="RULE", help="list the poems that break RULE")
    ap.add_argument("--list", action="store_true", help="list every failing poem with its broken rules")
    args = ap.parse_args()

    poems = []
    for split in ("train", "validation", "test"):
        path = args.corpus / f"{split}.jsonl"
        if path.exists():
            poems += [
                json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
            ]

    passed: Counter[str] = Counter()
    total: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    rules_by_form: dict[str, Counter[str]] = {f: Counter() for f in FORMS}
    for poem in poems:
        tag = poem["meta"].get("form_tag")
        if tag not in FORMS:
            continue
        text = poem["meta"]["text_hant"] if args.traditional else poem["text"]
        report = check_poem(text, get_form(tag))
        total[tag] += 1
        broken = report.broken_rules()
        if report.ok:
            passed[tag] += 1
        rules.update(broken)
        rules_by_form[tag].update(broken)
        name = f"{poem['meta'].get('author', '?')}《{poem['meta'].get('title', '?')}》"
        if (args.show and args.show in broken) or (args.list and broken):
            print(f"--- {tag} {name}: {', '.join(broken)}")
            if args.show:
                print(report.render())

    print(f"{'form':<8} {'poems':>5} {'pass':>5} {'pass %':>7}")
    for f in FORMS:
        if total[f]:
            print(f"{f:<8} {total[f]:>5} {passed[f]:>5} {100 * passed[f] / total[f]:>6.1f}%")
    n, p = sum(total.values()), sum(passed.values())
    print(f"{'all':<8} {n:>5} {p:>5} {100 * p / max(n, 1):>6.1f}%")
    print("\npoems breaking each rule:")
    print(f"{'rule':<14} {'all':>4} " + " ".join(f"{f:>6}" for f in FORMS))
    for rule, k in rules.most_common():
        print(f"{rule:<14} {k:>4} " + " ".join(f"{rules_by_form[f][rule]:>8}" for f in FORMS))


if __name__ == "__main__":
    main()
