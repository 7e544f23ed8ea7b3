"""Check Shakespeare's 154 sonnets against the Shakespearean sonnet form and summarise.

    .venv/bin/python scripts/measure-sonnet-checker.py [--corpus DIR] [--examples N] [--show 18,99] [--ablations]

Reads the prepared corpus (JSON lines {id, text, meta}; meta.form == "sonnet") and prints: how
many sonnets pass, how many lines pass each rule, a histogram of broken rules (per sonnet and per
line), and examples. The numbers in docs/poetry-english.md come from this script.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections import Counter
from pathlib import Path

from fabula.forms import check_poem, get_form

DEFAULT = Path("/work/fhome/cache/corpora/shakespeare")


def sonnets(folder: Path) -> list[tuple[int, str]]:
    out = []
    for split in ("train", "validation", "test"):
        path = folder / f"{split}.jsonl"
        if not path.exists():
            continue
        for raw in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(raw)
            if item.get("meta", {}).get("form") == "sonnet":
                out.append((int(item["id"].rsplit("/", 1)[-1]), item["text"]))
    return sorted(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT)
    ap.add_argument("--examples", type=int, default=3, help="failing lines to print per rule")
    ap.add_argument("--show", default="", help="comma-separated sonnet numbers to print in full")
    ap.add_argument("--ablations", action="store_true", help="also run with rules switched off")
    args = ap.parse_args()
    form = get_form("sonnet")
    items = sonnets(args.corpus)
    passed = 0
    poem_rules: Counter[str] = Counter()
    only: Counter[str] = Counter()
    line_rules: Counter[str] = Counter()
    lines_total = lines_ok = 0
    examples: dict[str, list[str]] = {}
    line_counts: Counter[int] = Counter()
    by_count: dict[int, list[int]] = {}
    estimated = Counter()
    used: Counter[str] = Counter()
    for number, text in items:
        report = check_poem(text, form)
        passed += report.ok
        for rule in report.broken_rules():
            poem_rules[rule] += 1
        if len(report.broken_rules()) == 1:
            only[report.broken_rules()[0]] += 1
        n = len(report.lines)
        line_counts[n] += 1
        by_count.setdefault(n, []).append(number)
        for line in report.lines:
            lines_total += 1
            lines_ok += line.ok
            for note in line.notes:
                if note in ("feminine ending", "initial trochaic inversion") or note.startswith(
                    "slant rhyme"
                ):
                    used["slant rhyme" if note.startswith("slant rhyme") else note] += 1
                elif note.startswith("trochaic inversion after a pause"):
                    used["trochaic inversion after a pause"] += 1
                if "not in the CMU dictionary" in note:
                    estimated[note.split(":")[0].lower()] += 1
            for rule in dict.fromkeys(v.rule for v in line.violations):
                line_rules[rule] += 1
                ex = examples.setdefault(rule, [])
                if len(ex) < args.examples:
                    msg = next(v.message for v in line.violations if v.rule == rule)
                    ex.append(
                        f"Sonnet {number}, line {line.index + 1}: {line.text!r} [{line.pattern}] - {msg}"
                    )
        for v in report.violations:
            ex = examples.setdefault("poem:" + v.rule, [])
            if len(ex) < args.examples:
                ex.append(f"Sonnet {number}: {v.message}")
    print(f"sonnets: {len(items)}; pass: {passed}; fail: {len(items) - passed}")
    print(
        f"lines: {lines_total}; lines passing every line rule: {lines_ok} ({100 * lines_ok / max(lines_total, 1):.1f}%)"
    )
    print(
        "line counts: "
        + ", ".join(
            f"{k} lines: {v}" + (f" ({', '.join(map(str, by_count[k]))})" if k != 14 else "")
            for k, v in sorted(line_counts.items())
        )
    )
    print("sonnets breaking each rule: " + ", ".join(f"{r} {c}" for r, c in poem_rules.most_common()))
    print("sonnets breaking only one rule: " + ", ".join(f"{r} {c}" for r, c in only.most_common()))
    print("lines breaking each rule: " + ", ".join(f"{r} {c}" for r, c in line_rules.most_common()))
    print(
        f"words not in CMU (estimated), most frequent: {', '.join(f'{w} {c}' for w, c in estimated.most_common(15))}"
    )
    print("substitutions and weak rhymes used: " + ", ".join(f"{r} {c}" for r, c in used.most_common()))
    if args.ablations:
        ablations = {
            "without slant_rhyme": {**form.params, "slant_rhyme": False},
            "without substitutions": {**form.params, "substitutions": []},
            "rhyme not checked": {k: v for k, v in form.params.items() if k != "rhyme"},
        }
        for name, params in ablations.items():
            variant = dataclasses.replace(form, params=params)
            reports = [check_poem(text, variant) for _, text in items]
            per_line = Counter(
                rule
                for r in reports
                for line in r.lines
                for rule in dict.fromkeys(v.rule for v in line.violations)
            )
            print(
                f"ablation {name}: pass {sum(r.ok for r in reports)}; lines breaking each rule: "
                + ", ".join(f"{r} {c}" for r, c in per_line.most_common())
            )
    print("examples:")
    for rule, ex in examples.items():
        print(f"  {rule}:")
        for e in ex:
            print(f"    {e}")
    for number in [int(x) for x in args.show.split(",") if x.strip()]:
        text = dict(items)[number]
        print(f"\n--- Sonnet {number}\n{check_poem(text, form).render()}")


if __name__ == "__main__":
    main()
