"""The modules hf_lowres trains beside the LoRA weights, and their safetensors files."""

import json
import os

import torch
from safetensors.torch import save_file
from torch import nn

from .adapter_files import read_safetensors


def discriminator_parameters(model: nn.Module) -> dict[str, nn.Parameter]:
    """The language discriminator's parameters, by name inside the hf_lowres model."""
    return {name: p for name, p in model.named_parameters() if name.startswith("discriminator.")}


def task_head_parameters(model: nn.Module) -> dict[str, nn.Parameter]:
    """The task head's parameters: everything outside the backbone and the discriminator (e.g. `classifier.*`)."""
    return {name: p for name, p in model.named_parameters() if not name.startswith(("backbone.", "discriminator."))}


def lm_head_parameters(model: nn.Module) -> dict[str, nn.Parameter]:
    """The backbone's own head (MLM or LM head): backbone parameters outside its base transformer.

    Weights tied to the input embeddings are left out: they belong to the frozen base (or to Trainable Tokens).
    """
    base_path = model.base_transformer_path + "."
    if base_path == "backbone.":  # the backbone is the base transformer itself (e.g. T5): no separate head
        return {}
    embedding_weight = model.get_input_embeddings().weight
    return {
        name: p
        for name, p in model.named_parameters()
        if name.startswith("backbone.")
        and not name.startswith(base_path)
        and p is not embedding_weight
        # LoRA or Trainable Tokens parameters injected into a head module are saved with their adapter.
        and ".lora_" not in name
        and "trainable_tokens_" not in name
    }


def save_parameters(
    parameters: dict[str, nn.Parameter], path: str | os.PathLike, metadata: dict | None = None
) -> None:
    """Saves named parameters to a safetensors file (contiguous CPU copies)."""
    tensors = {name: p.detach().to("cpu").contiguous() for name, p in parameters.items()}
    save_file(tensors, str(path), metadata={"format": "pt", **{k: json.dumps(v) for k, v in (metadata or {}).items()}})


@torch.no_grad()
def load_parameters(parameters: dict[str, nn.Parameter], path: str | os.PathLike, what: str) -> None:
    """Copies the tensors of a safetensors file into `parameters`, checking names and shapes exactly.

    Raises:
        FileNotFoundError: when `path` does not exist.
        ValueError: when the file is truncated or corrupt, or names or shapes differ, naming them.
    """
    tensors = read_safetensors(path, what)
    missing, unexpected = sorted(set(parameters) - set(tensors)), sorted(set(tensors) - set(parameters))
    if missing or unexpected:
        raise ValueError(
            f"{what} in {path} does not match this model: missing {missing[:5]}, unexpected {unexpected[:5]}."
        )
    for name, tensor in tensors.items():
        if tensor.shape != parameters[name].shape:
            raise ValueError(
                f"{what} in {path}: {name} has shape {tuple(tensor.shape)} but this model expects "
                f"{tuple(parameters[name].shape)} (a model with another hidden size or number of labels?)."
            )
        parameters[name].copy_(tensor)
