"""Pushing adapters (with their heads, composition and card) or a whole hf_lowres model to a Hub model repo.

Everything to upload is first written to a temporary staging folder, so that a failed push leaves the local files
exactly as they were, and the repo receives one commit (huggingface_hub may split a very large folder into several
when it uploads through Xet). ``HF_ENDPOINT`` decides the server; the token comes from the argument, ``HF_TOKEN``
or the stored login (as everywhere in `huggingface_hub`) and is never logged or written.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile

from huggingface_hub import HfApi, get_token
from huggingface_hub.errors import HfHubHTTPError

from ..adapters import AdapterManager
from ..adapters.composition import AdapterComposition
from .constants import (
    DEFAULT_ADAPTERS_COMMIT_MESSAGE,
    DEFAULT_MODEL_COMMIT_MESSAGE,
    TRAINING_SUMMARY_FILE,
)
from .errors import HubPermissionError, HubRepoExistsError, translate_hub_errors
from .model_card import write_model_card
from .training_summary import TrainingSummary


logger = logging.getLogger(__name__)

_NOTHING_UPLOADED = "Nothing was uploaded and the local files are unchanged."


def push_adapters_to_hub(
    manager_or_directory: AdapterManager | str | os.PathLike,
    repo_id: str,
    *,
    token: str | None = None,
    private: bool = False,
    revision: str | None = None,
    commit_message: str | None = None,
    summary: TrainingSummary | None = None,
    create_pr: bool = False,
    exist_ok: bool = True,
):
    """Pushes language and task adapters, their heads, the discriminator, the composition and a model card to a
    Hub model repo, in one commit.

    The repo gets what `AdapterManager.save` writes (each adapter in PEFT format under ``<name>/``, so one adapter
    also loads with ``PeftModel.from_pretrained(base, repo_id, subfolder="lang_jav")``), plus ``README.md``
    rendered from the `TrainingSummary` and the summary itself. Load it back with `load_adapters_from_hub`.

    Args:
        manager_or_directory (`AdapterManager`, `str` or `os.PathLike`):
            The adapters, or a directory written by `AdapterManager.save` (left untouched).
        repo_id (`str`):
            ``"user/name"`` (or ``"name"``, in the token owner's namespace).
        token (`str`, *optional*):
            A write token; defaults to ``HF_TOKEN`` or the stored login. Never logged or written to the repo.
        private (`bool`, defaults to `False`):
            Create the repo private (an existing repo keeps its visibility).
        revision (`str`, *optional*):
            The branch to push to, created from ``main`` when absent.
        commit_message (`str`, *optional*):
            The commit's message.
        summary (`TrainingSummary`, *optional*):
            What training saw, for the card. Defaults to the summary saved beside a directory's card
            (`write_model_card`), else to what the manager or the saved composition records.
        create_pr (`bool`, defaults to `False`):
            Open a pull request against ``main`` instead of committing (not with another `revision`). A push that
            changes no file opens none.
        exist_ok (`bool`, defaults to `True`):
            Push to the repo if it exists; with `False`, an existing repo raises `HubRepoExistsError`.

    Returns:
        `huggingface_hub.CommitInfo`: the commit (its ``pr_url`` when `create_pr`).

    Raises:
        HubUnreachableError: the endpoint does not answer (checked before anything else is sent).
        HubRepoExistsError: the repo exists and `exist_ok` is `False`.
        HubPermissionError: no token, or the user may not write to the repo.

    Example:

    ```python
    >>> manager.save("adapters/")
    >>> write_model_card("adapters/", TrainingSummary.from_manager(manager, training_args, results=report))
    >>> push_adapters_to_hub("adapters/", "me/xlmr-jav-sentiment-adapters")
    ```
    """
    with tempfile.TemporaryDirectory(prefix="hf_lowres_push_") as staging:
        if isinstance(manager_or_directory, AdapterManager):
            manager_or_directory.save(staging)
            summary = summary or TrainingSummary.from_manager(manager_or_directory)
        else:
            directory = os.fspath(manager_or_directory)
            composition = AdapterComposition.load(directory)  # fails clearly on anything but a saved composition
            shutil.copytree(directory, staging, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".*"))
            if summary is None and os.path.isfile(os.path.join(directory, TRAINING_SUMMARY_FILE)):
                summary = TrainingSummary.load(directory)
            summary = summary or TrainingSummary.from_composition(composition)
        return _push_staged(
            staging,
            repo_id,
            summary=summary,
            kind="adapters",
            token=token,
            private=private,
            revision=revision,
            commit_message=commit_message or DEFAULT_ADAPTERS_COMMIT_MESSAGE,
            create_pr=create_pr,
            exist_ok=exist_ok,
        )


def push_model_to_hub(
    model,
    repo_id: str,
    *,
    tokenizer=None,
    token: str | None = None,
    private: bool = False,
    revision: str | None = None,
    commit_message: str | None = None,
    summary: TrainingSummary | None = None,
    create_pr: bool = False,
    exist_ok: bool = True,
):
    """Pushes a plain hf_lowres model (e.g. `AdapterManager.merge()`'s result) with its remote code and a card.

    The repo gets what ``model.save_pretrained`` writes, including ``configuration_lowres.py`` /
    ``modeling_lowres.py`` and the config's ``auto_map``, so it loads by repo id where hf_lowres is not installed:
    ``AutoModelForSequenceClassification.from_pretrained(repo_id, trust_remote_code=True)``.

    Args:
        model (`LowResPreTrainedModel`):
            The model; a `PeftModel` must be merged first (`AdapterManager.merge()`).
        repo_id (`str`):
            ``"user/name"`` (or ``"name"``, in the token owner's namespace).
        tokenizer (`PreTrainedTokenizerBase`, *optional*):
            Saved beside the model.
        token, private, revision, commit_message, create_pr, exist_ok:
            As in `push_adapters_to_hub`.
        summary (`TrainingSummary`, *optional*):
            What training saw; defaults to the model's languages, class and backbone checkpoint.

    Returns:
        `huggingface_hub.CommitInfo`: the commit.

    Raises:
        TypeError: `model` is not a plain hf_lowres model.
        HubUnreachableError, HubRepoExistsError, HubPermissionError: as in `push_adapters_to_hub`.
    """
    from peft import PeftModel

    if (
        isinstance(model, PeftModel)
        or not hasattr(model, "save_pretrained")
        or not hasattr(getattr(model, "config", None), "languages")
    ):
        raise TypeError(
            f"push_model_to_hub needs a plain hf_lowres model, got {type(model).__name__}; for adapters use "
            "push_adapters_to_hub, or push AdapterManager.merge()'s result."
        )
    if summary is None:
        text_config = model.config.text_config
        summary = TrainingSummary(
            languages=list(model.config.languages),
            base_model=(getattr(text_config, "_name_or_path", "") or None) if text_config is not None else None,
            model_class=type(model).__name__,
        )
    with tempfile.TemporaryDirectory(prefix="hf_lowres_push_") as staging:
        model.save_pretrained(staging)
        if tokenizer is not None:
            tokenizer.save_pretrained(staging)
        return _push_staged(
            staging,
            repo_id,
            summary=summary,
            kind="model",
            token=token,
            private=private,
            revision=revision,
            commit_message=commit_message or DEFAULT_MODEL_COMMIT_MESSAGE,
            create_pr=create_pr,
            exist_ok=exist_ok,
        )


def _push_staged(
    staging: str,
    repo_id: str,
    *,
    summary: TrainingSummary,
    kind: str,
    token: str | None,
    private: bool,
    revision: str | None,
    commit_message: str,
    create_pr: bool,
    exist_ok: bool,
):
    """Asks who is pushing (failing fast on a server that is down), writes the card, then creates the repo and
    branch as needed and uploads the staging folder in one commit."""
    if create_pr and revision not in (None, "main"):
        raise ValueError(f"create_pr=True opens a pull request against main; it cannot target revision={revision!r}.")
    api = HfApi(token=token)
    endpoint = api.endpoint
    if token is None and get_token() is None:
        raise HubPermissionError(
            f"pushing {repo_id!r} to {endpoint} needs a write token: pass `token=`, set HF_TOKEN or log in "
            f"(`hf auth login`). {_NOTHING_UPLOADED}"
        )
    # whoami answers or fails at once (no retries): a down server is reported before anything is created.
    with translate_hub_errors(endpoint, repo_id, None, "push to", _NOTHING_UPLOADED):
        user = api.whoami()["name"]
    if "/" not in repo_id:
        repo_id = f"{user}/{repo_id}"
    write_model_card(staging, summary, repo_id=repo_id, kind=kind)
    logger.info("Pushing %s to %s at %s as %s.", kind, repo_id, endpoint, user)
    with translate_hub_errors(endpoint, repo_id, user, "push to", _NOTHING_UPLOADED):
        try:
            repo_id = api.create_repo(repo_id, private=private, exist_ok=exist_ok, repo_type="model").repo_id
        except HfHubHTTPError as error:
            if getattr(error.response, "status_code", None) == 409:
                raise HubRepoExistsError(
                    f"the repo {repo_id!r} already exists at {endpoint}; pass exist_ok=True to push to it. "
                    f"{_NOTHING_UPLOADED}"
                ) from error
            raise
        if revision is not None and revision != "main":
            api.create_branch(repo_id, branch=revision, exist_ok=True)
        info = api.upload_folder(
            repo_id=repo_id,
            folder_path=staging,
            revision=revision,
            commit_message=commit_message,
            create_pr=create_pr,
        )
    logger.info("Pushed %s to %s (commit %s).", kind, repo_id, info.oid)
    return info
