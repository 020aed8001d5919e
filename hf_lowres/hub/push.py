"""Pushing adapters (with their heads, composition and card) or a whole hf_lowres model to a Hub model repo.

Everything to upload is first written to a temporary staging folder, so that a failed push leaves the local files
exactly as they were. The large files are sent first, then the repo receives one commit with every file: a push that
fails before that commit leaves none of its files in the repo, and its error says how far it got. Running the same
push again resumes it: the repo is reused, files already in the repo with the same content are not committed again
and large files the server already holds are not sent again (so a push that had completed makes no new commit).

``HF_ENDPOINT`` decides the server; the token comes from the argument, ``HF_TOKEN`` or the stored login (as
everywhere in `huggingface_hub`) and is never logged or written.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from huggingface_hub import CommitOperationAdd, HfApi, get_session, get_token
from huggingface_hub.errors import EntryNotFoundError, HfHubHTTPError

from ..adapters import AdapterManager
from ..adapters.composition import AdapterComposition
from .constants import (
    DEFAULT_ADAPTERS_COMMIT_MESSAGE,
    DEFAULT_MODEL_COMMIT_MESSAGE,
    MODEL_CARD_FILE,
    TRAINING_SUMMARY_FILE,
)
from .errors import HubPermissionError, HubRepoExistsError, translate_hub_errors
from .model_card import CARD_EDITED, CARD_UNEDITED, card_status, write_model_card
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
    overwrite_card: bool = False,
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
        overwrite_card (`bool`, defaults to `False`):
            Replace the repo's ``README.md`` even when it is not a card hf_lowres generated, or was edited since
            (e.g. in the Hub's editor). By default such a card is kept, the other files are pushed and a warning says
            so; a card hf_lowres generated and nobody changed (its signature, see `write_model_card`, still matches)
            is always replaced by the new one.

    Returns:
        `huggingface_hub.CommitInfo`: the commit (its ``pr_url`` when `create_pr`); when every file was already in
        the repo with the same content, the repo's last commit (no new commit is made).

    Raises:
        HubUnreachableError: the endpoint does not answer (checked before anything else is sent), or stopped
            answering during the push; the message says what had reached the Hub. Run the same push again to
            resume: it reuses the repo (pass ``exist_ok=True`` if the failed push created it), commits nothing
            twice and sends only the large files the server does not hold yet.
        HubRepoExistsError: the repo exists and `exist_ok` is `False`.
        HubPermissionError: no token, or the user may not write to the repo.
        HubPublishingError: the endpoint refused the Xet token request (it does not offer Xet storage): set
            ``HF_HUB_DISABLE_XET=1`` and push again.

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
            overwrite_card=overwrite_card,
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
    overwrite_card: bool = False,
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
        token, private, revision, commit_message, create_pr, exist_ok, overwrite_card:
            As in `push_adapters_to_hub`.
        summary (`TrainingSummary`, *optional*):
            What training saw; defaults to the model's languages, class and backbone checkpoint.

    Returns:
        `huggingface_hub.CommitInfo`: the commit.

    Raises:
        TypeError: `model` is not a plain hf_lowres model.
        HubUnreachableError, HubRepoExistsError, HubPermissionError, HubPublishingError: as in
            `push_adapters_to_hub`.
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
            overwrite_card=overwrite_card,
        )


@dataclass
class _PushProgress:
    """How far a push got, for the message of the error that stops it."""

    repo_id: str
    files: list[str] = field(default_factory=list)
    exist_ok: bool = True
    repo_created: bool = False  # this push created the repo (it did not exist before)
    stage: str = "prepare"  # "prepare" (no file sent yet), "upload" (large files being sent), "commit"
    commit_refused: bool = False  # the server answered the commit request with an error

    def outcome(self) -> str:
        """What had reached the Hub when the push failed, and how to resume it."""
        repo = repr(self.repo_id)
        if self.stage == "prepare" and not self.repo_created:
            return _NOTHING_UPLOADED
        count = f"{len(self.files)} file{'s' if len(self.files) != 1 else ''}"
        if self.stage == "commit" and not self.commit_refused:
            done = (
                f"Every large file was sent and the commit of the {count} was requested, but its answer did not "
                f"arrive: {repo} may or may not hold them now."
            )
        else:
            done = f"No commit was made: none of the {count} of this push is in {repo}"
            done += (
                " (large files sent before the failure may be kept by the server)." if self.stage != "prepare" else "."
            )
        created = f"The repo {repo} was created by this push. " if self.repo_created else ""
        exist_ok = " with exist_ok=True (the repo exists now)" if self.repo_created and not self.exist_ok else ""
        return (
            f"{created}{done} To resume, run the same push again{exist_ok}: it reuses the repo, commits nothing twice "
            "and sends only the large files the server does not hold yet. The local files are unchanged."
        )


def _endpoint_answers(endpoint: str) -> bool:
    """Whether the endpoint answers an HTTP request at all (any status), tried once, without the token."""
    try:
        get_session().get(f"{endpoint}/api/whoami-v2", timeout=5)
    except Exception:  # any transport failure (refused, reset, timeout) means: it does not answer
        return False
    return True


def _staged_files(staging: str) -> list[str]:
    return sorted(p.relative_to(staging).as_posix() for p in Path(staging).rglob("*") if p.is_file())


def _keep_remote_card(api: HfApi, repo_id: str, revision: str | None, endpoint: str) -> bool:
    """Whether the repo's ``README.md`` (at `revision`) must be kept: it exists and is not a card hf_lowres generated
    that nobody edited since. Logs why it is kept."""
    with tempfile.TemporaryDirectory(prefix="hf_lowres_card_") as folder:
        try:
            path = api.hf_hub_download(repo_id, MODEL_CARD_FILE, revision=revision, local_dir=folder)
        except EntryNotFoundError:
            return False
        text = Path(path).read_bytes().decode("utf-8", errors="replace")
    status = card_status(text)
    if status == CARD_UNEDITED:
        return False
    logger.warning(
        "Kept the %s of %s at %s (revision %s): %s, so the card generated for this push is not uploaded "
        "(the other files are). Pass overwrite_card=True to replace it.",
        MODEL_CARD_FILE,
        repo_id,
        endpoint,
        revision or "main",
        "it was edited after hf_lowres generated it"
        if status == CARD_EDITED
        else "it is not a card hf_lowres generated",
    )
    return True


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
    overwrite_card: bool,
):
    """Asks who is pushing (failing fast on a server that is down), writes the card, creates the repo and branch as
    needed, sends the large files, then commits every staged file at once (the repo's own card kept unless it is an
    unedited hf_lowres card or `overwrite_card`)."""
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
    progress = _PushProgress(repo_id, _staged_files(staging), exist_ok=exist_ok)
    logger.info("Pushing %s to %s at %s as %s.", kind, repo_id, endpoint, user)
    with translate_hub_errors(
        endpoint, repo_id, user, "push to", progress.outcome, still_answers=lambda: _endpoint_answers(endpoint)
    ):
        try:
            repo_id = api.create_repo(repo_id, private=private, exist_ok=False, repo_type="model").repo_id
            progress.repo_created = True
        except HfHubHTTPError as error:
            status = getattr(error.response, "status_code", None)
            if status == 409 and not exist_ok:
                raise HubRepoExistsError(
                    f"the repo {repo_id!r} already exists at {endpoint}; pass exist_ok=True to push to it. "
                    f"{_NOTHING_UPLOADED}"
                ) from error
            # A token may write to a repo whose namespace it cannot create repos in (as `create_repo(exist_ok=True)`).
            if status != 409 and not (exist_ok and status in (401, 402, 403) and api.repo_exists(repo_id)):
                raise
        if revision is not None and revision != "main":
            api.create_branch(repo_id, branch=revision, exist_ok=True)
        files = progress.files
        if (
            not progress.repo_created
            and not overwrite_card
            and MODEL_CARD_FILE in files
            and _keep_remote_card(api, repo_id, None if create_pr else revision, endpoint)
        ):
            files = progress.files = [name for name in files if name != MODEL_CARD_FILE]
        operations = [
            CommitOperationAdd(path_in_repo=name, path_or_fileobj=os.path.join(staging, name)) for name in files
        ]
        progress.stage = "upload"
        # Sent before the commit so that a failure here is known to have committed nothing.
        api.preupload_lfs_files(repo_id, operations, revision=revision, create_pr=create_pr, free_memory=False)
        progress.stage = "commit"
        try:
            info = api.create_commit(
                repo_id, operations, commit_message=commit_message, revision=revision, create_pr=create_pr
            )
        except HfHubHTTPError as error:
            progress.commit_refused = error.response is not None  # an answer: the commit was not recorded
            raise
    logger.info("Pushed %s to %s (commit %s).", kind, repo_id, info.oid)
    return info
