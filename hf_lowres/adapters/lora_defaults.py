"""Default LoRA settings per backbone family, with target modules resolved from the architecture."""

import re

from peft import LoraConfig
from peft.tuners.tuners_utils import BaseTunerLayer
from torch import nn


# The attention projections LoRA adapts by default (Hu et al., 2021, "LoRA: Low-Rank Adaptation of Large Language
# Models", adapt query and value). Keys are transformers `model_type`s.
ATTENTION_PROJECTIONS = {
    "bert": ("query", "value"),
    "roberta": ("query", "value"),
    "xlm-roberta": ("query", "value"),
    "camembert": ("query", "value"),
    "electra": ("query", "value"),
    "distilbert": ("q_lin", "v_lin"),
    "deberta-v2": ("query_proj", "value_proj"),
    "deberta": ("in_proj",),
    "t5": ("q", "v"),
    "mt5": ("q", "v"),
    "umt5": ("q", "v"),
    "marian": ("q_proj", "v_proj"),
    "mbart": ("q_proj", "v_proj"),
    "m2m_100": ("q_proj", "v_proj"),
    "nllb-moe": ("q_proj", "v_proj"),
    "bart": ("q_proj", "v_proj"),
    "llama": ("q_proj", "v_proj"),
    "mistral": ("q_proj", "v_proj"),
    "qwen2": ("q_proj", "v_proj"),
    "qwen3": ("q_proj", "v_proj"),
    "gemma": ("q_proj", "v_proj"),
    "gemma2": ("q_proj", "v_proj"),
    "phi3": ("qkv_proj",),
    "gpt2": ("c_attn",),
    "bloom": ("query_key_value",),
}
# Tried in order for a model type missing from the table.
_FALLBACK_CANDIDATES = (
    ("query", "value"),
    ("q_proj", "v_proj"),
    ("q", "v"),
    ("q_lin", "v_lin"),
    ("query_proj", "value_proj"),
)


def resolve_target_modules(model: nn.Module, names: tuple[str, ...] | list[str] | None = None) -> str:
    """A PEFT `target_modules` regex that matches the chosen projections inside `model.backbone` only.

    Restricting the match to the backbone keeps LoRA off the task head and the discriminator, and makes the same
    adapter apply to every hf_lowres class built on the same backbone.

    Args:
        model: an hf_lowres model (anything with a `backbone` and a `config.text_config`).
        names: leaf module names to adapt; defaults to the backbone family's query and value projections.

    Raises:
        ValueError: when none of the names is a linear layer of the backbone.
    """
    leaf_names = _linear_leaf_names(model.backbone)
    if names is None:
        model_type = model.config.text_config.model_type
        candidates = [ATTENTION_PROJECTIONS[model_type]] if model_type in ATTENTION_PROJECTIONS else []
        candidates += list(_FALLBACK_CANDIDATES)
        names = next((c for c in candidates if set(c) <= leaf_names), None)
        if names is None:
            raise ValueError(
                f"cannot find LoRA target modules for backbone type {model_type!r}; pass `target_modules` explicitly "
                f"(linear layers found: {sorted(leaf_names)[:20]})."
            )
    missing = sorted(set(names) - leaf_names)
    if missing:
        raise ValueError(
            f"target modules {missing} are not linear layers of the backbone; found: {sorted(leaf_names)[:20]}."
        )
    alternatives = "|".join(re.escape(n) for n in names)
    if model.config.text_config.is_encoder_decoder and not model.uses_decoder:
        # An encoder-only class on an encoder-decoder backbone never runs the decoder: adapt the encoder alone.
        return rf"backbone\.(.*\.)?encoder\..*\.({alternatives})"
    return rf"backbone\..*\.({alternatives})"


def _linear_leaf_names(module: nn.Module) -> set[str]:
    """Leaf names of the linear layers, counting a layer that already carries adapters as its base layer."""
    names = set()
    for name, child in module.named_modules():
        parts = name.split(".")
        if isinstance(child, BaseTunerLayer):
            names.add(parts[-1])
        elif (isinstance(child, nn.Linear) or type(child).__name__ == "Conv1D") and not any(
            part == "base_layer" or part.startswith("lora_") for part in parts
        ):  # transformers' GPT-2 style Conv1D is a linear layer too
            names.add(parts[-1])
    return names


def default_lora_config(
    model: nn.Module,
    r: int = 8,
    lora_alpha: int = 16,
    lora_dropout: float = 0.1,
    target_modules: list[str] | str | None = None,
    **kwargs,
) -> LoraConfig:
    """A `LoraConfig` for an hf_lowres model: rank 8, alpha 16, dropout 0.1 on the attention query and value.

    `target_modules` may be leaf names (`["query", "key", "value"]`, restricted to the backbone) or a full regex.
    Other keyword arguments go to `LoraConfig` (e.g. `trainable_token_indices` for new vocabulary rows).
    """
    if target_modules is None or not isinstance(target_modules, str):
        target_modules = resolve_target_modules(model, target_modules)
    return LoraConfig(r=r, lora_alpha=lora_alpha, lora_dropout=lora_dropout, target_modules=target_modules, **kwargs)
