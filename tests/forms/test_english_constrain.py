"""English verse whose form holds by construction, on a tiny random BPE Llama.

The model is noise (random weights): without `VerseConstraint` its text is never a poem; with it
every alternative must pass `check_poem`. Its byte-level BPE is trained on a few hundred common
English words (capitalised too, with punctuation and newlines), so some words are one token and
others several: the constraint must spell both.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from fabula.backends.local import HFBackend
from fabula.backends.options import GenerationOptions
from fabula.errors import FabulaError
from fabula.forms import check_poem, get_form
from fabula.forms.english.constrain import PUNCTUATION, VerseConstraint, default_words

WORDS = """
the a and of to in my thy with for is are was I you he she it we they not but or as at by from on
so all this that his her our your me thee him us them be do no when then now here there how what
day way say play stay away today pray gray may lay delay
night light bright sight might white flight delight fight
see be free sea tree three agree
rain pain again remain plain vain chain
know go slow snow show below grow
hear near dear fear year clear appear
sing spring ring bring king thing
gold cold old told hold behold
fire desire tire
heart art part apart
mind kind find behind
sound found ground round around
love above dove
time rhyme climb
long song strong along
sun run begun done
stone alone
sweet feet meet
eyes skies rise
dream stream
river summer golden morning silver gentle beauty forever remember shadow flower water wonder
quiet sorrow window mountain garden heaven evening yellow open happy little over under after
never ever only early
walk sleep speak dance weep keep deep
sky moon star wind leaf bird rose wave hill field door wall hand face voice word heart soul
sad glad soft hard warm new young fair true blue green red black dark
""".split()

# Words the tokenizer never saw: several tokens each.
UNSEEN = """
temperate wandering lovely darling brightness meadow sorrowful shining weary hollow tender
lonely silent distant ancient broken burning falling rising hidden frozen fading wicked
candle lantern harbour orchard thunder whisper winter autumn valley island forest
""".split()

TEXT_LINES = [
    "".join(" " + w for w in WORDS[i : i + 9]) for i in range(0, len(WORDS), 9)
] + [" ".join(w.capitalize() for w in WORDS[i : i + 9]) + ", and." for i in range(0, len(WORDS), 9)]


def _build_model(path: Path) -> Path:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    from fabula.house.tiny import _save_random_llama

    path.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=1400,
        special_tokens=["<|bos|>", "<|eos|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    text = "\n".join(TEXT_LINES) + "\n"
    tok.train_from_iterator([text] * 3, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|bos|>", eos_token="<|eos|>")
    fast.save_pretrained(str(path))
    _save_random_llama(path, len(fast), fast.bos_token_id, fast.eos_token_id, 64, 2, 1024, 0)
    return path


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory, monkeypatch_module) -> HFBackend:
    path = _build_model(tmp_path_factory.mktemp("en") / "tiny-en")
    b = HFBackend.from_spec(str(path))
    b.load()
    return b


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FABULA_RUNTIME", "lean")
        yield mp


def _poems(backend: HFBackend, form: str, n: int = 3, seed: int = 0, **kw) -> list:
    constraint = VerseConstraint(form, **kw)
    out = backend.generate("The", GenerationOptions(n=n, seed=seed, max_tokens=900, stop=()), constraint)
    for row, done in enumerate(out):
        assert done.finish_reason == "stop", done.text
        assert constraint.is_complete(row, list(done.token_ids))
    return out


def _passes(text: str, form: str, heads: str | None = None) -> None:
    f = get_form(form)
    if heads:
        f = replace(f, params={**f.params, "heads": heads})
    report = check_poem(text, f)
    assert report.ok, f"{text}\n{report.render()}"
    assert text.endswith("\n") and "\n\n" not in text
    for line in text.splitlines():
        assert re.fullmatch(r"[A-Z][a-z]*(?:[,.;:!?]? [A-Za-z][a-z]*)*[,.;:!?]?", line), line


@pytest.mark.parametrize(
    ("form", "kw"),
    [
        ("haiku", {}),
        ("limerick", {}),
        ("quatrain-abab", {}),
        ("quatrain-aabb", {"lines": 8}),
        ("quatrain-abcb", {}),
        ("couplet", {"lines": 4}),
        ("free verse", {"lines": 3}),
    ],
)
def test_every_alternative_passes_the_checker(backend: HFBackend, form: str, kw: dict) -> None:
    poems = _poems(backend, form, **kw)
    assert len(poems) == 3
    for p in poems:
        _passes(p.text, form)
    if "lines" in get_form(form).params:  # without the constraint: noise the checker rejects
        free = backend.generate("The", GenerationOptions(n=3, seed=0, max_tokens=60))
        assert not any(check_poem(c.text, form).ok for c in free)


@pytest.mark.parametrize(("form", "heads"), [("quatrain-abab", "love"), ("limerick", "happy")])
def test_acrostic(backend: HFBackend, form: str, heads: str) -> None:
    for p in _poems(backend, form, heads=heads):
        _passes(p.text, form, heads=heads.upper())
        assert "".join(line[0] for line in p.text.splitlines()) == heads.upper()


def test_multi_token_words_are_spelled(backend: HFBackend) -> None:
    """Words that are several tokens of this tokenizer (an explicit word list) still make valid
    lines, and every token stays a letter piece, one punctuation mark or the newline."""
    tok = backend.tokenizer
    multi = [w for w in WORDS + UNSEEN if len(tok.encode(" " + w)) > 1]
    assert set(UNSEEN) <= set(multi)
    poems = _poems(backend, "couplet", words=WORDS + UNSEEN, lines=4, seed=3)
    for p in poems:
        _passes(p.text, "couplet")
        for t in p.token_ids:
            text = tok.token_text(t)
            assert re.fullmatch(r" ?[A-Za-z]+|\n", text) or text in PUNCTUATION, repr(text)
    used = {w.lower() for p in poems for w in re.findall(r"[A-Za-z]+", p.text)}
    assert used & set(multi)


def test_ends_only_after_the_last_line_and_never_allows_eos_before(backend: HFBackend) -> None:
    tok = backend.tokenizer
    c = VerseConstraint("haiku")
    c.begin(tok, 1)
    eos = min(tok.eos_token_ids)
    ids: list[int] = []
    gen = torch.Generator().manual_seed(0)
    while not c.is_complete(0, ids):
        logits = c.adjust(torch.zeros(1, tok.vocab_size), [0], [ids])
        assert logits[0, eos] == float("-inf")
        allowed = torch.nonzero(logits[0] > float("-inf")).flatten()
        ids.append(int(allowed[torch.randint(len(allowed), (1,), generator=gen)]))
        assert len(ids) < 200
    text = tok.decode(ids)
    _passes(text, "haiku")
    assert text.count("\n") == 3


@pytest.mark.parametrize("form", ["shakespearean sonnet", "petrarchan sonnet", "villanelle"])
def test_long_forms_on_the_tiny_model(backend: HFBackend, form: str) -> None:
    for p in _poems(backend, form, n=2):
        _passes(p.text, form)


def test_villanelle_refrains_are_copies(backend: HFBackend) -> None:
    (p,) = _poems(backend, "villanelle", n=1, seed=1)
    _passes(p.text, "villanelle")
    lines = p.text.splitlines()
    assert lines[0] == lines[5] == lines[11] == lines[17] and lines[2] == lines[8] == lines[14] == lines[18]


def test_default_words_are_ordinary(backend: HFBackend) -> None:
    words = default_words(backend.tokenizer)
    assert {"night", "light", "the", "I"} - {w if w != "i" else "I" for w in words} <= {"I"}
    assert all(w.isalpha() and w.islower() for w in words)


class _Letters:
    """A real (if minimal) tokenizer with no newline token: one token per lower-case letter."""

    vocab_size = 28
    eos_token_ids = frozenset({27})
    bos_token_id = None

    def token_text(self, t: int) -> str:
        return " " if t == 26 else ("" if t == 27 else chr(97 + t))

    def encode(self, text: str) -> list[int]:
        return [26 if c == " " else ord(c.lower()) - 97 for c in text]

    def decode(self, ids: list[int]) -> str:
        return "".join(self.token_text(t) for t in ids)


def test_clear_errors() -> None:
    with pytest.raises(FabulaError, match="newline"):
        VerseConstraint("haiku").begin(_Letters(), 1)
    with pytest.raises(FabulaError, match="not an English verse form"):
        VerseConstraint("五言绝句")
    with pytest.raises(FabulaError, match="multiple of 4"):
        VerseConstraint("quatrain-abab", lines=6)
    with pytest.raises(FabulaError, match="acrostic"):
        VerseConstraint("haiku", heads="LOVE")


def test_hopeless_acrostic_letter_is_a_clear_error(backend: HFBackend) -> None:
    with pytest.raises(FabulaError, match="starting with 'Z'"):
        VerseConstraint("couplet", heads="ZZ").begin(backend.tokenizer, 1)
    with pytest.raises(FabulaError, match="repeats line 1"):
        VerseConstraint("villanelle", heads="ABCDEFGHIJKLMNOPQRS").begin(backend.tokenizer, 1)


@pytest.mark.slow
def test_house_en_sonnet() -> None:
    from fabula.backends import resolve

    b = resolve("house:en")
    b.load()
    b.condition({"form": "sonnet"}, title=None)
    (p,) = b.generate(
        "", GenerationOptions(n=1, seed=0, max_tokens=600, stop=()), VerseConstraint("shakespearean sonnet")
    )
    _passes(p.text, "shakespearean sonnet")


def test_compose_accepts_a_villanelle_whose_refrains_repeat(backend: HFBackend) -> None:
    from fabula.forms.compose import compose

    # compose rejects poems repeating a line; a refrain is a repeat the form asks for.
    [poem] = compose("villanelle", backend, seed=1, max_attempts=2)
    assert poem.constrained and poem.report.ok
    lines = poem.text.splitlines()
    assert lines[0] == lines[5] and lines[2] == lines[8]
    assert len({line.lower() for line in lines}) == 19 - 6  # only the refrains repeat
