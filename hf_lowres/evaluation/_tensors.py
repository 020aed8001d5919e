"""Small helpers shared by the representation analyses: arrays in, float tensors out."""

from __future__ import annotations

import numpy as np
import torch


def as_float_tensor(values, name: str = "representations") -> torch.Tensor:
    """A 2-D float32 CPU tensor from a tensor, a numpy array or nested lists."""
    if isinstance(values, torch.Tensor):
        tensor = values.detach().to("cpu", torch.float32)
    else:
        tensor = torch.as_tensor(np.asarray(values), dtype=torch.float32)
    if tensor.ndim != 2:
        raise ValueError(f"`{name}` must be 2-D (examples, hidden), got shape {tuple(tensor.shape)}")
    return tensor


def cosine_similarity_matrix(source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``(n, m)`` cosine similarities between the rows of `source` and of `target`."""
    source = torch.nn.functional.normalize(source, dim=-1)
    target = torch.nn.functional.normalize(target, dim=-1)
    return source @ target.T
