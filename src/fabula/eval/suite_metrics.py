"""The metrics a suite may ask for, each with its direction declared once, here.

A suite metric turns a run's outputs into values on *units*: one value per sample (perplexity,
seq-rep-n, ...) or one per group of samples written for the same prompt, temperature and seed
(distinct-n, self-BLEU: they measure a set). The paired bootstrap of `fabula.eval.compare`
resamples these units, and reads `direction` to say whether a difference is better or worse.

A value is None where the metric is undefined on that unit (a text shorter than n words).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from fabula.errors import BackendUnavailable, FabulaError

if TYPE_CHECKING:
    from fabula.eval.originality import CorpusIndex

__all__ = ["METRICS", "Context", "SuiteMetric", "get_metric"]

Direction = Literal["higher", "lower"] | None  # None: informative only, no verdict


@dataclass(frozen=True)
class Context:
    """What a metric may read besides the texts: the task's prompt, form and model."""

    prompt: str
    kind: str
    form: str | None
    model: str
    backend_for: Callable[[str], Any]  # a model spec -> a loaded backend (cached by the runner)


@dataclass(frozen=True)
class SuiteMetric:
    name: str
    direction: Direction
    scope: Literal["sample", "group"]
    compute: Callable[[Sequence[str], Context, Mapping[str, Any]], list[float | None]]
    kinds: tuple[str, ...] = ("continue-prose", "poem", "story-premise")
    about: str = ""
    check: Callable[[Mapping[str, Any]], None] | None = None  # settings refused when the suite loads


def _defined(fn: Callable[[], float]) -> float | None:
    try:
        return float(fn())
    except BackendUnavailable:  # the model cannot measure at all: not a gap in one unit
        raise
    except FabulaError:  # undefined on this unit: the bootstrap skips it
        return None


def _distinct(texts: Sequence[str], _: Context, p: Mapping[str, Any]) -> list[float | None]:
    from fabula.eval import distinct_n

    return [_defined(lambda: distinct_n(texts, n=int(p.get("n", 2))))]


def _self_bleu(texts: Sequence[str], _: Context, p: Mapping[str, Any]) -> list[float | None]:
    from fabula.eval import self_bleu

    kept = [t for t in texts if t.split()]
    return [_defined(lambda: self_bleu(kept, n=int(p.get("n", 4))))] if len(kept) >= 2 else [None]


def _seq_rep(texts: Sequence[str], _: Context, p: Mapping[str, Any]) -> list[float | None]:
    from fabula.eval import seq_rep_n

    return [_defined(lambda t=t: seq_rep_n([t], n=int(p.get("n", 4)))) for t in texts]


def _repeated_lines(texts: Sequence[str], _: Context, __: Mapping[str, Any]) -> list[float | None]:
    from fabula.eval import repeated_line_rate

    return [_defined(lambda t=t: repeated_line_rate([t])) for t in texts]


def _perplexity(texts: Sequence[str], ctx: Context, p: Mapping[str, Any]) -> list[float | None]:
    from fabula.eval import perplexity

    backend = ctx.backend_for(str(p.get("model") or ctx.model))
    prompt = ctx.prompt if p.get("condition_on_prompt", True) and ctx.kind == "continue-prose" else ""
    try:
        return [_defined(lambda t=t: perplexity(backend, [t], prompt=prompt).value) for t in texts]
    except BackendUnavailable as exc:  # not undefined on a unit: the scorer cannot score at all
        raise FabulaError(f"{exc} In the suite, give perplexity a local scorer: [metrics.LABEL] "
                          "metric = \"perplexity\", model = \"house:en\" (or hf:PATH).") from exc


def _form(texts: Sequence[str], ctx: Context, p: Mapping[str, Any]) -> list[float | None]:
    from fabula.forms import check_poem

    if not ctx.form:
        raise FabulaError("form_compliance needs the task's `form` (a poem task).")
    by_line = bool(p.get("lines", False))  # the share of verse lines that keep the form, not pass/fail
    out: list[float | None] = []
    for t in texts:
        report = check_poem(t, ctx.form) if t.strip() else None
        if report is None or (by_line and not report.lines):
            out.append(0.0)
        else:
            out.append(sum(x.ok for x in report.lines) / len(report.lines) if by_line else float(report.ok))
    return out


def _premise(texts: Sequence[str], ctx: Context, _: Mapping[str, Any]) -> list[float | None]:
    from fabula.eval import premise_similarity

    return [_defined(lambda t=t: premise_similarity([t], [ctx.prompt])) if t.strip() else None for t in texts]


def _coherence(texts: Sequence[str], _: Context, __: Mapping[str, Any]) -> list[float | None]:
    from fabula.eval import sentence_coherence

    return [_defined(lambda t=t: sentence_coherence([t])) if t.strip() else None for t in texts]


def _sentiment(texts: Sequence[str], _: Context, __: Mapping[str, Any]) -> list[float | None]:
    from fabula.eval import sentiment

    return [float(v) for v in sentiment(list(texts))] if texts else []


