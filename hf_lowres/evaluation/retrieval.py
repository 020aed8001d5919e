"""Cross-lingual sentence retrieval (Tatoeba-style bitext retrieval) from pooled representations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import torch

from hf_lowres.evaluation._tensors import as_float_tensor, cosine_similarity_matrix


SCORING_FUNCTIONS = ("cosine", "margin")


@dataclass
class RetrievalResult:
    """Precision at 1 of bitext retrieval in both directions.

    Args:
        source_to_target (`float`): fraction of source sentences whose nearest target is their translation.
        target_to_source (`float`): the same from the target side.
        num_pairs (`int`): the number of parallel pairs.
        scoring (`str`): ``"cosine"`` or ``"margin"``.
    """

    source_to_target: float
    target_to_source: float
    num_pairs: int
    scoring: str

    @property
    def mean(self) -> float:
        """The average of both directions."""
        return (self.source_to_target + self.target_to_source) / 2

    @property
    def chance(self) -> float:
        """P@1 of a random ranking: one over the number of candidates."""
        return 1.0 / self.num_pairs

    def to_dict(self) -> dict:
        return {**asdict(self), "mean": self.mean, "chance": self.chance}


def margin_scores(source: torch.Tensor, target: torch.Tensor, k: int = 4, margin: str = "ratio") -> torch.Tensor:
    """Margin-based scores of every source-target pair (Artetxe & Schwenk, 2019, "Margin-based Parallel Corpus
    Mining with Multilingual Sentence Embeddings").

    The cosine of a pair is compared with the average cosine of each side's `k` nearest neighbours, which
    discounts "hub" sentences that are close to everything:
    ``ratio``: ``cos(x, y) / (avg_knn(x) / 2 + avg_knn(y) / 2)``; ``distance``: ``cos(x, y) - (avg_knn(x) / 2 +
    avg_knn(y) / 2)``.

    Args:
        source (`torch.Tensor`): ``(n, hidden)`` representations.
        target (`torch.Tensor`): ``(m, hidden)`` representations.
        k (`int`, defaults to 4): neighbourhood size (capped at the number of candidates).
        margin (`str`, defaults to `"ratio"`): ``"ratio"`` or ``"distance"``.

    Returns:
        `torch.Tensor`: ``(n, m)`` scores, higher is better.
    """
    similarities = cosine_similarity_matrix(source, target)
    source_knn = similarities.topk(min(k, similarities.shape[1]), dim=1).values.mean(dim=1)
    target_knn = similarities.topk(min(k, similarities.shape[0]), dim=0).values.mean(dim=0)
    neighbourhood = source_knn[:, None] / 2 + target_knn[None, :] / 2
    if margin == "ratio":
        return similarities / neighbourhood
    if margin == "distance":
        return similarities - neighbourhood
    raise ValueError(f"unknown margin {margin!r}; expected 'ratio' or 'distance'")


def _precision_at_1(scores: torch.Tensor) -> float:
    predicted = scores.argmax(dim=1)
    return (predicted == torch.arange(scores.shape[0])).sum().item() / scores.shape[0]


def retrieval_scores(
    source_representations, target_representations, scoring: str = "cosine", k: int = 4, margin: str = "ratio"
) -> RetrievalResult:
    """P@1 of cross-lingual retrieval in both directions between two aligned sets of representations.

    Row ``i`` of `source_representations` and row ``i`` of `target_representations` encode a sentence and its
    translation; every other row is a distractor, as in the Tatoeba evaluation of Artetxe & Schwenk (2019),
    "Massively Multilingual Sentence Embeddings for Zero-Shot Cross-Lingual Transfer and Beyond" (also used by
    XTREME, Hu et al. 2020).

    Args:
        source_representations (`torch.Tensor` or array): ``(n, hidden)``.
        target_representations (`torch.Tensor` or array): ``(n, hidden)``, aligned with the source rows.
        scoring (`str`, defaults to `"cosine"`): ``"cosine"`` or ``"margin"`` (see `margin_scores`).
        k (`int`, defaults to 4): neighbourhood size of margin scoring.
        margin (`str`, defaults to `"ratio"`): margin function of margin scoring.

    Returns:
        `RetrievalResult`.

    Example:

    ```python
    >>> import torch
    >>> x = torch.randn(10, 8)
    >>> retrieval_scores(x, x).source_to_target
    1.0
    ```
    """
    source = as_float_tensor(source_representations, "source_representations")
    target = as_float_tensor(target_representations, "target_representations")
    if source.shape != target.shape:
        raise ValueError(
            f"parallel sets must have the same shape, got {tuple(source.shape)} and {tuple(target.shape)}"
        )
    if scoring == "cosine":
        scores = cosine_similarity_matrix(source, target)
    elif scoring == "margin":
        scores = margin_scores(source, target, k=k, margin=margin)
    else:
        raise ValueError(f"unknown scoring {scoring!r}; expected one of {SCORING_FUNCTIONS}")
    return RetrievalResult(
        source_to_target=_precision_at_1(scores),
        target_to_source=_precision_at_1(scores.T),
        num_pairs=source.shape[0],
        scoring=scoring,
    )


def cross_lingual_retrieval(
    source_representations, target_representations, scoring: str = "cosine", k: int = 4, margin: str = "ratio"
) -> RetrievalResult | dict[int, RetrievalResult]:
    """`retrieval_scores` on one layer, or on every layer of a ``{layer: representations}`` mapping.

    Args:
        source_representations (`torch.Tensor`, array or `Mapping[int, torch.Tensor]`): as returned by
            `encode_texts` (a mapping when it was called with `layers`).
        target_representations: the same for the translations, with the same layers.
        scoring, k, margin: see `retrieval_scores`.

    Returns:
        `RetrievalResult`, or `dict[int, RetrievalResult]` keyed by layer.
    """
    if isinstance(source_representations, Mapping):
        if not isinstance(target_representations, Mapping) or set(source_representations) != set(
            target_representations
        ):
            raise ValueError("per-layer retrieval needs source and target mappings with the same layers")
        return {
            layer: retrieval_scores(source_representations[layer], target_representations[layer], scoring, k, margin)
            for layer in sorted(source_representations)
        }
    return retrieval_scores(source_representations, target_representations, scoring, k, margin)
