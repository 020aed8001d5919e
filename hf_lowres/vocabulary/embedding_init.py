"""Initializing the embedding rows of new tokens: mean of base pieces, FOCUS-style weighted mean, or random."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from transformers import PreTrainedModel

from .token_selection import NewToken


INIT_METHODS = ("mean", "focus", "random")


def _output_layer(model: PreTrainedModel) -> nn.Module | None:
    output = model.get_output_embeddings()
    return output if output is not None and getattr(output, "weight", None) is not None else None


def resize_for_new_tokens(model: PreTrainedModel, vocab_size: int) -> None:
    """Grows the input (and output) embeddings to at least `vocab_size` rows; old rows are kept as they are.

    A model may have more rows than its tokenizer has ids (multilingual-e5-small: 250,037 rows for 250,002 pieces);
    it is never shrunk here, and the new ids overwrite the unused rows.
    """
    current = model.get_input_embeddings().weight.shape[0]
    if vocab_size > current:
        # mean_resizing would sample from a fitted Gaussian; the rows are overwritten right after.
        model.resize_token_embeddings(vocab_size, mean_resizing=False)


@torch.no_grad()
def initialize_new_embeddings(
    model: PreTrainedModel,
    new_tokens: Sequence[NewToken],
    new_token_ids: Sequence[int],
    method: str = "mean",
    weights: Sequence[dict[int, float] | None] | None = None,
    seed: int = 0,
) -> None:
    """Writes the input (and untied output) embedding rows of new tokens, in place.

    - `mean` (default): the mean of the embeddings of the base tokenizer's pieces of the token's string, which
      Yamaguchi et al. (2024, "Vocabulary Expansion for Low-resource Cross-lingual Transfer") find robust in
      low-resource settings.
    - `focus`: the weighted mean of base rows given by `weights` (see `focus_weights`; Dobler & de Melo, 2023,
      "FOCUS"; in the spirit of WECHSEL, Minixhofer et al., 2022); tokens with no weights fall back to `mean`.
    - `random`: a normal draw with the per-dimension mean and standard deviation of the existing rows (the baseline).

    The output side follows the same rule with its own rows: a tied output embedding needs nothing more; an untied
    one (and an output bias such as BERT's MLM decoder bias) gets the same combination of its own rows.

    Args:
        model (`PreTrainedModel`): the model, already resized (`resize_for_new_tokens`).
        new_tokens (`Sequence[NewToken]`): the new tokens, with `base_piece_ids`.
        new_token_ids (`Sequence[int]`): their ids in the extended tokenizer.
        method (`str`, defaults to `"mean"`): one of `INIT_METHODS`.
        weights (`Sequence[dict[int, float] | None]`, *optional*): `focus` only: base id -> weight, per new token.
        seed (`int`, defaults to 0): `random` only.
    """
    if method not in INIT_METHODS:
        raise ValueError(f"unknown initialization {method!r}; expected one of {INIT_METHODS}.")
    if len(new_tokens) != len(new_token_ids):
        raise ValueError("`new_tokens` and `new_token_ids` must have the same length.")
    if method == "focus" and (weights is None or len(weights) != len(new_tokens)):
        raise ValueError("`focus` needs one entry of `weights` per new token (see `focus_weights`).")
    if not new_tokens:
        return
    ids = torch.as_tensor(list(new_token_ids), dtype=torch.long)
    old_rows = min(ids).item()  # rows before the first new id hold the base vocabulary

    input_weight = model.get_input_embeddings().weight
    output = _output_layer(model)
    matrices = [input_weight]
    if output is not None and output.weight is not input_weight:
        matrices.append(output.weight)
    bias = getattr(output, "bias", None) if output is not None else None
    if bias is not None and bias.ndim == 1 and bias.shape[0] == input_weight.shape[0]:
        matrices.append(bias)

    if method == "random":
        generator = torch.Generator().manual_seed(seed)
        for matrix in matrices:
            existing = matrix[:old_rows].float()
            mean, std = existing.mean(dim=0), existing.std(dim=0)
            noise = torch.randn((len(ids), *matrix.shape[1:]), generator=generator)
            matrix[ids.to(matrix.device)] = (mean + std * noise).to(matrix.dtype).to(matrix.device)
        return

    # One sparse (new tokens x vocabulary) combination matrix serves every matrix: rows are mean or FOCUS weights.
    rows, columns, values = [], [], []
    for i, token in enumerate(new_tokens):
        combination = weights[i] if method == "focus" and weights[i] else None
        if combination is None:
            pieces = token.base_piece_ids
            combination = {}
            for piece in pieces:
                combination[piece] = combination.get(piece, 0.0) + 1.0 / len(pieces)
        for column, value in combination.items():
            rows.append(i)
            columns.append(column)
            values.append(value)
    for matrix in matrices:
        mixing = torch.sparse_coo_tensor(
            torch.tensor([rows, columns]),
            torch.tensor(values, dtype=torch.float32),
            (len(ids), matrix.shape[0]),
            check_invariants=True,
        ).to(matrix.device)
        source = matrix.float() if matrix.ndim == 2 else matrix.float().unsqueeze(1)
        combined = torch.sparse.mm(mixing, source)
        matrix[ids.to(matrix.device)] = (combined if matrix.ndim == 2 else combined.squeeze(1)).to(matrix.dtype)
