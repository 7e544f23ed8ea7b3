"""Evaluation metrics for generated stories and poems: plain functions over lists of strings.

    from fabula.eval import distinct_n, self_bleu, perplexity, sentence_coherence, judge
    distinct_n(stories, n=2); perplexity(resolve("house:en"), stories).value

docs/metrics.md defines every metric exactly (formula, implementation, range, limits).
Heavy dependencies (MiniLM, sacreBLEU, MAUVE, scikit-learn, spaCy) load on first use.
"""

from fabula.eval.coherence import adjacent_similarity, premise_similarity, sentence_coherence
from fabula.eval.diversity import distinct_n, repeated_line_rate, self_bleu, seq_rep_n
from fabula.eval.fluency import perplexity
from fabula.eval.form import FormCompliance, compliance_rate, form_compliance
from fabula.eval.judge import MODEL_JUDGEMENT, JudgeFormatError, Judgement, judge, parse_scores
from fabula.eval.mauve_score import Mauve, mauve
from fabula.eval.ngram import NgramLM
from fabula.eval.originality import CorpusIndex, copied_line_rate, longest_common_ngram, ngram_overlap
from fabula.eval.perplexity import Perplexity
from fabula.eval.rubrics import Criterion, Rubric, all_rubrics, get_rubric
from fabula.eval.sentiment import EmotionProfile, emotion_profile, sentiment
from fabula.eval.style import (
    StyleClassifier,
    content_preservation,
    content_similarities,
    joint_score,
    style_accuracy,
    style_hits,
)

__all__ = [
    "MODEL_JUDGEMENT",
    "CorpusIndex",
    "Criterion",
    "EmotionProfile",
    "FormCompliance",
    "JudgeFormatError",
    "Judgement",
    "Mauve",
    "NgramLM",
    "Perplexity",
    "Rubric",
    "StyleClassifier",
    "adjacent_similarity",
    "all_rubrics",
    "compliance_rate",
    "content_preservation",
    "content_similarities",
    "copied_line_rate",
    "distinct_n",
    "emotion_profile",
    "form_compliance",
    "get_rubric",
    "joint_score",
    "judge",
    "longest_common_ngram",
    "mauve",
    "ngram_overlap",
    "parse_scores",
    "perplexity",
    "premise_similarity",
    "repeated_line_rate",
    "self_bleu",
    "sentence_coherence",
    "sentiment",
    "seq_rep_n",
    "style_accuracy",
    "style_hits",
]
