"""Poems whose form holds by construction, on a tiny random character-level Llama.

The model is noise (random weights), so without the constraint its text is never a poem; with
`ShiConstraint` every alternative must pass `check_poem`. The vocabulary is a few hundred
characters from the 平水韵 table plus the corpus punctuation; rarer characters fall back to byte
tokens, which the constraint must never allow.
"""

from __future__ import annotations

import re
from dataclasses import replace
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from fabula.backends.base import Backend, Chunk
from fabula.backends.house import HouseBackend
from fabula.backends.local import HFBackend
from fabula.backends.options import GenerationOptions
from fabula.cli import app
from fabula.errors import FabulaError
from fabula.engine.constraints import Constraint
from fabula.forms import check_poem, get_form
from fabula.forms.chinese import lexicon
from fabula.forms.chinese.constrain import ShiConstraint
from fabula.forms.compose import compose, verse_lines
from fabula.house.catalog import HouseModel

from conftest import POEM_FORMS as FORMS
from conftest import POEM_HEADS as HEADS


@pytest.fixture
def backend(char_model: Path, monkeypatch: pytest.MonkeyPatch) -> HFBackend:
    monkeypatch.setenv("FABULA_RUNTIME", "lean")
    return HFBackend.from_spec(str(char_model))


class NoConstraints(Backend):
    """A real backend that cannot constrain decoding (like an OpenAI-compatible server): it runs
    the wrapped local model but says `supports_constraints = False` and refuses constraints."""

    kind = "no-constraints"

    def __init__(self, inner: Backend) -> None:
        super().__init__(f"no-constraints:{inner.spec}")
        self.inner = inner
        self.calls = 0

    def stream(
        self, prompt: str, options: GenerationOptions | None = None, constraint: Constraint | None = None
    ) -> Iterator[Chunk]:
        assert constraint is None, "the fallback path must not pass a constraint"
        self.calls += 1
        return self.inner.stream(prompt, options)


@pytest.mark.parametrize("form", FORMS)
def test_every_constrained_poem_passes_and_unconstrained_ones_fail(backend: HFBackend, form: str) -> None:
    poems = [p for seed in (0, 1, 2) for p in compose(form, backend, title="春", n=3, seed=seed)]
    assert len(poems) == 9
    for p in poems:
        assert p.constrained and p.ok, p.report.render()
        assert check_poem(p.text, form).ok  # independently of the report compose returned
        assert p.pattern in get_form(form).params["templates"]
        lines = p.text.split("\n")
        assert len(lines) == get_form(form).params["lines"] // 2  # one couplet per text line
        assert all(re.fullmatch(r"\w+，\w+。", x) for x in lines)
    # the same model without the constraint: noise, which the checker rejects (so the test can fail)
    free = backend.generate(f"{form}《春》\n", GenerationOptions(n=9, seed=0, max_tokens=80))
    assert not any(check_poem(c.text, form).ok for c in free)


def test_only_single_known_characters_are_allowed_and_end_only_when_complete(backend: HFBackend) -> None:
    tok = backend.tokenizer
    constraint = ShiConstraint("五绝", pattern="仄起首句不入韵")
    constraint.begin(tok, 1)
    logits = constraint.adjust(torch.zeros(1, tok.vocab_size), [0], [[]])
    allowed = torch.isfinite(logits[0]).nonzero().flatten().tolist()
    assert allowed and not set(allowed) & set(tok.eos_token_ids)
    texts = [tok.token_text(t) for t in allowed]
    assert all(len(t) == 1 and lexicon.lookup(t).known for t in texts)
    byte_tokens = [t for t in range(tok.vocab_size) if "\ufffd" in tok.token_text(t)]
    assert byte_tokens and not set(byte_tokens) & set(allowed)  # the vocabulary has byte fallbacks
    poem = backend.generate("五绝\n", GenerationOptions(seed=4, max_tokens=40), ShiConstraint("五绝"))[0]
    assert poem.finish_reason == "stop" and poem.text.endswith("。\n") and poem.text.count("\n") == 2


def test_heads_and_a_given_pattern_are_honoured(backend: HFBackend) -> None:
    for form, heads in (("七言绝句", HEADS[:4]), ("五言律诗", HEADS)):
        for p in compose(form, backend, heads=heads, n=2, seed=5, pattern="仄起首句入韵"):
            assert [line[0] for line in verse_lines(p.text)] == list(heads)
            assert p.ok and p.pattern == "仄起首句入韵" and "pattern: 仄起首句入韵" in p.report.notes
            with_heads = replace(get_form(form), params={**get_form(form).params, "heads": heads})
            assert check_poem(p.text, with_heads).ok


