"""Data cards: where a corpus comes from, its licence, how it was cleaned, and its counts.

`card.json` is for programs, `card.md` for people; both are written next to
the split files. Counts per split are documents, characters and rough
tokens (`rough_tokens`: words and punctuation marks in English, one per
character in Chinese; a model's BPE count differs, but the ratio between
splits and corpora holds).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from fabula.data.split import SPLIT_RULE, SPLITS

if TYPE_CHECKING:
    from fabula.data.corpus import Document

__all__ = ["LABEL_KEYS", "rough_tokens", "build_card", "render_card"]

LABEL_KEYS = ("lang", "source", "genre", "style", "form", "tune")
_TOKEN = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]"  # one Chinese character
    r"|[^\W_]+(?:['’][^\W_]+)*"  # a word, with its apostrophes (don't, o'er)
    r"|[^\w\s]"  # a punctuation mark
)


def rough_tokens(text: str) -> int:
    """Words plus punctuation marks; each Chinese character counts as one."""
    return len(_TOKEN.findall(text))


def build_card(
    name: str, card: Mapping, parts: Mapping[str, Sequence[Document]], stats: Mapping[str, int]
) -> dict:
    """The full card: the corpus's own fields plus counts per split and per label."""
    splits = {
        split: {
            "documents": len(docs),
            "characters": sum(len(d.text) for d in docs),
            "tokens": sum(rough_tokens(d.text) for d in docs),
        }
        for split, docs in parts.items()
    }
    splits["total"] = {k: sum(splits[s][k] for s in SPLITS) for k in ("documents", "characters", "tokens")}
    labels: dict[str, dict[str, dict[str, int]]] = {}
    for key in LABEL_KEYS:
        per_split = {
            split: dict(Counter(d.meta[key] for d in docs if d.meta.get(key)).most_common())
            for split, docs in parts.items()
        }
        if any(per_split.values()):
            labels[key] = per_split
    return {
        "name": name,
        **dict(card),
        "split_rule": SPLIT_RULE,
        "splits": splits,
        "labels": labels,
        "stats": dict(sorted(stats.items())),
    }


def _source_line(source: object) -> str:
    if isinstance(source, Mapping):
        kind, package, version = source.get("kind", ""), source.get("package", ""), source.get("version", "?")
        text = f"{kind} package `{package}` version {version}"
        return text + (f" ({source['files']})" if source.get("files") else "")
    return str(source)


def render_card(card: Mapping) -> str:
    """The card as Markdown (what `fabula data show NAME` prints)."""
    out = [f"# Corpus `{card['name']}`", ""]
    if card.get("description"):
        out += [str(card["description"]), ""]
    out.append(f"- **Source**: {_source_line(card.get('source', 'unknown'))}")
    out.append(f"- **Licence**: {card.get('licence', 'unknown')}")
    if card.get("lang"):
        out.append(f"- **Language**: {card['lang']}")
    if card.get("script"):
        out.append(f"- **Script**: {card['script']}")
    if card.get("tools"):
        out.append("- **Tools**: " + ", ".join(f"{k} {v}" for k, v in card["tools"].items()))
    out.append(f"- **Split**: {card.get('split_rule', '')}")
    if card.get("cleaning"):
        out += ["", "## Cleaning", ""] + [f"- {rule}" for rule in card["cleaning"]]
    out += ["", "## Counts", "", "| split | documents | characters | rough tokens |", "|---|---:|---:|---:|"]
    for split, c in card["splits"].items():
        out.append(f"| {split} | {c['documents']:,} | {c['characters']:,} | {c['tokens']:,} |")
    for key, per_split in card.get("labels", {}).items():
        values = Counter()
        for counts in per_split.values():
            values.update(counts)
        shown = values.most_common(20)
        more = f" (top 20 of {len(values)})" if len(values) > 20 else ""
        out += [
            "",
            f"## Label `{key}`{more}",
            "",
            "| value | " + " | ".join(SPLITS) + " |",
            "|---|" + "---:|" * len(SPLITS),
        ]
        for value, _ in shown:
            out.append(
                f"| {value} | " + " | ".join(str(per_split.get(s, {}).get(value, 0)) for s in SPLITS) + " |"
            )
    if card.get("stats"):
        out += ["", "## Other counts", ""] + [f"- {k}: {v:,}" for k, v in card["stats"].items()]
    return "\n".join(out) + "\n"
