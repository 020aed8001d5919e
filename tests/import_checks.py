"""What a fresh interpreter imports: the check that commands stay fast by importing torch & co. only when they run."""

import os
import subprocess
import sys
from pathlib import Path


REPO_ROOT = Path(__file__).resolve().parents[1]
# What `hf-lowres --help`, usage errors and `hf-lowres models` must never import (seconds of start-up each).
HEAVY_PACKAGES = {"torch", "transformers", "peft", "datasets", "numpy"}


def imported_modules(*argv, returncode: int = 0) -> tuple[set[str], subprocess.CompletedProcess]:
    """The top-level packages a fresh `python -X importtime ...` imports, and its result (which must exit with
    `returncode`)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPROFILEIMPORTTIME"}
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *argv], capture_output=True, text=True, timeout=120, env=env,
        cwd=REPO_ROOT,
    )  # fmt: skip
    assert result.returncode == returncode, result.stderr[-2000:]
    lines = result.stderr.splitlines()
    return {line.rsplit("|", 1)[1].strip().split(".")[0] for line in lines if "import time:" in line}, result