def test_alternatives_differ_and_seeds_reproduce(backend: HFBackend) -> None:
    first = [p.text for p in compose("五绝", backend, n=4, seed=11)]
    again = [p.text for p in compose("五绝", backend, n=4, seed=11)]
    other = [p.text for p in compose("五绝", backend, n=4, seed=12)]
    assert len(set(first)) == 4
    assert first == again and first != other


def test_forbidden_lines_and_repeated_lines_are_never_returned(backend: HFBackend) -> None:
    [poem] = compose("五绝", backend, seed=3)
    [fresh] = compose("五绝", backend, seed=3, forbidden_lines=[poem.text])
    old, new = set(verse_lines(poem.text)), verse_lines(fresh.text)
    assert fresh.ok and not old & set(new) and len(set(new)) == len(new)


def test_a_house_model_is_conditioned_on_its_form_control(char_model: Path) -> None:
    seen: list[str] = []

    class Recording(HouseBackend):
        def stream(self, prompt, options=None, constraint=None):  # type: ignore[no-untyped-def]
            seen.append(self.header + prompt)
            return super().stream(prompt, options, constraint)

    house = Recording(HouseModel("tiny-zh", "test", "zh", char_model))
    [p] = compose("七绝", house, title="春江", seed=1)
    assert p.ok and seen == ["<|bos|><form=七言绝句><title>春江</title>\n"]
    assert house.header == "<|bos|>\n"  # the conditioning is restored afterwards


def test_fallback_without_constraint_support_passes_or_says_it_could_not(backend: HFBackend) -> None:
    plain = NoConstraints(backend)
    assert not plain.supports_constraints
    poems = compose("五绝", plain, title="春", n=2, seed=2, max_attempts=6)
    assert plain.calls > 0
    for p in poems:
        assert not p.constrained and 1 <= p.attempts <= 6
        assert p.ok == check_poem(p.text, "五绝").ok  # a failing poem says so
        if not p.ok:
            assert p.report.broken_rules()


