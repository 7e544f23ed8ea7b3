"""The prompt format of house models: structure tokens, control tokens, headers, infill prompts.

Training (`fabula.train.formatting`) writes documents in this format and the
house backend prompts in it, so both import it from here:

    <|bos|><source=austen><form=novel>\\n{text}<|eos|>
    <|bos|><form=七言绝句><title>静夜思</title>\\n{text}<|eos|>
    <|bos|>{controls}\\n<fim_prefix>{before}<fim_suffix>{after}<fim_middle>{middle}<|eos|>
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from fabula.errors import InvalidOptions

__all__ = [
    "BOS",
    "EOS",
    "FIM_MIDDLE",
    "FIM_PREFIX",
    "FIM_SUFFIX",
    "PAD",
    "STRUCTURE_TOKENS",
    "TITLE_CLOSE",
    "TITLE_OPEN",
    "UNK",
    "Conditioning",
    "ModelControls",
    "control_token",
    "control_tokens",
    "fim_prompt",
    "one_line",
    "prompt_header",
]

BOS, EOS, PAD, UNK = "<|bos|>", "<|eos|>", "<|pad|>", "<unk>"
FIM_PREFIX, FIM_SUFFIX, FIM_MIDDLE = "<fim_prefix>", "<fim_suffix>", "<fim_middle>"
TITLE_OPEN, TITLE_CLOSE = "<title>", "</title>"
# Every tokenizer has these, in this order, before the corpus-specific control tokens.
STRUCTURE_TOKENS = [BOS, EOS, PAD, FIM_PREFIX, FIM_SUFFIX, FIM_MIDDLE, TITLE_OPEN, TITLE_CLOSE]
DEFAULT_KEYS = ("source", "genre", "style", "form", "tune")

_UNSAFE = re.compile(r"[\s<>=]+")


def control_token(key: str, value: str) -> str:
    """`<key=value>`, with whitespace and brackets in the value turned into `_`."""
    return f"<{key}={_UNSAFE.sub('_', str(value).strip())}>"


def control_tokens(
    meta: Mapping[str, str], keys: Iterable[str], known: frozenset[str] | None = None
) -> list[str]:
    """The control tokens of `meta` in key order, keeping only `known` ones when given."""
    tokens = [control_token(k, meta[k]) for k in keys if meta.get(k)]
    return [t for t in tokens if known is None or t in known]


def one_line(text: str) -> str:
    return " ".join(text.split())


def prompt_header(
    meta: Mapping[str, str], keys: Iterable[str] = DEFAULT_KEYS, title: str | None = None
) -> str:
    """The text a house model's prompt starts with: BOS, control tokens, title, newline."""
    head = BOS + "".join(control_tokens(meta, keys))
    if title:
        head += TITLE_OPEN + one_line(title) + TITLE_CLOSE
    return head + "\n"


def fim_prompt(header: str, prefix: str, suffix: str) -> str:
    """A prompt asking for the text between `prefix` and `suffix` (generate until <|eos|>)."""
    return f"{header}{FIM_PREFIX}{prefix}{FIM_SUFFIX}{suffix}{FIM_MIDDLE}"


@dataclass(frozen=True)
class ModelControls:
    """The control tokens a trained house model knows, from its `fabula_tokenizer.json`."""

    keys: tuple[str, ...]
    tokens: frozenset[str]
    fim: bool  # trained with fill-in-the-middle

    @classmethod
    def of(cls, folder: Path) -> ModelControls:
        path = Path(folder) / "fabula_tokenizer.json"
        if not path.exists():
            return cls((), frozenset(), False)
        data = json.loads(path.read_text(encoding="utf-8"))
        settings = data.get("settings") or {}
        training = Path(folder) / "training.json"
        fim = False
        if training.exists():
            fim = json.loads(training.read_text(encoding="utf-8")).get("config", {}).get("data", {}).get(
                "fim_rate", 0
            ) > 0
        return cls(tuple(settings.get("control_keys", DEFAULT_KEYS)), frozenset(data["controls"]), fim)

    def values(self, key: str) -> list[str]:
        return sorted(t[len(key) + 2 : -1] for t in self.tokens if t.startswith(f"<{key}="))

    def describe(self) -> str:
        """`key: v1, v2; key2: ...` for error messages and `fabula models`."""
        return "; ".join(f"{k}: {', '.join(self.values(k))}" for k in self.keys if self.values(k))


@dataclass(frozen=True)
class Conditioning:
    """What a house prompt's header says: control values by key and an optional title."""

    controls: Mapping[str, str]
    title: str | None = None

    def header(self, model: ModelControls, spec: str) -> str:
        """The header for `model`, refusing controls it was not trained with."""
        unknown_keys = [k for k in self.controls if k not in model.keys]
        if unknown_keys:
            raise InvalidOptions(
                f"{spec} has no control '{unknown_keys[0]}'. Its controls are "
                f"{model.describe() or 'none'}."
            )
        for key, value in self.controls.items():
            if control_token(key, value) not in model.tokens:
                raise InvalidOptions(
                    f"{spec} was not trained with {key}={value}. Choose one of: {', '.join(model.values(key))}."
                )
        return prompt_header(self.controls, model.keys, self.title)
