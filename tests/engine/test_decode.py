from pathlib import Path

import pytest
import torch

from fabula.backends import GenerationOptions, resolve
from fabula.engine.constraints import TokenFilter
from fabula.errors import PromptTooLong


@pytest.fixture
def backend(tiny_checkpoint: Path):
    return resolve(f"hf:{tiny_checkpoint}")


def test_greedy_matches_transformers_generate(backend, tiny_checkpoint: Path) -> None:
    from transformers import AutoModelForCausalLM

    ref_model = AutoModelForCausalLM.from_pretrained(str(tiny_checkpoint), dtype=torch.bfloat16)
    prompt_ids = backend.tokenizer.encode_prompt("The sea was calm")
    ref = ref_model.generate(
        torch.tensor([prompt_ids]), max_new_tokens=12, do_sample=False, eos_token_id=None, pad_token_id=0
    )[0, len(prompt_ids) :].tolist()
    out = backend.generate("The sea was calm", GenerationOptions(max_tokens=12, temperature=0))[0]
    assert out.token_ids == ref


def test_seed_reproduces_and_alternatives_differ(backend) -> None:
    options = GenerationOptions(max_tokens=16, n=3, seed=11, temperature=1.0)
    first = [c.token_ids for c in backend.generate("Once", options)]
    again = [c.token_ids for c in backend.generate("Once", options)]
    assert first == again
    assert len({tuple(t) for t in first}) == 3


def test_greedy_alternatives_agree_with_single_run(backend) -> None:
    one = backend.generate("She opened", GenerationOptions(max_tokens=10, temperature=0))[0]
    many = backend.generate("She opened", GenerationOptions(max_tokens=10, temperature=0, n=4))
    assert all(c.token_ids == one.token_ids for c in many)


def test_max_tokens_and_usage(backend) -> None:
    outs = backend.generate("Once", GenerationOptions(max_tokens=5, n=2, seed=1))
    assert [len(c.token_ids) for c in outs] == [5, 5]
    assert all(c.finish_reason == "length" for c in outs)
    assert backend.last_usage.completion_tokens == 10


def test_stop_string_ends_one_alternative_others_go_on(backend) -> None:
    options = GenerationOptions(max_tokens=40, n=4, seed=3, temperature=1.0)
    free = backend.generate("The", options)
    # pick a string the longest alternative really produces (past its start), then stop on it
    longest = max(free, key=lambda c: len(c.text))
    text = longest.text
    stop = next(text[k : k + 2] for k in range(3, len(text) - 1) if text[k : k + 2].isprintable()
                and not text[k : k + 2].isspace() and "\ufffd" not in text[k : k + 2])
    stopped = backend.generate("The", options.model_copy(update={"stop": (stop,)}))
    cut = stopped[longest.index]
    assert cut.finish_reason == "stop"
    assert text.startswith(cut.text) and len(cut.text) < len(text)
    for c in stopped:
        assert stop not in c.text


def test_constraint_hook_masks_tokens(backend) -> None:
    letters = set("abcdefghijklmnopqrstuvwxyz ")
    constraint = TokenFilter(lambda text: bool(text) and set(text) <= letters, allow_eos=False)
    outs = backend.generate("The sea", GenerationOptions(max_tokens=30, n=2, seed=5), constraint)
    for c in outs:
        assert set(c.text) <= letters
        assert len(c.token_ids) == 30


def test_prompt_longer_than_context_is_a_clear_error(backend) -> None:
    long_prompt = "word " * 400
    with pytest.raises(PromptTooLong, match="context holds 128"):
        backend.generate(long_prompt, GenerationOptions(max_tokens=5))


def test_generation_stops_at_full_context(backend) -> None:
    prompt = "a b " * 58  # close to the 128-token context
    n_prompt = len(backend.tokenizer.encode_prompt(prompt))
    out = backend.generate(prompt, GenerationOptions(max_tokens=100, seed=0))[0]
    assert out.finish_reason == "context"
    assert len(out.token_ids) == 128 - n_prompt