def test_cli_write_prints_only_the_poem_on_stdout(char_model: Path, fabula_home: Path) -> None:
    (fabula_home / "house").mkdir(parents=True)
    (fabula_home / "house" / "tiny-zh").symlink_to(char_model)
    runner = CliRunner()
    args = ["poem", "write", "-f", "qijue", "-m", "house:tiny-zh"]
    args += ["--heads", "春江花月", "--title", "春", "--seed", "1"]
    result = runner.invoke(app, [*args, "--report"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.rstrip("\n").split("\n")
    assert len(lines) == 2 and all(re.fullmatch(r"\w{7}，\w{7}。", x) for x in lines)
    assert [x[0] for x in verse_lines(result.stdout)] == list("春江花月")
    assert check_poem(result.stdout, "七绝").ok
    assert "《春》" in result.stderr and "七言绝句: PASS" in result.stderr
    assert " s (constrained decoding)" in result.stderr
    assert runner.invoke(app, args).stdout == result.stdout  # seeded: the same poem again


def test_poem_form_is_short_for_poem_write() -> None:
    from fabula.cli.poem import write_shorthand

    assert write_shorthand(["poem", "--form", "qijue", "-n", "2"]) == ["poem", "write", "--form", "qijue", "-n", "2"]
    assert write_shorthand(["poem", "-f=x"]) == ["poem", "-f=x"]  # not an option click knows: left alone
    assert write_shorthand(["poem", "check", "a.txt", "--form", "qijue"])[1] == "check"


def test_impossible_requests_are_refused_before_decoding(backend: HFBackend) -> None:
    with pytest.raises(FabulaError, match="not a single token"):
        compose("五绝", backend, heads="鑫鑫鑫鑫", seed=0)  # not in the tiny vocabulary
    with pytest.raises(FabulaError, match="has 3 characters"):
        compose("五绝", backend, heads="春江花", seed=0)
    with pytest.raises(FabulaError, match="no pattern"):
        ShiConstraint("五绝", pattern="平起")


def test_certain_readings_are_readings_the_checker_sees_in_context() -> None:
    for line in ("白发三千丈", "出发在今朝", "干戈寥落四周星", "天下谁人不识君"):
        for ch, lk in zip(line, lexicon.lookup_line(line), strict=True):
            seen = {(r.tone, r.group) for r in lk.readings}
            assert lexicon.certain_readings(ch) <= seen, ch


CI_TUNES = ["如梦令", "浣溪沙", "菩萨蛮", "蝶恋花", "水调歌头", "念奴娇", "西江月", "鹧鸪天", "清平乐", "忆江南"]


@pytest.mark.parametrize("tune", CI_TUNES)
def test_every_constrained_ci_passes_and_unconstrained_ones_fail(backend: HFBackend, tune: str) -> None:
    from fabula.forms.chinese.ci import parse_template

    form = get_form(tune)
    poems = compose(tune, backend, n=3, seed=0)
    first = next(iter(form.params["templates"].values()))
    slots = parse_template(list(first), dict(form.params.get("rhymes", {})))
    for p in poems:
        assert p.constrained and p.ok and check_poem(p.text, tune).ok, p.report.render()
        assert [len(x) for x in verse_lines(p.text)] == [len(s.pattern) for s in slots]
        assert p.text.count("\n") == len({s.stanza for s in slots}) - 1  # one 片 per text line
    free = backend.generate(f"{tune}\n", GenerationOptions(n=3, seed=0, max_tokens=100))
    assert not any(check_poem(c.text, tune).ok for c in free)


def test_ci_rhymes_share_one_bu_and_heads_are_honoured(backend: HFBackend) -> None:
    from fabula.forms.chinese import cilin

    heads = HEADS[:7]
    for p in compose("如梦令", backend, heads=heads, n=2, seed=3):
        lines = verse_lines(p.text)
        assert [x[0] for x in lines] == list(heads)
        rhymes = [lines[i][-1] for i in (0, 1, 3, 4, 5, 6)]
        common = set.intersection(*({r.bu for r in cilin.readings(ch) if r.tone != cilin.PING} for ch in rhymes))
        assert common and len(set(rhymes)) == len(rhymes)  # one 部, no rhyme character twice
    with pytest.raises(FabulaError, match="7 句"):
        compose("如梦令", backend, heads="春江", seed=0)
    with pytest.raises(FabulaError, match="no template"):
        compose("如梦令", backend, pattern="又一体", seed=0)


def test_theme_words_are_echoed_once_boosted(backend: HFBackend) -> None:
    plain = compose("五绝", backend, theme="山", n=4, seed=8, theme_weight=0.0)
    echo = compose("五绝", backend, theme="山", n=4, seed=8, theme_weight=12.0)
    assert all(p.theme == ["山"] for p in plain + echo)
    assert sum(bool(p.echoed) for p in echo) > sum(bool(p.echoed) for p in plain)
    assert all(p.echoed == ["山"] and "theme: 山 of 山 echoed" in p.report.notes for p in echo)
    # boosted only until used: the bonus does not fill the poem with the theme
    assert all("".join(verse_lines(p.text)).count("山") <= 3 for p in echo)


def test_line_index_finds_every_line_and_few_others(tmp_path: Path) -> None:
    from fabula.forms.originality import LineIndex
    from fabula.forms.plans import line_key

    lines = [f"line number {i} of the corpus" for i in range(5000)]
    index = LineIndex.build((line_key(x) for x in lines), expected=5000, fp_rate=0.01)
    index.save(tmp_path / "lines.bloom")
    loaded = LineIndex.load(tmp_path / "lines.bloom")
    assert all(line_key(x) in loaded for x in lines) and loaded.count == 5000
    others = [line_key(f"another line {i} not there") for i in range(5000)]
    assert sum(k in loaded for k in others) / len(others) < 0.02  # about the 1 % it was built for
    assert line_key("short line") not in loaded  # under four words: never a copy
    (tmp_path / "bad.bloom").write_bytes(b"not an index")
    with pytest.raises(FabulaError, match="not a Fabula line index"):
        LineIndex.load(tmp_path / "bad.bloom")


def test_lines_of_the_training_corpus_index_are_never_returned(backend: HFBackend) -> None:
    from fabula.forms.originality import LineIndex
    from fabula.forms.plans import line_key

    first = compose("五绝", backend, n=3, seed=21)
    index = LineIndex.build((line_key(x) for p in first for x in verse_lines(p.text)), expected=100)
    again = compose("五绝", backend, n=3, seed=21, corpus_index=index)
    old = {x for p in first for x in verse_lines(p.text)}
    assert all(p.ok and not old & set(verse_lines(p.text)) for p in again)


def test_regulated_verse_can_be_written_to_the_new_rhyme_book(backend: HFBackend) -> None:
    xinyun = replace(get_form("七绝"), params={**get_form("七绝").params, "rhyme_book": "xinyun"})
    for p in compose("七绝", backend, n=3, seed=4, rhyme_book="xinyun"):
        assert p.ok and check_poem(p.text, xinyun).ok and "rhyme book: 中华新韵" in p.report.notes
    with pytest.raises(FabulaError, match="choose pingshui or xinyun"):
        compose("七绝", backend, rhyme_book="guangyun")
    with pytest.raises(FabulaError, match="not 如梦令"):
        compose("如梦令", backend, rhyme_book="xinyun")
