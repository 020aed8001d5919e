"""Reading and writing the files of a saved adapter set as data: nothing read from them runs code or picks a repo.

A saved set (or a downloaded one) is untrusted input. Every reader here names the file it failed on and what the file
should hold; the LoRA config is rebuilt from an allow-list of fields; the file manifest that `AdapterManager.save`
writes last lets a load tell a complete save from an interrupted one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import tempfile

import torch
from peft import LoraConfig
from safetensors import SafetensorError
from safetensors.torch import load_file


logger = logging.getLogger(__name__)

# LoRA config fields a file may not choose: they import modules by name, reshape the model or rewrite base weights.
_LORA_FIELDS_REFUSED = ("megatron_config", "layer_replication")
_LORA_FIELDS_RESET = {
    # The weights are loaded right after the adapter is added, so the initialization is only a cost; methods such as
    # PiSSA/OLoRA/LoftQ/EVA would also modify the frozen base weights.
    "init_lora_weights": True,
    "loftq_config": {},
    "eva_config": None,
    "corda_config": None,
    "lora_ga_config": None,
    "megatron_core": "megatron.core",
    "base_model_name_or_path": None,  # the model is the caller's; a file names no repo to fetch
    "revision": None,
    "auto_mapping": None,  # class paths for `AutoPeftModel`, which hf_lowres never uses to load
}
# Left at PEFT's default: how this process runs the adapter is not the file's to choose.
_LORA_FIELDS_DEFAULTED = ("runtime_config", "peft_type")


class InterruptedSaveError(RuntimeError):
    """A directory holds part of an adapter set: a save into it stopped before it finished."""


def sha256_file(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    """The SHA-256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_manifest(directory: str | os.PathLike, relative_paths: list[str]) -> dict[str, str]:
    """`{relative path: sha256}` of the given files under `directory` (POSIX separators, sorted)."""
    return {path: sha256_file(os.path.join(directory, path)) for path in sorted(set(relative_paths))}


def write_json_atomically(data, path: str | os.PathLike) -> None:
    """Writes JSON to a temporary file beside `path`, flushes it to disk, then renames it over `path`.

    A reader sees the old file or the new one, never half of either.
    """
    directory = os.path.dirname(os.fspath(path)) or "."
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, sort_keys=True)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def read_json_object(path: str | os.PathLike, what: str) -> dict:
    """Parses a JSON object, raising `ValueError` that names the file, the position and what it should hold."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: {what} should be UTF-8 JSON, but byte {error.start} is not UTF-8.") from error
    if not text.strip():
        raise ValueError(f"{path} is empty: it should hold {what} as a JSON object.")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{path}, line {error.lineno}, column {error.colno}: not valid JSON ({error.msg}); it should hold {what}."
        ) from error
    if not isinstance(data, dict):
        raise ValueError(f"{path}: {what} should be a JSON object, found a {type(data).__name__}.")
    return data


def read_safetensors(path: str | os.PathLike, what: str) -> dict[str, torch.Tensor]:
    """Loads a safetensors file, raising errors that name the file and what it should hold."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{what}: expected the file {path}, which does not exist.")
    try:
        return load_file(os.fspath(path))
    except (SafetensorError, OSError, ValueError) as error:
        raise ValueError(
            f"{path} could not be read as safetensors ({error}); it should hold {what}. "
            "The file is truncated or corrupt: save or download it again."
        ) from error


def verify_manifest(directory: str | os.PathLike, manifest: dict[str, str], names: set[str] | None = None) -> None:
    """Checks that every file of `manifest` (or those under the top level and the folders in `names`) exists with
    the recorded SHA-256.

    Raises:
        FileNotFoundError: a listed file is missing, naming it.
        InterruptedSaveError: a file's bytes differ from the recorded ones, naming it.
    """
    for relative, expected in manifest.items():
        folder = relative.split("/", 1)[0] if "/" in relative else None
        if names is not None and folder is not None and folder not in names:
            continue  # an adapter the caller did not ask for (and that a partial download may lack)
        path = os.path.join(directory, *relative.split("/"))
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"{path} is listed in the composition's file manifest but does not exist: the adapter set in "
                f"{directory} is incomplete (an interrupted save or download). Save or download it again."
            )
        if sha256_file(path) != expected:
            raise InterruptedSaveError(
                f"{path} does not match the SHA-256 the composition recorded for it: the files in {directory} come "
                "from different saves (an interrupted save, or a file edited by hand). Save it again."
            )


def load_lora_config(adapter_dir: str | os.PathLike, config_file: str) -> LoraConfig:
    """Rebuilds a `LoraConfig` from `adapter_config.json`, keeping only what a LoRA adapter's shape needs.

    Fields that import modules by name, change the model's structure or fetch another repo are refused; the weight
    initialization is reset (the saved weights replace it) and unknown fields (a newer PEFT) are ignored with a
    warning.

    Raises:
        ValueError: the file is not JSON, is no LoRA config, or sets a refused field.
    """
    path = os.path.join(adapter_dir, config_file)
    data = read_json_object(path, "a PEFT LoRA adapter config")
    peft_type = data.get("peft_type")
    if peft_type != "LORA":
        raise ValueError(f'{path}: `peft_type` is {peft_type!r}; hf_lowres adapters are LoRA (`"LORA"`).')
    refused = [key for key in _LORA_FIELDS_REFUSED if data.get(key) not in (None, {}, [])]
    if refused:
        raise ValueError(
            f"{path} sets {refused}, which hf_lowres does not read from a file (they import modules by name or "
            "reshape the model). Remove them, or build the adapter yourself with `AdapterManager.add_*_adapter`."
        )
    known = {f.name for f in dataclasses.fields(LoraConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        logger.warning("%s: ignoring fields this PEFT version does not know: %s", path, unknown)
    kept = {key: value for key, value in data.items() if key in known and key not in _LORA_FIELDS_REFUSED}
    kept.update(_LORA_FIELDS_RESET)
    for key in _LORA_FIELDS_DEFAULTED:
        kept.pop(key, None)
    kept["inference_mode"] = bool(kept.get("inference_mode", False))
    try:
        return LoraConfig(**kept)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: not a valid LoRA config ({error}).") from error
