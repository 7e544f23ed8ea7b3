#!/usr/bin/env python3
"""Measure the 对仗 scorer (fabula.forms.chinese.duizhang) on the 律诗 of 唐诗三百首.

    python scripts/measure-duizhang.py [CORPUS] [--show N]

CORPUS is either a prepared corpus folder ({train,validation,test}.jsonl, as `fabula data prepare`
writes for tang300) or the chinese-poetry file `dist/quantangshi/唐诗三百首.json` (npm package
chinese-poetry@2.0.1). For every poem tagged 五言律诗 / 七言律诗 with 8 lines of equal length, the
match fraction of each couplet is computed; the 颔联 and 颈联 (couplets 2, 3) should be parallel,
the 首联 and 尾联 usually are not, and random line pairs (line 1 of one couplet with line 2 of a
couplet from another poem, same length) are a baseline of non-parallel couplets. Prints, for each
threshold, the share of each kind that passes.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

from fabula.forms.chinese.duizhang import score
from fabula.forms.chinese.lexicon import to_simplified
from fabula.forms.chinese.shi import split_lines

DEFAULT = Path("/work/fhome/cache/corpora/tang300")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def load(path: Path) -> list[tuple[str, list[str]]]:
    poems = []
    if path.is_dir():
        for split in ("train", "validation", "test"):
            f = path / f"{split}.jsonl"
            if f.exists():
                for line in f.read_text(encoding="utf-8").splitlines():
                    if line.strip():
                        p = json.loads(line)
                        meta = p["meta"]
                        poems.append((meta.get("form_tag", ""), p["text"].splitlines(), meta.get("title", "")))
    else:
        for r in json.loads(path.read_text(encoding="utf-8")):
            tag = next((t for t in r.get("tags", []) if t in ("五言律诗", "七言律诗")), "")
            lines = [to_simplified(p) for p in r["paragraphs"]]
            poems.append((tag, lines, to_simplified(r.get("title", ""))))
    out = []
    for tag, lines, title in poems:
        if tag not in ("五言律诗", "七言律诗"):
            continue
        verse = ["".join(_HAN.findall(v)) for v in split_lines(lines)]
        n = 5 if tag == "五言律诗" else 7
        if len(verse) == 8 and all(len(v) == n for v in verse):
            out.append((title, verse))
    return out


def mean(couplets: list) -> float:
    return sum(c.score for c in couplets) / max(len(couplets), 1)


def share(couplets: list, threshold: float) -> float:
    return 100 * sum(c.score >= threshold - 1e-9 for c in couplets) / max(len(couplets), 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--show", type=int, default=0, help="print the N lowest-scoring middle couplets")
    args = ap.parse_args()
    poems = load(args.corpus)
    middle, outer, rand, repeated = [], [], [], 0
    for _, verse in poems:
        for k in (1, 2, 0, 3):
            c = score(verse[2 * k], verse[2 * k + 1])
            (middle if k in (1, 2) else outer).append(c)
            if k in (1, 2) and c.repeated:
                repeated += 1
    rng = random.Random(300)
    for i, (_, verse) in enumerate(poems):
        for k in range(4):
            j = rng.randrange(len(poems))
            other = poems[j][1]
            if j != i and len(other[0]) == len(verse[0]):
                rand.append(score(verse[2 * k], other[2 * rng.randrange(4) + 1]))
    print(f"{len(poems)} 律诗; {len(middle)} middle couplets, {len(outer)} 首联/尾联, {len(rand)} random pairs")
    print(f"mean match: middle {mean(middle):.2f}, 首联/尾联 {mean(outer):.2f}, random {mean(rand):.2f}")
    print(f"middle couplets repeating a character at the same position: {repeated}")
    both = sum(middle[2 * i].score >= 0.6 and middle[2 * i + 1].score >= 0.6 for i in range(len(poems)))
    print(f"律诗 whose 颔联 and 颈联 both reach 0.60: {both}/{len(poems)} ({100 * both / len(poems):.1f}%)")
    print(f"{'threshold':>9} {'middle':>7} {'outer':>7} {'random':>7}   (share passing)")
    for t in (0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9):
        print(f"{t:>9.2f} {share(middle, t):>6.1f}% {share(outer, t):>6.1f}% {share(rand, t):>6.1f}%")
    if args.show:
        for c in sorted(middle, key=lambda c: c.score)[: args.show]:
            misses = "; ".join(c.describe(i) for i in c.mismatched)
            print(f"{c.score:.2f} {c.first} / {c.second}: {misses}")


if __name__ == "__main__":
    main()
