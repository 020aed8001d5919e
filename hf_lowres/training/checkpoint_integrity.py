"""Complete-or-nothing training checkpoints: a completion marker written last, and the checks made before a resume.

A checkpoint directory is complete when it holds `checkpoint_complete.json`, which `CrossLingualTrainer` writes after
every other file of the checkpoint (model or adapter, trainable modules, optimizer, scheduler, RNG states, trainer
state, cross-lingual state) and which lists each of them with its size and sha256. A save killed half-way leaves a
directory without it, which `resume_from_checkpoint=True` skips; a file truncated or changed afterwards is reported by
name. Files are also checked for their format (a safetensors header that covers the file, a complete `torch.save`
zip archive, parseable JSON), so a truncated file is named even in a checkpoint without a marker.
"""

from __future__ import annotations

import fnmatch
import glob
import json
import os
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import safetensors.torch
import torch
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR
from transformers.utils import logging

from ..adapters.adapter_files import sha256_file


logger = logging.get_logger(__name__)

CHECKPOINT_COMPLETE_NAME = "checkpoint_complete.json"
"""The completion marker of a checkpoint: written last, it lists every other file with its size and sha256."""
_MARKER_FORMAT = "hf_lowres.checkpoint"
_MARKER_VERSION = 1
_CHECKPOINT_RE = re.compile(rf"^{PREFIX_CHECKPOINT_DIR}-(\d+)$")
_TORCH_SUFFIXES = (".pt", ".pth", ".bin")


class IncompleteCheckpointError(ValueError):
    """A checkpoint lacks a file a resume needs, was not completely written, or holds a truncated or changed file."""


@dataclass(frozen=True)
class RequiredFile:
    """A file (or one of several alternative glob patterns) a checkpoint must hold, and what it holds."""

    patterns: tuple[str, ...]
    holds: str

    @property
    def name(self) -> str:
        return " or ".join(self.patterns)


@dataclass(frozen=True)
class CheckpointProblem:
    """One problem of a checkpoint. `fatal` problems make loading impossible (an unreadable file); the others
    (a missing file or marker, a file that differs from the marker) can be accepted with `strict=False`."""

    message: str
    fatal: bool = False


def _checkpoint_files(checkpoint_dir: str) -> list[str]:
    """Every file under `checkpoint_dir` (relative, `/`-separated, sorted), the marker and its temporary excluded."""
    files = []
    for root, _, names in os.walk(checkpoint_dir):
        for name in names:
            relative = os.path.relpath(os.path.join(root, name), checkpoint_dir).replace(os.sep, "/")
            if relative not in (CHECKPOINT_COMPLETE_NAME, CHECKPOINT_COMPLETE_NAME + ".tmp"):
                files.append(relative)
    return sorted(files)


def write_completion_marker(checkpoint_dir: str | os.PathLike, global_step: int | None = None) -> dict:
    """Writes `checkpoint_complete.json` into `checkpoint_dir`, listing every file there with its size and sha256.

    Call it after every other file of the checkpoint is written. It is written to a temporary name and renamed, so
    the marker itself is never partial.

    Returns:
        `dict`: the marker's content.
    """
    checkpoint_dir = os.fspath(checkpoint_dir)
    files = {}
    for relative in _checkpoint_files(checkpoint_dir):
        path = os.path.join(checkpoint_dir, relative)
        files[relative] = {"size": os.path.getsize(path), "sha256": sha256_file(path)}
    marker = {"format": _MARKER_FORMAT, "version": _MARKER_VERSION, "global_step": global_step, "files": files}
    temporary = os.path.join(checkpoint_dir, CHECKPOINT_COMPLETE_NAME + ".tmp")
    with open(temporary, "w") as f:
        json.dump(marker, f, indent=2)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, os.path.join(checkpoint_dir, CHECKPOINT_COMPLETE_NAME))
    return marker


def read_completion_marker(checkpoint_dir: str | os.PathLike) -> dict | None:
    """The content of `checkpoint_dir`'s completion marker, or `None` when it has none.

    Raises:
        IncompleteCheckpointError: when the marker exists but is not a marker written by `write_completion_marker`.
    """
    path = os.path.join(os.fspath(checkpoint_dir), CHECKPOINT_COMPLETE_NAME)
    if not os.path.isfile(path):
        return None
    marker = load_json_file(path, "the checkpoint's completion marker")
    if not (
        isinstance(marker, dict)
        and marker.get("format") == _MARKER_FORMAT
        and isinstance(marker.get("files"), dict)
        and all(isinstance(v, dict) and {"size", "sha256"} <= set(v) for v in marker["files"].values())
    ):
        raise IncompleteCheckpointError(
            f"{path} is not a checkpoint completion marker: expected a JSON object with format {_MARKER_FORMAT!r} "
            "and a `files` object mapping each file to its `size` and `sha256`."
        )
    return marker