@cache
def _index(file: str | None, corpora: tuple[str, ...]) -> CorpusIndex:
    from fabula.eval.originality import CorpusIndex

    if file:
        path = Path(file).expanduser()
        if not path.is_file():
            raise FabulaError(f"The memorisation corpus {path} is not a file; give a text file whose documents are "
                              "separated by blank lines.")
        return CorpusIndex.build(d for d in path.read_text(encoding="utf-8").split("\n\n") if d.strip())
    return CorpusIndex.from_corpora(corpora)


def _check_corpus(p: Mapping[str, Any]) -> None:
    file, corpora = p.get("file"), p.get("corpora")
    if bool(file) == bool(corpora) or (corpora and not isinstance(corpora, list)):
        raise FabulaError("memorisation and longest_copy need the training texts: `file = \"PATH\"` (documents "
                          "separated by blank lines) or `corpora = [\"NAME\", ...]` (prepared with "
                          "`fabula data prepare`), one of them.")


def _corpus(p: Mapping[str, Any]) -> CorpusIndex:
    _check_corpus(p)
    file, corpora = p.get("file"), p.get("corpora")
    return _index(str(file) if file else None, tuple(corpora or ()))


def _memorised(texts: Sequence[str], _: Context, p: Mapping[str, Any]) -> list[float | None]:
    from fabula.eval import ngram_overlap

    index = _corpus(p)
    return [_defined(lambda t=t: ngram_overlap([t], index, n=int(p.get("n", 8)))) for t in texts]


def _longest_copy(texts: Sequence[str], _: Context, p: Mapping[str, Any]) -> list[float | None]:
    from fabula.eval import longest_common_ngram

    index = _corpus(p)
    return [float(longest_common_ngram(t, index)) for t in texts]


def _check_judge(p: Mapping[str, Any]) -> None:
    if not p.get("model"):
        raise FabulaError("judge needs the judging model: `model = \"openai:MODEL@URL\"` (an instruction-following "
                          "server) or a local model with `method = \"likelihood\"`.")
    if p.get("method", "reply") not in ("reply", "likelihood"):
        raise FabulaError("judge's `method` is \"reply\" or \"likelihood\".")


def _judge(texts: Sequence[str], ctx: Context, p: Mapping[str, Any]) -> list[float | None]:
    """The judge's mean score over the chosen criteria (`criteria`, default all the rubric's), or
    None where its reply is not in the rubric's format: a column of None is a judge that cannot judge."""
    from fabula.eval.judge import JudgeFormatError, judge

    _check_judge(p)
    backend = ctx.backend_for(str(p["model"]))
    premise = ctx.prompt if ctx.kind == "story-premise" else None
    out: list[float | None] = []
    for t in texts:
        if not t.strip():
            out.append(None)
            continue
        try:
            verdict = judge(backend, t, premise, rubric=str(p.get("rubric", "hanna")), criteria=p.get("criteria"),
                            method=p.get("method", "reply"), retries=int(p.get("retries", 1)))
        except JudgeFormatError:
            out.append(None)
            continue
        out.append(verdict.mean)
    return out


def _words(texts: Sequence[str], _: Context, __: Mapping[str, Any]) -> list[float | None]:
    from fabula.eval.tokens import tokens

    return [float(len(tokens(t))) for t in texts]


METRICS: dict[str, SuiteMetric] = {
    m.name: m
    for m in (
        SuiteMetric("distinct_n", "higher", "group", _distinct, about="distinct n-grams / n-grams of a group"),
        SuiteMetric("self_bleu", "lower", "group", _self_bleu, about="mean BLEU of each sample against the others"),
        SuiteMetric("seq_rep_n", "lower", "sample", _seq_rep, about="repeated n-grams within a sample"),
        SuiteMetric("repeated_line_rate", "lower", "sample", _repeated_lines, about="lines repeating an earlier line"),
        SuiteMetric("perplexity", "lower", "sample", _perplexity, about="per-sample perplexity under a reference model"),
        SuiteMetric("form_compliance", "higher", "sample", _form, ("poem",), "1 if the poem keeps its form (lines = true: its share of lines that do)"),
        SuiteMetric(
            "premise_similarity", "higher", "sample", _premise, ("continue-prose", "story-premise"),
            "MiniLM cosine of the sample to its prompt",
        ),
        SuiteMetric(
            "coherence", "higher", "sample", _coherence, ("continue-prose", "story-premise"),
            "MiniLM cosine of adjacent sentences within the sample",
        ),
        SuiteMetric("sentiment", None, "sample", _sentiment, about="VADER (English) or SnowNLP (Chinese) polarity"),
        SuiteMetric("memorisation", "lower", "sample", _memorised,
                    about="share of the sample's n-grams found in the training texts (file or corpora)",
                    check=_check_corpus),
        SuiteMetric("longest_copy", "lower", "sample", _longest_copy,
                    about="tokens of the longest run copied word for word from the training texts",
                    check=_check_corpus),
        SuiteMetric("judge", "higher", "sample", _judge,
                    about="model judgement: a judge model's mean rubric score (HANNA by default)", check=_check_judge),
        SuiteMetric("words", None, "sample", _words, about="word tokens per sample (no verdict)"),
    )
}


def get_metric(name: str) -> SuiteMetric:
    try:
        return METRICS[name]
    except KeyError:
        raise FabulaError(f"Unknown suite metric {name!r}; use one of: {', '.join(METRICS)}.") from None
