"""Cross-lingual training: `CrossLingualTrainer`, its arguments, the step's data pipeline, the GRL schedules and the
MLM head warm-up."""

from .checkpoint_integrity import CHECKPOINT_COMPLETE_NAME, IncompleteCheckpointError, find_resumable_checkpoint
from .collators import (
    PAIR_SOURCE_PREFIX,
    PAIR_TARGET_PREFIX,
    TASK_INPUT_COLUMNS,
    UNLABELED_PREFIX,
    CrossLingualDataCollator,
    CrossLingualStepDataset,
    check_columns,
)
from .cross_lingual_config import CrossLingualTrainingArguments
from .cross_lingual_trainer import (
    COMPONENT_NAMES,
    CROSS_LINGUAL_STATE_NAME,
    TRAINABLE_MODULES_NAME,
    CrossLingualTrainer,
)
from .data_arguments import CrossLingualDataArguments
from .data_preparation import (
    load_parallel_file,
    parse_language_files,
    tokenize_pairs,
    tokenize_text,
    tokenize_translation,
)
from .lm_head_warmup import masked_token_accuracy, warm_up_lm_head
from .samplers import CrossLingualStepSampler
from .schedules import GRL_SCHEDULES, constant_grl_lambda, dann_grl_lambda, grl_lambda_at


__all__ = [
    "CHECKPOINT_COMPLETE_NAME",
    "COMPONENT_NAMES",
    "CROSS_LINGUAL_STATE_NAME",
    "GRL_SCHEDULES",
    "PAIR_SOURCE_PREFIX",
    "PAIR_TARGET_PREFIX",
    "TASK_INPUT_COLUMNS",
    "TRAINABLE_MODULES_NAME",
    "UNLABELED_PREFIX",
    "CrossLingualDataArguments",
    "CrossLingualDataCollator",
    "CrossLingualStepDataset",
    "CrossLingualStepSampler",
    "CrossLingualTrainer",
    "CrossLingualTrainingArguments",
    "IncompleteCheckpointError",
    "check_columns",
    "constant_grl_lambda",
    "dann_grl_lambda",
    "find_resumable_checkpoint",
    "grl_lambda_at",
    "load_parallel_file",
    "masked_token_accuracy",
    "parse_language_files",
    "tokenize_pairs",
    "tokenize_text",
    "tokenize_translation",
    "warm_up_lm_head",
]
