"""Echo and Without on a tiny random real model: what they promise holds token by token."""

from __future__ import annotations

from fabula.backends.base import Backend
from fabula.backends.options import GenerationOptions
from fabula.engine.constraints import TokenFilter, Without
from fabula.engine.echo import Echo


def test_a_boosted_word_appears_whole_even_when_it_spans_tokens(local: Backend) -> None:
    tok = local.tokenizer
    word = " lighthouse"
    assert len(tok.encode(word)) > 1  # several tokens in the tiny vocabulary: the forcing is exercised
    options = GenerationOptions(n=4, seed=3, max_tokens=30)
    plain = local.generate("The night", options)
    echoed = local.generate("The night", options, Echo({"lighthouse": [word]}, weight=50.0))
    assert not any(word in c.text for c in plain)
    assert all(word in c.text for c in echoed)
    # boosted only until used: far fewer copies than a constant bonus would give
    assert all(c.text.count(word) <= 3 for c in echoed)


def test_the_inner_constraint_has_the_last_word(local: Backend) -> None:
    letters = TokenFilter(lambda t: t.strip().isalpha() or t == " ")
    echo = Echo({"sea": [" sea!"]}, weight=50.0, inner=letters)  # "!" is never allowed by the filter
    for c in local.generate("The", GenerationOptions(n=3, seed=1, max_tokens=20), echo):
        assert "!" not in c.text


def test_without_never_produces_the_banned_tokens(local: Backend) -> None:
    tok = local.tokenizer
    options = GenerationOptions(n=4, seed=0, max_tokens=40)
    seen = {t for c in local.generate("It was", options) for t in c.token_ids}
    banned = frozenset(sorted(seen)[: len(seen) // 2])
    again = local.generate("It was", options, Without(banned))
    assert all(not banned & set(c.token_ids) for c in again)
