"""MEXA-style cross-lingual alignment score per layer (Kargaran et al., 2024)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch

from hf_lowres.evaluation._tensors import as_float_tensor, cosine_similarity_matrix


@dataclass
class MexaResult:
    """MEXA alignment of two languages, per layer and pooled over layers.

    Args:
        per_layer (`dict[int, float]`): layer -> alignment score (0-1).
    """

    per_layer: dict[int, float]

    @property
    def mean(self) -> float:
        """The score averaged over layers (MEXA's "mean" pooling)."""
        return sum(self.per_layer.values()) / len(self.per_layer)

    @property
    def max(self) -> float:
        """The best layer's score (MEXA's "max" pooling)."""
        return max(self.per_layer.values())

    @property
    def best_layer(self) -> int:
        return max(self.per_layer, key=self.per_layer.get)

    def to_dict(self) -> dict:
        return {"per_layer": dict(self.per_layer), "mean": self.mean, "max": self.max, "best_layer": self.best_layer}


def mexa_alignment_score(source_representations, target_representations) -> float:
    """How often a sentence and its translation are each other's nearest neighbour (Kargaran et al., 2024, "MEXA:
    Multilingual Evaluation of English-Centric LLMs via Cross-Lingual Alignment").

    Pair ``i`` counts as aligned when ``cos(s_i, t_i)`` is higher than every other similarity in row ``i`` and in
    column ``i`` of the cosine matrix, i.e. than ``cos(s_i, t_j)`` and ``cos(s_j, t_i)`` for all ``j != i``.

    Args:
        source_representations (`torch.Tensor` or array): ``(n, hidden)``, e.g. English sentences.
        target_representations (`torch.Tensor` or array): ``(n, hidden)``, their translations in the same order.

    Returns:
        `float`: the fraction of aligned pairs (0-1; chance is about ``1 / n``).
    """
    source = as_float_tensor(source_representations, "source_representations")
    target = as_float_tensor(target_representations, "target_representations")
    if source.shape != target.shape:
        raise ValueError(
            f"parallel sets must have the same shape, got {tuple(source.shape)} and {tuple(target.shape)}"
        )
    n = source.shape[0]
    if n < 2:
        raise ValueError("MEXA needs at least two parallel pairs")
    similarities = cosine_similarity_matrix(source, target)
    diagonal = similarities.diagonal()
    off_diagonal = similarities.masked_fill(torch.eye(n, dtype=torch.bool), float("-inf"))
    best_other = torch.maximum(off_diagonal.max(dim=1).values, off_diagonal.max(dim=0).values)
    return (diagonal > best_other).sum().item() / n


def mexa_alignment(source_representations, target_representations) -> MexaResult:
    """`mexa_alignment_score` on every layer of ``{layer: representations}`` mappings (as `encode_texts` returns
    with ``layers="all"``), or on a single layer (reported as layer -1).

    Args:
        source_representations (`Mapping[int, torch.Tensor]` or `torch.Tensor`): pivot-language sentences.
        target_representations (`Mapping[int, torch.Tensor]` or `torch.Tensor`): their translations.

    Returns:
        `MexaResult`, with `.per_layer`, `.mean` and `.max`.
    """
    if not isinstance(source_representations, Mapping):
        return MexaResult(per_layer={-1: mexa_alignment_score(source_representations, target_representations)})
    if not isinstance(target_representations, Mapping) or set(source_representations) != set(target_representations):
        raise ValueError("per-layer MEXA needs source and target mappings with the same layers")
    return MexaResult(
        per_layer={
            layer: mexa_alignment_score(source_representations[layer], target_representations[layer])
            for layer in sorted(source_representations)
        }
    )
