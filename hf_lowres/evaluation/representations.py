"""Sentence representations pooled from the hidden states of any transformers model."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from hf_lowres.evaluation._model_io import get_output_field, model_device, run_model
from hf_lowres.models.pooling import pool_hidden_states


# The model-side strategies, plus "pooled": the model's own `pooled_output` (e.g. a LowRes model's).
POOLING_STRATEGIES = ("mean", "cls", "last", "pooled")


def encode_texts(
    model,
    tokenizer,
    texts: Sequence[str],
    batch_size: int = 32,
    pooling: str = "mean",
    layers: int | Sequence[int] | str | None = None,
    device: str | torch.device | None = None,
    max_length: int | None = None,
) -> torch.Tensor | dict[int, torch.Tensor]:
    """Pooled sentence representations of `texts`, from the last layer or from chosen layers.

    Works with any transformers model that returns ``hidden_states`` when called with
    ``output_hidden_states=True`` (encoders, decoders, the encoder of encoder-decoders, hf_lowres models). The
    model is run in eval mode without gradients, and its training mode is restored afterwards.

    Args:
        model (`PreTrainedModel`): the model.
        tokenizer (`PreTrainedTokenizerBase`): its tokenizer; it must have a padding token.
        texts (`Sequence[str]`): the sentences.
        batch_size (`int`, defaults to 32): sentences per forward pass.
        pooling (`str`, defaults to `"mean"`): ``"mean"``, ``"cls"``, ``"last"`` or ``"pooled"`` (the model's own
            ``pooled_output``/``pooler_output``; only without `layers`).
        layers (`int`, `Sequence[int]`, `"all"` or `None`): `None` pools the last layer and returns a tensor; an
            index, a list of indices or ``"all"`` returns a dict keyed by layer. Index 0 is the embedding output,
            ``num_layers`` the last layer; negative indices count from the end and are returned as positive keys.
        device (`str` or `torch.device`, *optional*): where to run; defaults to the model's device.
        max_length (`int`, *optional*): truncation length; defaults to the tokenizer's.

    Returns:
        `torch.Tensor` of shape ``(len(texts), hidden)`` on the CPU in float32, or `dict[int, torch.Tensor]`
        when `layers` is given.

    Example:

    ```python
    >>> from transformers import AutoModel
    >>> from hf_lowres.testing_utils import tiny_backbone_config, tiny_tokenizer
    >>> model = AutoModel.from_config(tiny_backbone_config("bert"))
    >>> encode_texts(model, tiny_tokenizer(), ["saya suka ini", "aku seneng iki"]).shape
    torch.Size([2, 32])
    >>> sorted(encode_texts(model, tiny_tokenizer(), ["saya suka"], layers="all"))
    [0, 1, 2]
    ```
    """
    if pooling not in POOLING_STRATEGIES:
        raise ValueError(f"unknown pooling {pooling!r}; expected one of {POOLING_STRATEGIES}")
    if pooling == "pooled" and layers is not None:
        raise ValueError("pooling='pooled' uses the model's own pooled output and cannot be combined with `layers`")
    if isinstance(texts, str):
        raise TypeError("`texts` must be a sequence of strings, not a single string")
    texts = list(texts)
    if not texts:
        raise ValueError("`texts` is empty")
    single_layer = layers is None
    device = torch.device(device) if device is not None else model_device(model)
    was_training = model.training
    model.eval()
    pooled: dict[int, list[torch.Tensor]] = {}
    layer_indices: list[int] | None = None
    try:
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                batch = tokenizer(
                    texts[start : start + batch_size],
                    padding=True,
                    truncation=True,
                    max_length=max_length,
                    return_tensors="pt",
                )
                batch = {key: value.to(device) for key, value in batch.items()}
                outputs = run_model(model, batch, output_hidden_states=True)
                if pooling == "pooled":
                    vectors = _model_pooled_output(outputs)
                    pooled.setdefault(-1, []).append(vectors.float().cpu())
                    continue
                hidden_states = get_output_field(outputs, "hidden_states")
                if hidden_states is None:
                    raise ValueError(
                        f"{type(model).__name__} returned no `hidden_states` with output_hidden_states=True"
                    )
                if layer_indices is None:
                    layer_indices = _resolve_layers(layers, len(hidden_states))
                for index in layer_indices:
                    vectors = pool_hidden_states(hidden_states[index], batch["attention_mask"], pooling)
                    pooled.setdefault(index, []).append(vectors.float().cpu())
    finally:
        model.train(was_training)
    result = {index: torch.cat(chunks) for index, chunks in pooled.items()}
    if single_layer:
        return next(iter(result.values()))
    return result


def _model_pooled_output(outputs) -> torch.Tensor:
    for name in ("pooled_output", "pooler_output"):
        value = get_output_field(outputs, name)
        if value is not None:
            return value
    raise ValueError("pooling='pooled' needs a model whose output has `pooled_output` or `pooler_output`")


def _resolve_layers(layers, num_states: int) -> list[int]:
    """Layer spec -> sorted positive indices into ``hidden_states`` (0 = embeddings)."""
    if layers is None:
        return [num_states - 1]
    if isinstance(layers, str):
        if layers != "all":
            raise ValueError(f"`layers` must be an int, a list of ints, 'all' or None, got {layers!r}")
        return list(range(num_states))
    if isinstance(layers, int):
        layers = [layers]
    resolved = []
    for index in layers:
        positive = index + num_states if index < 0 else index
        if not 0 <= positive < num_states:
            raise ValueError(
                f"layer {index} out of range: the model has {num_states} hidden states (0..{num_states - 1})"
            )
        resolved.append(positive)
    return sorted(set(resolved))
