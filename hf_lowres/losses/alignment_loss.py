"""Cross-lingual alignment loss between the representations of a sentence and its translation."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from .distributed import distributed_world_size, gather_with_grad


ALIGNMENT_LOSS_KINDS = ("mse", "cosine", "contrastive")


class AlignmentLoss(nn.Module):
    r"""
    Pulls together the pooled representations of parallel sentences (a sentence and its translation or
    back-translation), so that a task learned in one language transfers to the others.

    - `mse`: mean squared distance between the two sides, averaged over pairs and dimensions (the alignment
      objective of Cao et al., 2020, on sentence representations).
    - `cosine`: ``1 - cos(source, target)``, averaged over pairs.
    - `contrastive`: InfoNCE (van den Oord et al., 2018) with in-batch negatives: each source must pick its own
      target among all targets of the batch by cosine similarity divided by `temperature`; with `symmetric=True`
      the target-to-source direction is added and the two are averaged (Hu et al., 2021, "Explicit Alignment
      Objectives for Multilingual Bidirectional Encoders"). Unlike `mse`, it cannot be minimised by collapsing
      every sentence onto one point.

    Args:
        kind (`str`, defaults to `"contrastive"`):
            One of `mse`, `cosine`, `contrastive`.
        temperature (`float`, defaults to 0.05):
            Temperature of the contrastive loss (similarities are divided by it); ignored by the others.
        symmetric (`bool`, defaults to `True`):
            Contrastive only: average the source-to-target and target-to-source losses.
        gather_across_processes (`bool`, defaults to `False`):
            Contrastive only: under `torch.distributed` with several processes, contrast each local pair against
            the pairs of every process (`gather_with_grad`), and weight the local sum so that DDP's averaging of
            the gradients gives exactly the loss of one process holding the whole batch. No effect in one process.

    References:
        - van den Oord, Li & Vinyals, 2018. "Representation Learning with Contrastive Predictive Coding".
          https://arxiv.org/abs/1807.03748
        - Cao, Kitaev & Klein, 2020. "Multilingual Alignment of Contextual Word Representations". ICLR.
          https://arxiv.org/abs/2002.03518
        - Hu et al., 2021. "Explicit Alignment Objectives for Multilingual Bidirectional Encoders". NAACL.
          https://arxiv.org/abs/2010.07972

    Inputs:
        +--------------------------------------------+--------------------------------------------+
        | Inputs                                     | Labels                                     |
        +============================================+============================================+
        | (source, target): two `(batch, hidden)`    | none: row `i` of `source` and row `i` of   |
        | tensors of pooled sentence representations | `target` are translations of each other    |
        +--------------------------------------------+--------------------------------------------+

        `forward` returns a scalar; `forward(..., return_accuracy=True)` also returns the in-batch retrieval
        accuracy (source -> target by cosine similarity), which needs no extra forward pass.

    Example:

    ```python
    >>> import torch
    >>> from hf_lowres.losses import AlignmentLoss
    >>> loss_fn = AlignmentLoss("contrastive", temperature=0.05)
    >>> source, target = torch.randn(8, 32), torch.randn(8, 32)
    >>> loss = loss_fn(source, target)
    >>> loss_fn(source, source) < loss
    tensor(True)
    ```
    """

    def __init__(
        self,
        kind: str = "contrastive",
        temperature: float = 0.05,
        symmetric: bool = True,
        gather_across_processes: bool = False,
    ):
        super().__init__()
        if kind not in ALIGNMENT_LOSS_KINDS:
            raise ValueError(f"`kind` must be one of {ALIGNMENT_LOSS_KINDS}, got {kind!r}.")
        if not temperature > 0:
            raise ValueError(f"`temperature` must be > 0, got {temperature!r}.")
        self.kind = kind
        self.temperature = float(temperature)
        self.symmetric = bool(symmetric)
        self.gather_across_processes = bool(gather_across_processes)

    def forward(
        self, source: torch.Tensor, target: torch.Tensor, return_accuracy: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        if source.shape != target.shape or source.dim() != 2:
            raise ValueError(
                f"`source` and `target` must both be (batch, hidden) with the same shape, got {tuple(source.shape)} "
                f"and {tuple(target.shape)}."
            )
        # Losses in float32 whatever the model's dtype: similarities divided by a small temperature overflow in fp16.
        source, target = source.float(), target.float()
        if self.kind == "mse":
            loss = F.mse_loss(source, target)
        elif self.kind == "cosine":
            loss = (1.0 - F.cosine_similarity(source, target, dim=-1)).mean()
        else:
            loss = self._contrastive(source, target)
        if not return_accuracy:
            return loss
        with torch.no_grad():
            scores = self.similarity(source, target)
            accuracy = (scores.argmax(dim=1) == torch.arange(scores.shape[0], device=scores.device)).float().mean()
        return loss, accuracy

    def _contrastive(self, source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        processes = distributed_world_size() if self.gather_across_processes else 1
        if processes > 1:
            all_targets, offset, total = gather_with_grad(target)
            all_sources = gather_with_grad(source)[0] if self.symmetric else None
        else:
            all_targets, all_sources, offset, total = target, source, 0, source.shape[0]
        # Each row picks its own partner among all candidates; the labels are the local rows' places among them.
        labels = offset + torch.arange(source.shape[0], device=source.device)
        # The local sum over all rows, times the processes: DDP's mean over processes is the whole batch's mean.
        scale = processes / total

        def direction(queries, candidates):
            scores = self.similarity(queries, candidates) / self.temperature
            return F.cross_entropy(scores, labels, reduction="sum") * scale

        loss = direction(source, all_targets)
        if self.symmetric:
            loss = (loss + direction(target, all_sources)) / 2
        return loss

    @staticmethod
    def similarity(source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Cosine similarity of every source row with every target row, `(batch, batch)`."""
        return F.normalize(source, dim=-1) @ F.normalize(target, dim=-1).t()

    def get_config_dict(self) -> dict[str, Any]:
        """The settings of the loss, for the model card."""
        config: dict[str, Any] = {"kind": self.kind}
        if self.kind == "contrastive":
            config.update(temperature=self.temperature, symmetric=self.symmetric)
            if self.gather_across_processes:
                config.update(gather_across_processes=True)
        return config

    @property
    def citation(self) -> str:
        """BibTeX of the paper the loss comes from, for the model card."""
        if self.kind == "contrastive":
            return """
@article{oord2018representation,
    title={Representation Learning with Contrastive Predictive Coding},
    author={van den Oord, Aaron and Li, Yazhe and Vinyals, Oriol},
    journal={arXiv preprint arXiv:1807.03748},
    year={2018}
}
"""
        return """
@inproceedings{cao2020multilingual,
    title={Multilingual Alignment of Contextual Word Representations},
    author={Cao, Steven and Kitaev, Nikita and Klein, Dan},
    booktitle={International Conference on Learning Representations},
    year={2020}
}
"""

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.get_config_dict().items())
