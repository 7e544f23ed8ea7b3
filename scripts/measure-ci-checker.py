#!/usr/bin/env python3
"""Run the zh-ci checker over every ci of the song_ci corpus whose tune is in the catalogue.

    python scripts/measure-ci-checker.py [CORPUS_DIR] [--traditional] [--show RULE] [--list]

CORPUS_DIR holds {train,validation,test}.jsonl (JSON lines {id, text, meta}); meta.tune is the
词牌. A ci is checked against the catalogue form whose name or alias is its tune (so 凤栖梧 counts
as 蝶恋花). Prints pass counts per form, a histogram of broken rules (each rule counted once per
ci), counts of the template used, and, with --show RULE, the ci that break it.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path

from fabula.forms import check_poem
from fabula.forms.catalog import all_forms

DEFAULT = Path("/work/fhome/cache/corpora/song_ci")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--traditional", action="store_true", help="check meta.text_hant instead of text")
    ap.add_argument("--show", metavar="RULE", help="list the ci that break RULE")
    ap.add_argument("--list", action="store_true", help="list every failing ci with its broken rules")
    args = ap.parse_args()

    by_name = {}
    for form in all_forms().values():
        if form.checker == "zh-ci":
            for n in form.names:
                by_name[n] = form
    poems = []
    for split in ("train", "validation", "test"):
        path = args.corpus / f"{split}.jsonl"
        if path.exists():
            text = path.read_text(encoding="utf-8")
            poems += [json.loads(line) for line in text.splitlines() if line.strip()]

    total: Counter[str] = Counter()
    passed: Counter[str] = Counter()
    rules: dict[str, Counter[str]] = defaultdict(Counter)
    templates: Counter[tuple[str, str]] = Counter()
    tunes: Counter[tuple[str, str]] = Counter()
    for poem in poems:
        form = by_name.get(poem["meta"].get("tune", ""))
        if form is None:
            continue
        text = poem["meta"]["text_hant"] if args.traditional else poem["text"]
        report = check_poem(text, form)
        total[form.name] += 1
        tunes[(form.name, poem["meta"]["tune"])] += 1
        templates[(form.name, report.notes[0].removeprefix("template: "))] += 1
        broken = report.broken_rules()
        if report.ok:
            passed[form.name] += 1
        for rule in broken:
            rules[rule][form.name] += 1
        label = f"{poem['meta'].get('author', '')}《{poem['meta'].get('tune', '')}》 {poem['text'][:16]}…"
        if (args.list and not report.ok) or (args.show and args.show in broken):
            print(f"{label}  {', '.join(broken)}")
            if args.show:
                for line in report.lines:
                    for v in line.violations:
                        if v.rule == args.show:
                            print(f"    {line.index + 1}. {line.text}: {v.message}")
                for v in report.violations:
                    if v.rule == args.show:
                        print(f"    {v.message}")

    forms = [f for f in (f.name for f in all_forms().values()) if total[f]]
    n, p = sum(total.values()), sum(passed.values())
    print("| form | ci | pass | pass % |\n|---|---:|---:|---:|")
    for f in forms:
        print(f"| {f} | {total[f]} | {passed[f]} | {100 * passed[f] / total[f]:.1f} % |")
    print(f"| all | {n} | {p} | {100 * p / max(n, 1):.1f} % |\n")
    print("| rule | all | " + " | ".join(forms) + " |\n|---|" + "---:|" * (len(forms) + 1))
    for rule in sorted(rules, key=lambda r: -sum(rules[r].values())):
        cells = " | ".join(str(rules[rule][f]) for f in forms)
        print(f"| {rule} | {sum(rules[rule].values())} | {cells} |")
    print("\ntunes counted:", ", ".join(f"{t} {c}" for (f, t), c in sorted(tunes.items())))
    print("templates used:", ", ".join(f"{f}/{t} {c}" for (f, t), c in templates.most_common()))


if __name__ == "__main__":
    main()
