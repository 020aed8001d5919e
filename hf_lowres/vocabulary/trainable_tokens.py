"""Training only the new embedding rows with PEFT's Trainable Tokens."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn


def input_embeddings_name(model: nn.Module) -> str:
    """The dotted module name of `model.get_input_embeddings()` (e.g. `backbone.embeddings.word_embeddings` in a
    `LowResForSequenceClassification`, `backbone.bert.embeddings.word_embeddings` in a `LowResForMaskedLM`)."""
    embeddings = model.get_input_embeddings()
    for name, module in model.named_modules():
        if module is embeddings:
            return name
    raise ValueError("the module returned by `get_input_embeddings()` is not a submodule of the model.")


def trainable_token_indices(model: nn.Module, token_ids: Sequence[int]) -> dict[str, list[int]]:
    """The `trainable_token_indices` argument of a PEFT config that trains exactly `token_ids` of the input embeddings.

    Contract: pass the result as `LoraConfig(trainable_token_indices=...)` (or as `TrainableTokensConfig(
    target_modules=[name], token_indices=ids)`); PEFT then trains only those rows (a delta beside the frozen matrix)
    and saves them in `adapter_model.safetensors`, so `PeftModel.from_pretrained` restores them. The embedding is
    named by its full path, resolved from `model.get_input_embeddings()`, so it is unambiguous inside a composite.
    Vocabulary expansion returns the ids as `VocabularyExpansion.new_token_ids` (Yamaguchi et al., 2024, train the new
    rows together with the adapters).

    Caveat: with a tied output embedding (`LowResForMaskedLM`), PEFT 0.21 ties the trained rows into the output layer
    only when the model it wraps declares the tie in its own `_tied_weights_keys`; the hf_lowres composites do not
    (the backbone does), so during adapter training the MLM decoder reads the rows as initialized.

    Args:
        model (`nn.Module`): the model before `get_peft_model` (any model with `get_input_embeddings`).
        token_ids (`Sequence[int]`): ids of the rows to train, e.g. the new tokens.

    Returns:
        `dict[str, list[int]]`: `{embedding_module_name: sorted unique ids}`.
    """
    ids = sorted({int(i) for i in token_ids})
    size = model.get_input_embeddings().weight.shape[0]
    if not ids:
        raise ValueError("no token ids given.")
    if ids[0] < 0 or ids[-1] >= size:
        raise ValueError(
            f"token ids must lie in [0, {size}) (the embedding has {size} rows); got {ids[0]}..{ids[-1]}."
        )
    return {input_embeddings_name(model): ids}
