from pathlib import Path

import fabula
from fabula.engine.constraints import TokenFilter


def test_python_api_mirrors_the_cli(tiny_checkpoint: Path) -> None:
    spec = f"hf:{tiny_checkpoint}"
    texts = fabula.generate("Once", model=spec, max_tokens=6, n=2, seed=9)
    assert len(texts) == 2
    assert texts == fabula.generate("Once", model=fabula.model(spec), max_tokens=6, n=2, seed=9)


def test_python_api_takes_a_constraint(tiny_checkpoint: Path) -> None:
    vowels = TokenFilter(lambda t: bool(t) and set(t) <= set("aeiou "), allow_eos=False)
    (text,) = fabula.generate("Once", model=f"hf:{tiny_checkpoint}", constraint=vowels, max_tokens=8, seed=1)
    assert text and set(text) <= set("aeiou ")
