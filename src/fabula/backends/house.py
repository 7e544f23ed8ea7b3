"""`house:<name>`: models shipped with Fabula or trained here with `fabula train`.

A house model's prompt starts with a header of control tokens (genre, style,
form, tune, title: see `fabula.house.prompt`). The catalogue gives each model
default controls; `condition()` changes them, and `infill()` uses the
fill-in-the-middle format the English model was trained with.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cached_property

from fabula.backends.base import Chunk, Completion, Score, collect
from fabula.backends.local import LocalBackend
from fabula.backends.options import GenerationOptions
from fabula.backends.registry import ModelInfo
from fabula.engine.constraints import Constraint, Without
from fabula.errors import InvalidOptions, ModelNotFound, UnknownModelSpec
from fabula.house.catalog import HouseModel, house_models
from fabula.house.prompt import EOS, STRUCTURE_TOKENS, Conditioning, ModelControls, fim_prompt


class HouseBackend(LocalBackend):
    kind = "house"

    def __init__(self, model: HouseModel) -> None:
        super().__init__(f"house:{model.name}", model.path)
        self.house = model
        self.conditioning = Conditioning(dict(model.controls))

    @classmethod
    def from_spec(cls, rest: str) -> HouseBackend:
        models = house_models()
        if rest not in models:
            names = ", ".join(f"house:{n}" for n in sorted(models))
            raise UnknownModelSpec(f"No house model called '{rest}'. House models: {names}. See `fabula models`.")
        model = models[rest]
        if not model.installed:
            raise ModelNotFound(
                f"house:{rest} is in the catalogue but its weights are not installed at {model.path}. "
                "Reinstall Fabula from a full checkout (`make setup`), or train it with `fabula train`."
            )
        return cls(model)

    @cached_property
    def controls(self) -> ModelControls:
        """The control tokens this model was trained with."""
        return ModelControls.of(self.path)

    def condition(self, controls: Mapping[str, str] | None = None, title: str | None = None) -> HouseBackend:
        """Set the header of every later prompt: `controls` override the catalogue's defaults by key
        (an empty value drops that key), `title` adds a title (or theme). Returns self."""
        merged = {**self.house.controls, **(controls or {})}
        conditioning = Conditioning({k: v for k, v in merged.items() if v}, title or None)
        conditioning.header(self.controls, self.spec)  # refuse unknown values now, not at the first prompt
        self.conditioning = conditioning
        return self

    @property
    def header(self) -> str:
        """What every prompt is prefixed with; empty for checkpoints not trained by Fabula."""
        if not self.controls.keys:
            if self.conditioning.controls or self.conditioning.title:
                raise InvalidOptions(f"{self.spec} was not trained with control tokens or titles.")
            return ""
        return self.conditioning.header(self.controls, self.spec)

    @cached_property
    def special_ids(self) -> frozenset[int]:
        """Structure and control tokens, which text never contains (end-of-text excepted)."""
        tok = self.tokenizer
        if tok is None:
            return frozenset()
        special = (set(STRUCTURE_TOKENS) | set(self.controls.tokens)) - {EOS}
        return frozenset(i for i in range(tok.vocab_size) if tok.token_text(i) in special)

    def stream(
        self, prompt: str, options: GenerationOptions | None = None, constraint: Constraint | None = None
    ) -> Iterator[Chunk]:
        return super().stream(self.header + prompt, options, self._plain_text(constraint))

    def _plain_text(self, constraint: Constraint | None) -> Constraint | None:
        """`constraint` with the special tokens banned: a sampled <fim_suffix> or <genre=...> in prose
        is noise the model learnt from its training format, never text."""
        if not self.controls.keys and not self.controls.fim:
            return constraint
        return Without(self.special_ids, constraint) if self.special_ids else constraint

    def score(self, prompt: str, continuation: str) -> Score:
        return super().score(self.header + prompt, continuation)

    def infill(
        self, before: str, after: str, options: GenerationOptions | None = None
    ) -> list[Completion]:
        """Alternatives for the text between `before` and `after` (fill-in-the-middle)."""
        if not self.controls.fim:
            raise InvalidOptions(f"{self.spec} was not trained to fill in the middle; use `fabula generate`.")
        options = options or GenerationOptions()
        prompt = fim_prompt(self.header, before, after)  # the header is part of the prompt already
        return collect(LocalBackend.stream(self, prompt, options, self._plain_text(None)), options.n)

    @classmethod
    def available(cls) -> list[ModelInfo]:
        return [
            ModelInfo(
                spec=f"house:{m.name}",
                description=m.description,
                location=str(m.path) if m.installed else "not installed",
            )
            for m in house_models().values()
        ]
