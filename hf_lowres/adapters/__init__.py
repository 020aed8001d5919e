"""PEFT LoRA language and task adapters for hf_lowres models, composed MAD-X style."""

from .adapter_manager import AdapterManager
from .composition import AdapterComposition
from .constants import (
    COMPOSITION_FILE,
    DISCRIMINATOR_FILE,
    HEAD_CONFIG_FILE,
    LM_HEAD_FILE,
    TASK_HEAD_FILE,
)
from .lora_defaults import ATTENTION_PROJECTIONS, default_lora_config, resolve_target_modules
from .parameter_accounting import count_parameters_by_component, format_parameter_counts
from .trained_modules import discriminator_parameters, lm_head_parameters, task_head_parameters


__all__ = [
    "ATTENTION_PROJECTIONS",
    "COMPOSITION_FILE",
    "DISCRIMINATOR_FILE",
    "HEAD_CONFIG_FILE",
    "LM_HEAD_FILE",
    "TASK_HEAD_FILE",
    "AdapterComposition",
    "AdapterManager",
    "count_parameters_by_component",
    "default_lora_config",
    "discriminator_parameters",
    "format_parameter_counts",
    "lm_head_parameters",
    "resolve_target_modules",
    "task_head_parameters",
]