def file_format_problem(path: str) -> str | None:
    """Why the file at `path` cannot be read as what its suffix says (truncated, not that format), or `None`.

    Cheap checks only, without loading the tensors: a safetensors header that parses and covers the file exactly;
    a `torch.save` file (`.pt`, `.pth`, `.bin`) that is a complete zip archive (its end record is present); JSON
    that parses. Other files are not checked.
    """
    size = os.path.getsize(path)
    if path.endswith(".safetensors"):
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                return f"it has {size} bytes, fewer than the 8 of a safetensors header (truncated)"
            header_size = int.from_bytes(head, "little")
            if 8 + header_size > size:
                return f"its safetensors header announces {header_size} bytes but the file has {size} (truncated)"
            try:
                header = json.loads(f.read(header_size))
                end = max(
                    (int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"),
                    default=0,
                )
            except (ValueError, TypeError, KeyError, IndexError, AttributeError):
                return "its safetensors header is not valid JSON with `data_offsets` (not a safetensors file?)"
        expected = 8 + header_size + end
        if expected != size:
            return f"it has {size} bytes where its safetensors header describes {expected} (truncated or damaged)"
        return None
    if path.endswith(_TORCH_SUFFIXES):
        if not zipfile.is_zipfile(path):
            return f"it has {size} bytes and is not a complete torch.save archive (truncated or damaged)"
        return None
    if path.endswith(".json"):
        try:
            with open(path, encoding="utf-8") as f:
                json.load(f)
        except (ValueError, UnicodeDecodeError) as error:
            return f"it is not valid JSON ({error}; truncated or damaged)"
    return None


def checkpoint_problems(
    checkpoint_dir: str | os.PathLike, required: Sequence[RequiredFile] = (), verify_hashes: bool = True
) -> list[CheckpointProblem]:
    """Everything that keeps `checkpoint_dir` from being a complete checkpoint holding `required` (one per file).

    Checks the completion marker (present; every file it lists present with its size and, with `verify_hashes`, its
    sha256), that every required file is present, and the format of every file (see `file_format_problem`).

    Args:
        checkpoint_dir: the checkpoint directory.
        required: the files a resume needs, each with what it holds (named in the problem when it is missing).
        verify_hashes: also compare each file's sha256 with the marker (reads every file once).

    Returns:
        `list[CheckpointProblem]`: empty when the checkpoint is complete.
    """
    checkpoint_dir = os.fspath(checkpoint_dir)
    if not os.path.isdir(checkpoint_dir):
        return [CheckpointProblem(f"{checkpoint_dir} is not a directory", fatal=True)]
    problems: dict[str, CheckpointProblem] = {}
    try:
        marker = read_completion_marker(checkpoint_dir)
    except IncompleteCheckpointError as error:
        marker = None
        problems[CHECKPOINT_COMPLETE_NAME] = CheckpointProblem(str(error))
    else:
        if marker is None:
            problems[CHECKPOINT_COMPLETE_NAME] = CheckpointProblem(
                f"{CHECKPOINT_COMPLETE_NAME} is missing: it is written last, after every other file, so the save of "
                "this checkpoint was interrupted, or the checkpoint was written by something other than "
                "CrossLingualTrainer (a plain Trainer, an hf_lowres version before completion markers)"
            )
    missing_patterns = []
    for requirement in required:
        if not any(_glob(checkpoint_dir, pattern) for pattern in requirement.patterns):
            missing_patterns += requirement.patterns
            problems[requirement.name] = CheckpointProblem(
                f"{requirement.name} is missing: it should hold {requirement.holds}"
            )
    present = _checkpoint_files(checkpoint_dir)
    for relative in present:
        problem = file_format_problem(os.path.join(checkpoint_dir, relative))
        if problem is not None:
            problems[relative] = CheckpointProblem(f"{relative} cannot be read: {problem}", fatal=True)
    for relative, entry in (marker or {}).get("files", {}).items():
        path = os.path.join(checkpoint_dir, relative)
        if relative in problems:
            continue
        if not os.path.isfile(path):
            if not any(fnmatch.fnmatchcase(relative, pattern) for pattern in missing_patterns):
                problems[relative] = CheckpointProblem(
                    f"{relative} is missing, although {CHECKPOINT_COMPLETE_NAME} lists it"
                )
        elif (size := os.path.getsize(path)) != entry["size"]:
            problems[relative] = CheckpointProblem(
                f"{relative} has {size} bytes, {CHECKPOINT_COMPLETE_NAME} recorded {entry['size']} (truncated or "
                "changed after the checkpoint was written)"
            )
        elif verify_hashes and sha256_file(path) != entry["sha256"]:
            problems[relative] = CheckpointProblem(
                f"{relative} differs from the sha256 recorded in {CHECKPOINT_COMPLETE_NAME} (changed or damaged "
                "after the checkpoint was written)"
            )
    return list(problems.values())


def _glob(checkpoint_dir: str, pattern: str) -> list[str]:
    return [p for p in glob.glob(os.path.join(glob.escape(checkpoint_dir), pattern)) if os.path.isfile(p)]


def raise_or_warn(checkpoint_dir: str, problems: Sequence[CheckpointProblem], strict: bool, action: str) -> None:
    """Raises one `IncompleteCheckpointError` listing `problems`; with `strict=False`, only a WARNING unless one of
    them is fatal (a file that cannot be read).

    Args:
        checkpoint_dir: the checkpoint, named in the message.
        problems: what `checkpoint_problems` found.
        strict: whether problems that do not prevent loading are errors too.
        action: what was attempted, e.g. "resume from", for the message.
    """
    if not problems:
        return
    listing = "\n".join(f"  - {problem.message}" for problem in problems)
    if strict or any(problem.fatal for problem in problems):
        hint = (
            "Repair or replace the files named, or pick another checkpoint."
            if any(problem.fatal for problem in problems)
            else "Resume from a complete checkpoint, or set `resume_strict=False` to go on anyway (what is missing "
            "then starts fresh, so the run no longer continues like an uninterrupted one)."
        )
        raise IncompleteCheckpointError(f"Cannot {action} {checkpoint_dir}:\n{listing}\n{hint}")
    logger.warning(
        f"{action.capitalize()} {checkpoint_dir} although it is incomplete (`resume_strict=False`); what is missing "
        f"starts fresh:\n{listing}"
    )


def checkpoint_step(name: str) -> int | None:
    """The global step of a directory named `checkpoint-<step>`, else `None`."""
    match = _CHECKPOINT_RE.match(name)
    return int(match.group(1)) if match else None


def find_resumable_checkpoint(output_dir: str | os.PathLike, strict: bool = True) -> str:
    """The newest complete checkpoint (one holding `checkpoint_complete.json`) of `output_dir`, for
    `resume_from_checkpoint=True`.

    Newer directories without a marker (a save that was interrupted) are skipped, with a WARNING naming each and the
    checkpoint chosen. Whether the chosen checkpoint's files match its marker is checked afterwards, when resuming.

    Args:
        output_dir: the training output directory holding the `checkpoint-<step>` directories.
        strict: with `False`, when no checkpoint is complete, the newest one is used (with a WARNING), as
            `Trainer` does; with `True` that is an error.

    Raises:
        IncompleteCheckpointError: when there is no checkpoint, or (with `strict`) none is complete.
    """
    output_dir = os.fspath(output_dir)
    names = os.listdir(output_dir) if os.path.isdir(output_dir) else []
    candidates = sorted(
        (
            (step, os.path.join(output_dir, name))
            for name in names
            if (step := checkpoint_step(name)) is not None and os.path.isdir(os.path.join(output_dir, name))
        ),
        reverse=True,
    )
    if not candidates:
        raise IncompleteCheckpointError(f"No valid checkpoint found in output directory ({output_dir}).")
    skipped = []
    for _, path in candidates:
        if os.path.isfile(os.path.join(path, CHECKPOINT_COMPLETE_NAME)):
            if skipped:
                logger.warning(
                    f"Resuming from {path}, the newest complete checkpoint; skipped newer ones without "
                    f"{CHECKPOINT_COMPLETE_NAME} (their save was interrupted): {', '.join(skipped)}."
                )
            else:
                logger.info(f"Resuming from {path}, the newest checkpoint of {output_dir}.")
            return path
        skipped.append(os.path.basename(path))
    newest = candidates[0][1]
    if not strict:
        logger.warning(
            f"No checkpoint of {output_dir} holds {CHECKPOINT_COMPLETE_NAME} (interrupted saves, or written by "
            f"something other than CrossLingualTrainer); resuming from the newest, {newest} (`resume_strict=False`)."
        )
        return newest
    raise IncompleteCheckpointError(
        f"No complete checkpoint in {output_dir}: none of {', '.join(skipped)} holds {CHECKPOINT_COMPLETE_NAME}, "
        "which is written last, after every other file (so each save was interrupted, or the checkpoints were "
        f"written by something other than CrossLingualTrainer). Set `resume_strict=False` to resume from the newest, "
        f"{os.path.basename(newest)}, anyway (its files are still checked for truncation)."
    )


def load_safetensors_file(path: str | os.PathLike, what: str) -> dict[str, torch.Tensor]:
    """`safetensors.torch.load_file`, with an error naming the file and what it should hold when it cannot be read.

    Raises:
        FileNotFoundError: when the file does not exist.
        IncompleteCheckpointError: when it is truncated or not a safetensors file.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{what}: expected the file {path}, which does not exist.")
    try:
        return safetensors.torch.load_file(path)
    except Exception as error:  # noqa: BLE001 - SafetensorError is not importable in a stable place
        problem = file_format_problem(path) or str(error)
        raise IncompleteCheckpointError(f"Cannot read {what} from {path}: {problem}.") from error


def load_json_file(path: str | os.PathLike, what: str) -> Any:
    """`json.load` of a UTF-8 file, with an error naming the file, the position and what it should hold.

    Raises:
        IncompleteCheckpointError: when the file is not valid JSON.
    """
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as error:
        raise IncompleteCheckpointError(
            f"Cannot read {what} from {path}: invalid JSON at line {error.lineno}, column {error.colno} "
            f"({error.msg}; truncated or damaged)."
        ) from error
    except UnicodeDecodeError as error:
        raise IncompleteCheckpointError(f"Cannot read {what} from {path}: not UTF-8 text ({error}).") from error
