"""A 2-process CPU run (torchrun, gloo): both ranks end with the same parameters, and the logged components are
the averages of what each rank computed."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest


WORKER = Path(__file__).with_name("training_ddp_worker.py")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_process_run_agrees_across_ranks(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
        "--master_port", str(free_port()), str(WORKER), str(tmp_path),
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    rank0, rank1 = (json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1))
    assert rank0["world_size"] == rank1["world_size"] == 2
    assert rank0["hash"] == rank1["hash"]
    assert rank0["log_history"] == rank1["log_history"] and len(rank0["log_history"]) == 3
    # The ranks saw different data, and the log holds the mean over ranks of each component.
    for logged, local0, local1 in zip(rank0["log_history"], rank0["local_history"], rank1["local_history"]):
        assert logged["step"] == local0["step"] == local1["step"]
        assert local0["task_loss"] != local1["task_loss"]
        for name in ("task_loss", "discriminator_loss", "discriminator_accuracy", "alignment_loss", "grl_lambda"):
            assert logged[name] == pytest.approx((local0[name] + local1[name]) / 2, rel=1e-9), name
