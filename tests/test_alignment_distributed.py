"""The contrastive alignment loss across 2 processes (CPU, gloo) equals one process holding the whole batch."""

import os
import sys

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from hf_lowres.losses import AlignmentLoss, gather_with_grad


ROWS_PER_RANK = (3, 5)  # uneven, as a last batch can be
HIDDEN = 6


def encoder_and_batch():
    """A linear encoder and 8 pairs, the same in every process (seeded)."""
    torch.manual_seed(0)
    encoder = torch.nn.Linear(HIDDEN, 4)
    source, target = torch.randn(sum(ROWS_PER_RANK), HIDDEN), torch.randn(sum(ROWS_PER_RANK), HIDDEN)
    return encoder, source, target


def loss_and_gradients(encoder, source, target, gather: bool):
    encoder.zero_grad()
    loss = AlignmentLoss("contrastive", 0.1, gather_across_processes=gather)(encoder(source), encoder(target))
    loss.backward()
    return loss.detach(), [p.grad.clone() for p in encoder.parameters()]


def rank_main(rank: int, init_file: str, results: dict, gather: bool) -> None:
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=2)
    torch.set_num_threads(1)
    try:
        encoder, source, target = encoder_and_batch()
        start = sum(ROWS_PER_RANK[:rank])
        rows = slice(start, start + ROWS_PER_RANK[rank])
        loss, grads = loss_and_gradients(encoder, source[rows], target[rows], gather)
        # What DDP does with the gradients: their mean over processes; and the logged loss, averaged likewise.
        for grad in grads:
            dist.all_reduce(grad)
            grad /= 2
        dist.all_reduce(loss)
        gathered, offset, total = gather_with_grad(source[rows])
        results[rank] = {
            "loss": (loss / 2).item(),
            "grads": [g.tolist() for g in grads],
            "gathered_equals_all": torch.equal(gathered, source),
            "offset": offset,
            "total": total,
        }
    finally:
        dist.destroy_process_group()


def run_two_processes(tmp_path, gather: bool) -> dict:
    with mp.Manager() as manager:
        results = manager.dict()
        mp.spawn(rank_main, args=(str(tmp_path / f"init-{gather}"), results, gather), nprocs=2, join=True)
        return dict(results)


@pytest.mark.skipif(sys.platform == "win32" or not dist.is_available(), reason="needs torch.distributed with gloo")
def test_two_processes_match_one_process_with_the_whole_batch(tmp_path, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    os.environ.pop("MASTER_ADDR", None)
    encoder, source, target = encoder_and_batch()
    full_loss, full_grads = loss_and_gradients(encoder, source, target, gather=False)

    results = run_two_processes(tmp_path, gather=True)
    for rank in (0, 1):
        assert results[rank]["gathered_equals_all"]
        assert (results[rank]["offset"], results[rank]["total"]) == ((0, 8), (3, 8))[rank]
        assert results[rank]["loss"] == pytest.approx(full_loss.item(), rel=1e-5)
        for got, expected in zip(results[rank]["grads"], full_grads):
            torch.testing.assert_close(torch.tensor(got), expected, rtol=1e-5, atol=1e-6)

    # Without the gather, each process contrasts its pairs against its own batch only: another loss.
    local = run_two_processes(tmp_path, gather=False)
    assert local[0]["loss"] != pytest.approx(full_loss.item(), rel=1e-3)
