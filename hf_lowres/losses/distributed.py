"""Gathering embeddings from every process with their gradients, for contrastive losses under data parallelism."""

from __future__ import annotations

import torch
import torch.distributed as dist
import torch.nn.functional as F


def distributed_world_size() -> int:
    """The number of processes of the default group, 1 outside `torch.distributed`."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def gather_with_grad(tensor: torch.Tensor) -> tuple[torch.Tensor, int, int]:
    """Every process's rows of `tensor`, concatenated in rank order, differentiable with respect to all of them.

    With in-batch negatives, a process that sees only its own batch contrasts each pair against ``B - 1`` negatives
    instead of ``world_size * B - 1``. The gather is `torch.distributed.nn.functional.all_gather`, whose backward
    sends each process the gradient that every process's loss puts on its rows, so that under DDP (which averages
    the parameter gradients) training matches one process holding the whole batch, as sentence-transformers'
    ``gather_across_devices`` does. Processes may hold different numbers of rows (a last, smaller batch): rows are
    padded to the largest count for the collective and cut back after it.

    Args:
        tensor (`torch.Tensor`): ``(rows, ...)``, this process's rows.

    Returns:
        `tuple[torch.Tensor, int, int]`: the gathered ``(total_rows, ...)`` tensor, the index of this process's first
        row in it, and the total number of rows. Outside `torch.distributed` (or with one process): `tensor` itself,
        0 and its row count.
    """
    if distributed_world_size() == 1:
        return tensor, 0, tensor.shape[0]
    from torch.distributed.nn.functional import all_gather

    rows = torch.tensor([tensor.shape[0]], device=tensor.device)
    counts = [torch.zeros_like(rows) for _ in range(dist.get_world_size())]
    dist.all_gather(counts, rows)
    counts = [int(c.item()) for c in counts]
    padding = [0, 0] * (tensor.dim() - 1) + [0, max(counts) - tensor.shape[0]]
    gathered = all_gather(F.pad(tensor, padding))
    parts = [part[:count] for part, count in zip(gathered, counts)]
    rank = dist.get_rank()
    return torch.cat(parts), sum(counts[:rank]), sum(counts)
