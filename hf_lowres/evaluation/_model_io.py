"""How hf_lowres' evaluation code calls a model: only the inputs its forward names, encoder alone for seq2seq."""

from __future__ import annotations

import inspect

import torch


def _encoder_only(model) -> bool:
    # Encoder-decoder models (T5, Marian) want decoder inputs in forward: representations come from the encoder.
    return bool(getattr(getattr(model, "config", None), "is_encoder_decoder", False)) and hasattr(model, "get_encoder")


def forward_parameters(model) -> set[str]:
    """The parameter names of the forward that `run_model` calls."""
    module = model.get_encoder() if _encoder_only(model) else model
    return set(inspect.signature(module.forward).parameters)


def filter_inputs(model, batch) -> dict:
    """Tokenizers return ``token_type_ids`` that decoder models refuse: keep what forward names."""
    accepted = forward_parameters(model) | {"input_ids", "attention_mask"}
    return {key: value for key, value in batch.items() if key in accepted}


def run_model(model, batch: dict, output_hidden_states: bool = False, **extra):
    """Calls `model` (its encoder for encoder-decoders) with the accepted inputs of `batch` and `extra`."""
    module = model.get_encoder() if _encoder_only(model) else model
    kwargs = {"return_dict": True, **extra}
    if output_hidden_states:
        kwargs["output_hidden_states"] = True
    return module(**filter_inputs(model, batch), **kwargs)


def get_output_field(outputs, name: str):
    """A field of a `ModelOutput`, a dict or a plain object; `None` when absent."""
    if hasattr(outputs, "get"):
        value = outputs.get(name)
        if value is not None:
            return value
    return getattr(outputs, name, None)


def logits_of(outputs) -> torch.Tensor:
    """The ``logits`` of a model output (a tuple's first element when the model returns tuples)."""
    logits = get_output_field(outputs, "logits")
    if logits is None and isinstance(outputs, (tuple, list)):
        logits = outputs[0]
    if logits is None:
        raise ValueError(f"the model output {type(outputs).__name__} has no `logits`")
    return logits


def model_device(model) -> torch.device:
    try:
        return next(model.parameters()).device
    except StopIteration:
        return torch.device("cpu")
