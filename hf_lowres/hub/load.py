"""Loading adapters pushed by `push_adapters_to_hub` back by repo id."""

from __future__ import annotations

import logging
import os

from huggingface_hub import HfApi, snapshot_download
from torch import nn

from ..adapters import COMPOSITION_FILE, AdapterComposition, AdapterManager
from ..adapters.composition import ADAPTER_FILES, HEAD_FILES
from .errors import translate_hub_errors


logger = logging.getLogger(__name__)


def load_adapters_from_hub(
    repo_id: str,
    model: nn.Module | None = None,
    revision: str | None = None,
    token: str | None = None,
    adapters: list[str] | None = None,
    backbone_kwargs: dict | None = None,
    base_model: str | None = None,
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
        backbone_kwargs (`dict`, *optional*):
            Your options for loading the backbone the repo records when `model` is not given (its `revision`,
            `token`, `trust_remote_code=True` for a backbone whose code you trust). Nothing in the repo's files can
            set them.
        base_model (`str`, *optional*):
            The backbone to build the recorded class on when `model` is not given, instead of the checkpoint the
            adapters record: e.g. the Hub id of the local folder they were trained on (the card's loading example
            names it), or your own copy of that folder. Loaded with `backbone_kwargs`.

    Only the files the loader reads are downloaded: the composition first, then the files its manifest lists for
    the selected adapters (the shared heads and tokenizer data files at the top), all at the commit the composition
    came from. Any other file in the repo (code included) is never fetched.

    Returns:
        `AdapterManager`: with the saved composition active.

    Raises:
        HubUnreachableError: the endpoint does not answer and the files are not cached.
        HubPermissionError: the repo does not exist or is private to another user.
        ValueError: both `model` and `base_model` are given.

    Example:

    ```python
    >>> manager = load_adapters_from_hub("me/xlmr-jav-sentiment-adapters")
    >>> manager.activate(language="sun", task="sentiment")  # zero-shot transfer to Sundanese
    ```
    """
    if model is not None and base_model is not None:
        raise ValueError(
            "pass `model` or `base_model`, not both: `base_model` names the backbone to build `model` on."
        )
    endpoint = HfApi(token=token).endpoint
    with translate_hub_errors(endpoint, repo_id, None, "load adapters from", "Nothing was loaded."):
        # snapshot_download (not hf_hub_download) for the first file too: it fails fast when the endpoint is down
        # and answers from the cache offline.
        snapshot_dir = snapshot_download(
            repo_id, repo_type="model", revision=revision, token=token, allow_patterns=[COMPOSITION_FILE]
        )
        composition = AdapterComposition.load(snapshot_dir)  # validated before anything else is fetched
        names = list(composition.adapters) if adapters is None else list(adapters)
        # Pin the second request to the commit the composition came from: a push in between cannot mix two sets.
        commit = os.path.basename(snapshot_dir)
        local_dir = snapshot_download(
            repo_id,
            repo_type="model",
            revision=commit if _is_commit_hash(commit) else revision,
            token=token,
            allow_patterns=_files_to_fetch(composition, names),
        )
    logger.info("Loading adapters of %s from %s.", repo_id, local_dir)
    if base_model is not None:
        model = _build_on(composition, base_model, backbone_kwargs)
        backbone_kwargs = None
    return AdapterManager.from_pretrained(local_dir, model=model, adapters=adapters, backbone_kwargs=backbone_kwargs)


def _build_on(composition: AdapterComposition, base_model: str, backbone_kwargs: dict | None) -> nn.Module:
    """The recorded hf_lowres class and settings, built on `base_model` instead of the recorded checkpoint."""
    from .. import models

    model_class = getattr(models, composition.model_class)  # one of hf_lowres' classes: checked by the load
    # As for the recorded checkpoint: remote code runs only when the caller asks for it.
    kwargs = {"trust_remote_code": False, **(backbone_kwargs or {})}
    return model_class.from_backbone(base_model, backbone_kwargs=kwargs, **composition.lowres_config)


def _is_commit_hash(name: str) -> bool:
    return len(name) == 40 and all(c in "0123456789abcdef" for c in name)


def _files_to_fetch(composition: AdapterComposition, names: list[str]) -> list[str]:
    """The exact files `AdapterManager.from_pretrained` reads for `names` (unknown names are left for it to report)."""
    if composition.files:  # the manifest: only head/tokenizer data files at the top and the known adapter files
        return [COMPOSITION_FILE] + [
            path for path in composition.files if "/" not in path or path.split("/", 1)[0] in names
        ]
    # Saved before manifests existed: the files such a save wrote, by name.
    return [COMPOSITION_FILE, *HEAD_FILES.values(), *(f"{name}/{file}" for name in names for file in ADAPTER_FILES)]
