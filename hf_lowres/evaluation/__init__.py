"""Evaluation of multilingual models on low-resource languages.

Offline metrics (shipped `evaluate` modules), per-language reports, cross-lingual retrieval, a language-invariance
probe and MEXA alignment, a robustness suite of seeded perturbations, and pictures.
"""

from hf_lowres.evaluation.bilingual_lexicon import load_bilingual_lexicon
from hf_lowres.evaluation.entity_scoring import entity_f1_score, get_entities
from hf_lowres.evaluation.language_probe import ProbeResult, language_probe, train_language_probe
from hf_lowres.evaluation.metric_paths import available_metrics, load_metric, metric_path
from hf_lowres.evaluation.mexa import MexaResult, mexa_alignment, mexa_alignment_score
from hf_lowres.evaluation.per_language_report import PerLanguageReport, evaluate_per_language
from hf_lowres.evaluation.perturbations import DEFAULT_RATES, PERTURBATION_KINDS, perturb, perturb_tokens
from hf_lowres.evaluation.plots import plot_per_language_metrics, plot_representations, project_2d
from hf_lowres.evaluation.predictors import SequenceClassificationPredictor, TokenClassificationPredictor
from hf_lowres.evaluation.representations import POOLING_STRATEGIES, encode_texts, pool_hidden_states
from hf_lowres.evaluation.retrieval import RetrievalResult, cross_lingual_retrieval, margin_scores, retrieval_scores
from hf_lowres.evaluation.robustness import (
    DEFAULT_PERTURBATIONS,
    RobustnessReport,
    evaluate_robustness,
    perturb_dataset,
)
from hf_lowres.evaluation.verbalizer_scoring import VerbalizerScores, score_verbalizations


__all__ = [
    "DEFAULT_PERTURBATIONS",
    "DEFAULT_RATES",
    "PERTURBATION_KINDS",
    "POOLING_STRATEGIES",
    "MexaResult",
    "PerLanguageReport",
    "ProbeResult",
    "RetrievalResult",
    "RobustnessReport",
    "SequenceClassificationPredictor",
    "TokenClassificationPredictor",
    "VerbalizerScores",
    "available_metrics",
    "cross_lingual_retrieval",
    "encode_texts",
    "entity_f1_score",
    "evaluate_per_language",
    "evaluate_robustness",
    "get_entities",
    "language_probe",
    "load_bilingual_lexicon",
    "load_metric",
    "margin_scores",
    "metric_path",
    "mexa_alignment",
    "mexa_alignment_score",
    "perturb",
    "perturb_dataset",
    "perturb_tokens",
    "plot_per_language_metrics",
    "plot_representations",
    "pool_hidden_states",
    "project_2d",
    "retrieval_scores",
    "score_verbalizations",
    "train_language_probe",
]
