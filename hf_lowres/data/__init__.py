"""hf_lowres' data pipeline: the corpus schema, loaders, back-translation, filtering, mixing and publishing."""

from .back_translation import BackTranslationConfig, BackTranslator, GenerationStats, generate_back_translations
from .cleaning import CleaningReport
from .conll import MASAKHANER_LANGUAGES, MASAKHANER_TAGS, load_conll, load_masakhaner
from .errors import CorpusFormatError
from .filters import (
    CopyFilter,
    CorpusFilter,
    DuplicateFilter,
    EmptyFilter,
    FilterReport,
    FilterResult,
    LanguageIdFilter,
    LengthRatioFilter,
    RoundTripChrFFilter,
    filter_corpus,
)
from .language_names import LANGUAGE_NAME_TO_CODE, LANGUAGES, language_code_from_name, resolve_language
from .language_sampling import TemperatureLanguageSampler, temperature_sampling_probabilities
from .mixing import BT_TAG, add_tag_token, balance_languages, mix_corpora, tag_synthetic_sources
from .monolingual import load_monolingual
from .noise import add_noise
from .nusax import NUSAX_LANGUAGES, load_nusax_mt, load_nusax_sentiment
from .parallel_loaders import (
    build_corpus,
    load_moses,
    load_multiway_csv,
    load_parallel_corpus,
    load_translation_jsonl,
)
from .publishing import corpus_dataset_card, corpus_statistics, push_corpus_to_hub
from .schema import (
    CORPUS_FEATURES,
    MONOLINGUAL_FEATURES,
    ORIGINS,
    Provenance,
    corpus_from_pairs,
    corpus_from_rows,
    corpus_row,
    validate_corpus,
)
from .translation_codes import CONVENTIONS, detect_convention, language_token_id, model_language_code


__all__ = [
    "BT_TAG",
    "CONVENTIONS",
    "CORPUS_FEATURES",
    "LANGUAGES",
    "LANGUAGE_NAME_TO_CODE",
    "MASAKHANER_LANGUAGES",
    "MASAKHANER_TAGS",
    "MONOLINGUAL_FEATURES",
    "NUSAX_LANGUAGES",
    "ORIGINS",
    "BackTranslationConfig",
    "BackTranslator",
    "CleaningReport",
    "CopyFilter",
    "CorpusFilter",
    "CorpusFormatError",
    "DuplicateFilter",
    "EmptyFilter",
    "FilterReport",
    "FilterResult",
    "GenerationStats",
    "LanguageIdFilter",
    "LengthRatioFilter",
    "Provenance",
    "RoundTripChrFFilter",
    "TemperatureLanguageSampler",
    "add_noise",
    "add_tag_token",
    "balance_languages",
    "build_corpus",
    "corpus_dataset_card",
    "corpus_from_pairs",
    "corpus_from_rows",
    "corpus_row",
    "corpus_statistics",
    "detect_convention",
    "filter_corpus",
    "generate_back_translations",
    "language_code_from_name",
    "language_token_id",
    "load_conll",
    "load_masakhaner",
    "load_monolingual",
    "load_moses",
    "load_multiway_csv",
    "load_nusax_mt",
    "load_nusax_sentiment",
    "load_parallel_corpus",
    "load_translation_jsonl",
    "mix_corpora",
    "model_language_code",
    "push_corpus_to_hub",
    "resolve_language",
    "tag_synthetic_sources",
    "temperature_sampling_probabilities",
    "validate_corpus",
]
