"""hf_lowres' data pipeline: the corpus schema, loaders, back-translation, lexicons, filtering, mixing, publishing."""

from .back_translation import BackTranslationConfig, BackTranslator, GenerationStats, generate_back_translations
from .cleaning import CleaningReport
from .code_switching import CodeSwitchingCallback, CodeSwitchingTransform, apply_code_switching
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
from .lexicon import Lexicon, LexiconCoverage, LexiconReport, compose_lexicons
from .lexicon_loaders import LEXICON_FORMATS, load_lexicon, load_lexicon_directory
from .mixing import BT_TAG, add_tag_token, balance_languages, mix_corpora, tag_synthetic_sources
from .monolingual import load_monolingual
from .noise import add_noise
from .nusawrites import (
    NUSA_PARAGRAPH_LANGUAGES,
    NUSA_PARAGRAPH_TOPICS,
    NUSA_TRANSLATION_LANGUAGES,
    load_nusa_paragraph,
    load_nusa_translation,
    split_sentences,
)
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
from .word_translation import (
    PROVENANCE_COLUMN_FEATURES,
    add_provenance_columns,
    translate_dataset,
    translate_text,
    translate_tokens,
    translate_train,
)


__all__ = [
    "BT_TAG",
    "CONVENTIONS",
    "CORPUS_FEATURES",
    "LANGUAGES",
    "LANGUAGE_NAME_TO_CODE",
    "LEXICON_FORMATS",
    "MASAKHANER_LANGUAGES",
    "MASAKHANER_TAGS",
    "MONOLINGUAL_FEATURES",
    "NUSAX_LANGUAGES",
    "NUSA_PARAGRAPH_LANGUAGES",
    "NUSA_PARAGRAPH_TOPICS",
    "NUSA_TRANSLATION_LANGUAGES",
    "ORIGINS",
    "PROVENANCE_COLUMN_FEATURES",
    "BackTranslationConfig",
    "BackTranslator",
    "CleaningReport",
    "CodeSwitchingCallback",
    "CodeSwitchingTransform",
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
    "Lexicon",
    "LexiconCoverage",
    "LexiconReport",
    "Provenance",
    "RoundTripChrFFilter",
    "TemperatureLanguageSampler",
    "add_noise",
    "add_provenance_columns",
    "add_tag_token",
    "apply_code_switching",
    "balance_languages",
    "build_corpus",
    "compose_lexicons",
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
    "load_lexicon",
    "load_lexicon_directory",
    "load_masakhaner",
    "load_monolingual",
    "load_moses",
    "load_multiway_csv",
    "load_nusa_paragraph",
    "load_nusa_translation",
    "load_nusax_mt",
    "load_nusax_sentiment",
    "load_parallel_corpus",
    "load_translation_jsonl",
    "mix_corpora",
    "model_language_code",
    "push_corpus_to_hub",
    "resolve_language",
    "split_sentences",
    "tag_synthetic_sources",
    "temperature_sampling_probabilities",
    "translate_dataset",
    "translate_text",
    "translate_tokens",
    "translate_train",
    "validate_corpus",
]
