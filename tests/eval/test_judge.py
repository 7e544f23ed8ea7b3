"""The HANNA judge: the strict parser on real-looking replies, and the whole flow over Fabula's
OpenAI-compatible server with a tiny real model (which cannot follow the rubric, so the retries
and the failure are exercised; the likelihood method always yields numbers)."""

from __future__ import annotations

import math

import pytest

from fabula.backends import Backend, GenerationOptions, resolve
from fabula.errors import FabulaError
from fabula.eval import MODEL_JUDGEMENT, JudgeFormatError, get_rubric, judge, parse_scores
from fabula.eval.judge import judge_prompt

HANNA = get_rubric("hanna")
ALL = HANNA.names
STORY = "The sea was calm. Anna rowed out alone and found the drowned bell ringing under the water."
PREMISE = "A girl finds a bell in the sea."


def test_hanna_has_its_six_criteria_in_order() -> None:
    assert ALL == ["relevance", "coherence", "empathy", "surprise", "engagement", "complexity"]
    assert (HANNA.low, HANNA.high) == (1, 5)


def test_parse_plain_lines() -> None:
    reply = "relevance: 4\ncoherence: 3\nempathy: 2\nsurprise: 5\nengagement: 3\ncomplexity: 1\n"
    assert parse_scores(reply, HANNA, ALL) == dict(zip(ALL, [4, 3, 2, 5, 3, 1], strict=True))


def test_parse_a_chatty_markdown_reply() -> None:
    reply = """Here is my evaluation of the story.

1. **Relevance (RE)**: 4/5 - the bell is found, as the premise asks.
2. **Coherence:** 5 (events follow one another)
- *Empathy* = 2
- Surprise: 3.
- ENGAGEMENT: 3
- Complexity: 2 — a single scene.

Overall, a short but clear story. Coherence: 5"""
    assert parse_scores(reply, HANNA, ALL) == {
        "relevance": 4,
        "coherence": 5,
        "empathy": 2,
        "surprise": 3,
        "engagement": 3,
        "complexity": 2,
    }


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("coherence: 4.5", "not a whole number 1-5"),
        ("coherence: 6", "not a whole number 1-5"),
        ("coherence: 0", "not a whole number 1-5"),
        ("coherence: 10", "not a whole number 1-5"),
        ("coherence: 3/10", "out of 10"),
        ("coherence: four", "no score line for coherence"),
        ("coherence: 4\ncoherence: 2", "scored twice, 4 and 2"),
        ("the coherence is 4", "no score line for coherence"),
    ],
)
def test_parse_refuses_what_is_not_one_score_on_the_scale(line: str, problem: str) -> None:
    with pytest.raises(JudgeFormatError, match=problem):
        parse_scores(line, HANNA, ["coherence"])


def test_relevance_needs_a_premise(wide: Backend) -> None:
    with pytest.raises(FabulaError, match="needs the story's premise"):
        judge(wide, STORY, criteria=["relevance"])
    with pytest.raises(FabulaError, match="no criterion 'plot'"):
        judge(wide, STORY, criteria=["plot"])
    # without a premise, the default is every criterion that does not need one
    assert "relevance" not in judge_prompt(STORY, None, HANNA, HANNA.criteria[1:])


def test_reply_judging_retries_then_fails_over_the_server(wide_server_url: str, wide: Backend) -> None:
    remote = resolve(f"openai:{wide.spec}@{wide_server_url}")
    with pytest.raises(JudgeFormatError, match="in 3 attempts") as caught:
        judge(remote, STORY, premise=PREMISE, retries=2, seed=7, max_tokens=12)
    replies = caught.value.replies
    assert len(replies) == 3
    # the first attempt is greedy, then sampled with seeds 8 and 9: the server saw the same prompt
    prompt = judge_prompt(STORY, PREMISE, HANNA, HANNA.criteria)
    for attempt, reply in enumerate(replies):
        options = GenerationOptions(max_tokens=12, temperature=0.0 if attempt == 0 else 0.7, seed=7 + attempt)
        assert reply == wide.generate(prompt, options)[0].text
    assert len(set(replies)) == 3
    assert "instruction-following model" in str(caught.value)


def test_likelihood_judging_is_the_expected_score(wide_server_url: str, wide: Backend) -> None:
    remote = resolve(f"openai:{wide.spec}@{wide_server_url}")
    verdict = judge(remote, STORY, criteria=["coherence", "surprise"], method="likelihood")
    assert verdict.label == MODEL_JUDGEMENT == "model judgement"
    assert (verdict.judge, verdict.method, verdict.rubric) == (remote.spec, "likelihood", "hanna")
    # by hand from the local model: p_k = exp(logp " k") renormalised over 1..5, score = sum k p_k
    prompt = judge_prompt(STORY, None, HANNA, [HANNA.criterion("coherence"), HANNA.criterion("surprise")])
    for name in ("coherence", "surprise"):
        logps = [wide.score(f"{prompt}{name}:", f" {k}").total for k in range(1, 6)]
        weights = [math.exp(lp) for lp in logps]
        expected = sum(k * w for k, w in zip(range(1, 6), weights, strict=True)) / sum(weights)
        assert verdict.scores[name] == pytest.approx(expected, abs=1e-3)
        assert 1.0 <= verdict.scores[name] <= 5.0
    assert verdict.mean == pytest.approx(sum(verdict.scores.values()) / 2)


def test_judge_errors(wide: Backend) -> None:
    with pytest.raises(FabulaError, match="no story"):
        judge(wide, "   ")
    with pytest.raises(FabulaError, match="Unknown judging method"):
        judge(wide, STORY, method="vibes")  # type: ignore[arg-type]
    with pytest.raises(FabulaError, match="No rubric called 'nope'"):
        judge(wide, STORY, rubric="nope")
