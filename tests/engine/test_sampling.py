import math

import torch

from fabula.backends.options import GenerationOptions
from fabula.engine.sampling import apply_penalties, choose, truncate

NEG = float("-inf")


def opts(**kw) -> GenerationOptions:
    return GenerationOptions(**{"temperature": 1.0, **kw})


def test_top_k_keeps_k_largest() -> None:
    logits = torch.tensor([[1.0, 4.0, 3.0, 2.0]])
    out = truncate(logits, opts(top_k=2))
    assert out.tolist() == [[NEG, 4.0, 3.0, NEG]]


def test_top_p_keeps_smallest_prefix_reaching_mass() -> None:
    # probabilities 0.5, 0.3, 0.2 (as logits of their logs)
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.2]]))
    kept = truncate(logits, opts(top_p=0.7)).isfinite().tolist()
    assert kept == [[True, True, False]]  # 0.5 < 0.7, 0.5+0.3 >= 0.7
    assert truncate(logits, opts(top_p=0.5)).isfinite().tolist() == [[True, False, False]]


def test_min_p_drops_tokens_below_fraction_of_top() -> None:
    logits = torch.log(torch.tensor([[0.6, 0.25, 0.1, 0.05]]))
    kept = truncate(logits, opts(min_p=0.2)).isfinite().tolist()
    assert kept == [[True, True, False, False]]  # floor = 0.12


def test_temperature_scales_logits() -> None:
    logits = torch.tensor([[2.0, 1.0]])
    assert truncate(logits, opts(temperature=0.5)).tolist() == [[4.0, 2.0]]


def test_penalties_follow_their_definitions() -> None:
    logits = torch.tensor([[2.0, -2.0, 1.0]])
    seen = torch.tensor([[True, True, False]])
    counts = torch.tensor([[0.0, 3.0, 0.0]])
    out = apply_penalties(logits, seen, counts, opts(repetition_penalty=2.0))
    assert out.tolist() == [[1.0, -4.0, 1.0]]
    out = apply_penalties(logits, seen, counts, opts(frequency_penalty=0.5, presence_penalty=0.25))
    assert out.tolist() == [[2.0, -2.0 - 1.5 - 0.25, 1.0]]


def test_greedy_is_argmax_and_sampling_is_seeded() -> None:
    logits = torch.tensor([[0.1, 3.0, 0.2], [5.0, 0.0, 0.0]])
    assert choose(logits, GenerationOptions(temperature=0), torch.Generator()).tolist() == [1, 0]
    a = choose(logits.repeat(50, 1), opts(), torch.Generator().manual_seed(7))
    b = choose(logits.repeat(50, 1), opts(), torch.Generator().manual_seed(7))
    assert torch.equal(a, b)


def test_sampling_frequencies_match_probabilities() -> None:
    probs = torch.tensor([0.7, 0.2, 0.1])
    logits = probs.log().repeat(20000, 1)
    draws = choose(logits, opts(), torch.Generator().manual_seed(0))
    freq = torch.bincount(draws, minlength=3).float() / len(draws)
    assert torch.allclose(freq, probs, atol=0.015)
    assert not math.isnan(float(freq.sum()))
