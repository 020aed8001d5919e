"""Loading adapters pushed by `push_adapters_to_hub` back by repo id."""

from __future__ import annotations

import logging

from huggingface_hub import HfApi, snapshot_download
from torch import nn

from ..adapters import COMPOSITION_FILE, DISCRIMINATOR_FILE, LM_HEAD_FILE, AdapterManager
from .constants import MODEL_CARD_FILE, TRAINING_SUMMARY_FILE
from .errors import translate_hub_errors


logger = logging.getLogger(__name__)


def load_adapters_from_hub(
    repo_id: str,
    model: nn.Module | None = None,
    revision: str | None = None,
    token: str | None = None,
    adapters: list[str] | None = None,
) -> AdapterManager:
    """Downloads adapters pushed by `push_adapters_to_hub` and restores them, with their heads and discriminator,
    bit for bit (`AdapterManager.from_pretrained`).

    Args:
        repo_id (`str`):
            The model repo, ``"user/name"``.
        model (`nn.Module`, *optional*):
            The hf_lowres model to load into (any hf_lowres class on the same backbone); defaults to the recorded
            class built on the recorded backbone checkpoint.
        revision (`str`, *optional*):
            A branch, tag or commit.
        token (`str`, *optional*):
            For a private repo; defaults to ``HF_TOKEN`` or the stored login.
        adapters (`list[str]`, *optional*):
            The adapter names to load (default: all); only their folders are downloaded.

    Returns:
        `AdapterManager`: with the saved composition active.

    Raises:
        HubUnreachableError: the endpoint does not answer and the files are not cached.
        HubPermissionError: the repo does not exist or is private to another user.

    Example:

    ```python
    >>> manager = load_adapters_from_hub("me/xlmr-jav-sentiment-adapters")
    >>> manager.activate(language="sun", task="sentiment")  # zero-shot transfer to Sundanese
    ```
    """
    allow_patterns = None
    if adapters is not None:
        top_level = [COMPOSITION_FILE, DISCRIMINATOR_FILE, LM_HEAD_FILE, MODEL_CARD_FILE, TRAINING_SUMMARY_FILE]
        allow_patterns = top_level + [f"{name}/*" for name in adapters]
    endpoint = HfApi(token=token).endpoint
    with translate_hub_errors(endpoint, repo_id, None, "load adapters from", "Nothing was loaded."):
        local_dir = snapshot_download(
            repo_id, repo_type="model", revision=revision, token=token, allow_patterns=allow_patterns
        )
    logger.info("Loading adapters of %s from %s.", repo_id, local_dir)
    return AdapterManager.from_pretrained(local_dir, model=model, adapters=adapters)
