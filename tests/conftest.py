"""Shared fixtures: tiny backbones built from configs in code, no network, fixed seeds."""

import os


# Set before anything imports huggingface_hub, datasets or transformers: they read these at import time.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["TRANSFORMERS_NO_ADVISORY_WARNINGS"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pathlib  # noqa: E402

import pytest  # noqa: E402
import torch  # noqa: E402


SHARED_DATA_DIR = pathlib.Path(
    os.environ.get("HF_LOWRES_DATA_DIR", pathlib.Path(__file__).parents[2] / "shared" / "data")
)


# Tiny models run fastest on one thread; more threads only contend on a busy 2-core machine.
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _fixed_seed():
    torch.manual_seed(0)
    yield


@pytest.fixture(scope="session")
def shared_data_dir():
    """``../shared/data`` beside the checkout; tests that need it skip, saying why, when it is absent."""
    if not SHARED_DATA_DIR.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA_DIR} (set HF_LOWRES_DATA_DIR)")
    return SHARED_DATA_DIR


# The local Hub-compatible HTTP server (tests/hub_server) as session fixtures: `hub_server`, `hub_env`.
pytest_plugins = ["hub_fixtures"]
