"""Vocabulary adaptation for low-resource languages: expansion with well-initialized embeddings, training only the
new rows with PEFT's Trainable Tokens, trimming, romanization and fertility reports.

References: Yamaguchi et al. (2024), "Vocabulary Expansion for Low-resource Cross-lingual Transfer"; Dobler & de Melo
(2023), "FOCUS"; Minixhofer et al. (2022), "WECHSEL"; Ushio et al. (2023), "An Efficient Multilingual Language Model
Compression through Vocabulary Trimming".
"""

from .embedding_init import INIT_METHODS, initialize_new_embeddings, resize_for_new_tokens
from .fertility import FertilityReport, FertilityRow, count_tokens_and_words, fertility, fertility_report
from .focus import auxiliary_embeddings, focus_weights, sparsemax
from .romanization import romanize
from .target_tokenizer import train_target_tokenizer
from .token_selection import NewToken, base_segmentation, describe_token, select_new_tokens
from .tokenizer_extension import extend_tokenizer
from .tokenizer_json import rebuild_tokenizer, tokenizer_model_type
from .trainable_tokens import input_embeddings_name, trainable_token_indices
from .vocabulary_expansion import VocabularyExpansion, expand_vocabulary
from .vocabulary_trimming import VocabularyTrimming, trim_vocabulary, used_token_ids


__all__ = [
    "INIT_METHODS",
    "FertilityReport",
    "FertilityRow",
    "NewToken",
    "VocabularyExpansion",
    "VocabularyTrimming",
    "auxiliary_embeddings",
    "base_segmentation",
    "count_tokens_and_words",
    "describe_token",
    "expand_vocabulary",
    "extend_tokenizer",
    "fertility",
    "fertility_report",
    "focus_weights",
    "initialize_new_embeddings",
    "input_embeddings_name",
    "rebuild_tokenizer",
    "resize_for_new_tokens",
    "romanize",
    "select_new_tokens",
    "sparsemax",
    "tokenizer_model_type",
    "train_target_tokenizer",
    "trainable_token_indices",
    "trim_vocabulary",
    "used_token_ids",
]
