"""The JSON record of a saved set of adapters: what they are, what they were trained on, what was active."""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field

from ..models import validate_language_codes
from .adapter_files import InterruptedSaveError, read_json_object, write_json_atomically
from .constants import (
    COMPOSITION_FILE,
    DISCRIMINATOR_FILE,
    HEAD_CONFIG_FILE,
    LANGUAGE_ADAPTER_PREFIX,
    LM_HEAD_FILE,
    PEFT_CONFIG_FILE,
    PEFT_WEIGHTS_FILE,
    TASK_ADAPTER_PREFIX,
    TASK_HEAD_FILE,
)


# The LowResConfig fields a composition may record: with the backbone checkpoint they rebuild the same composite.
# Nothing that loads code or reaches a repo (`backbone_kwargs`, `trust_remote_code`, `revision`, `token`) is here:
# those come from the caller's arguments only.
RECORDED_LOWRES_FIELDS = (
    "languages",
    "grl_lambda",
    "id2label",
    "problem_type",
    "discriminator_hidden_size",
    "discriminator_num_layers",
    "discriminator_dropout",
    "discriminator_pooling",
    "discriminator_layer",
    "alignment_loss",
    "alignment_temperature",
    "alignment_layer",
    "alignment_pooling",
    "classifier_pooling",
    "classifier_dropout",
)
BASE_MODEL_FIELDS = ("name_or_path", "model_type", "hidden_size", "num_hidden_layers", "vocab_size")
MODEL_CLASSES = (
    "LowResModel",
    "LowResForMaskedLM",
    "LowResForSequenceClassification",
    "LowResForTokenClassification",
    "LowResForSeq2SeqLM",
    "LowResForCausalLM",
)
HEAD_FILES = {"discriminator": DISCRIMINATOR_FILE, "lm_head": LM_HEAD_FILE}
TASK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
ADAPTER_FILES = (PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE, TASK_HEAD_FILE, HEAD_CONFIG_FILE)
# Top-level files of a set: the shared heads and a tokenizer's data files (never code).
TOP_LEVEL_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*\.(json|txt|model|spm|jinja|safetensors)$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass
class AdapterComposition:
    """What `AdapterManager.save` writes beside the adapters, as `hf_lowres_composition.json`.

    Loading it treats the file as untrusted data: every field is checked against an allow-list (see `load`).

    Args:
        hf_lowres_version: the version that wrote it.
        model_class: the hf_lowres class the adapters were trained on (e.g. `LowResForMaskedLM`).
        base_model: the backbone's `name_or_path`, `model_type`, `hidden_size`, `num_hidden_layers`, `vocab_size`.
        base_transformer_path: where the base transformer sits in `model_class` (`backbone.bert` in a masked LM);
            used to move adapters between classes.
        lowres_config: the `LowResConfig` fields of `RECORDED_LOWRES_FIELDS` (languages, discriminator...).
        adapters: adapter name -> `{"kind": "language", "language": code}` or `{"kind": "task", "task": name}`.
        active: the adapters active when saved, in order.
        heads: which shared head files were written (`discriminator`, `lm_head`).
        files: every file of the set (relative POSIX path -> SHA-256), written last: a directory whose composition
            has no manifest, or whose files differ from it, was not completely saved.
    """

    hf_lowres_version: str
    model_class: str
    base_model: dict
    base_transformer_path: str
    lowres_config: dict
    adapters: dict[str, dict] = field(default_factory=dict)
    active: list[str] = field(default_factory=list)
    heads: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    def save(self, directory: str | os.PathLike) -> None:
        write_json_atomically(asdict(self), os.path.join(directory, COMPOSITION_FILE))

    @classmethod
    def load(cls, directory: str | os.PathLike) -> AdapterComposition:
        """Reads and validates `hf_lowres_composition.json` in `directory`.

        Raises:
            FileNotFoundError: no composition, and the directory holds no adapter files either.
            InterruptedSaveError: no composition but adapter files: a save into the directory did not finish.
            ValueError: the file is not JSON, or a field is unknown, of the wrong type, or not allowed in a file
                (e.g. `backbone_kwargs`), naming the file and the field.
        """
        path = os.path.join(directory, COMPOSITION_FILE)
        if not os.path.isfile(path):
            if _holds_adapter_files(directory):
                raise InterruptedSaveError(
                    f"{directory} holds adapter files but no {COMPOSITION_FILE}, which `AdapterManager.save` writes "
                    "last: a save into it was interrupted. Save the adapters again."
                )
            raise FileNotFoundError(
                f"{path} does not exist: expected a directory written by `AdapterManager.save` "
                f"(it holds {COMPOSITION_FILE}, one folder per adapter and the head files)."
            )
        data = read_json_object(path, "the adapter composition written by `AdapterManager.save`")
        _validate(data, path)
        return cls(**data)


def _holds_adapter_files(directory: str | os.PathLike) -> bool:
    if not os.path.isdir(directory):
        return False
    if any(os.path.isfile(os.path.join(directory, name)) for name in HEAD_FILES.values()):
        return True
    return any(os.path.isfile(os.path.join(directory, entry, PEFT_CONFIG_FILE)) for entry in os.listdir(directory))


def _validate(data: dict, path: str) -> None:
    fields = AdapterComposition.__dataclass_fields__
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ValueError(f"{path}: unknown fields {unknown}; written by a newer hf_lowres?")
    required = ("hf_lowres_version", "model_class", "base_model", "base_transformer_path", "lowres_config")
    missing = [name for name in required if name not in data]
    if missing:
        raise ValueError(f"{path}: missing fields {missing}; it should hold what `AdapterManager.save` writes.")

    def expect(condition: bool, field_name: str, expected: str) -> None:
        if not condition:
            raise ValueError(f"{path}: `{field_name}` should be {expected}, found {data.get(field_name)!r}.")

    expect(isinstance(data["hf_lowres_version"], str), "hf_lowres_version", "a version string")
    expect(data["model_class"] in MODEL_CLASSES, "model_class", f"one of {list(MODEL_CLASSES)}")
    expect(
        isinstance(data["base_transformer_path"], str)
        and re.fullmatch(r"backbone(\.[A-Za-z_][A-Za-z0-9_]*)*", data["base_transformer_path"]) is not None,
        "base_transformer_path",
        "a module path such as 'backbone.bert'",
    )

    base_model = data["base_model"]
    expect(isinstance(base_model, dict), "base_model", f"an object with {list(BASE_MODEL_FIELDS)}")
    extra = sorted(set(base_model) - set(BASE_MODEL_FIELDS))
    if extra:
        raise ValueError(f"{path}: `base_model` may only record {list(BASE_MODEL_FIELDS)}, found also {extra}.")
    if not isinstance(base_model.get("name_or_path", ""), str):
        raise ValueError(f"{path}: `base_model.name_or_path` should be a string.")

    lowres_config = data["lowres_config"]
    expect(isinstance(lowres_config, dict), "lowres_config", "an object")
    refused = sorted(set(lowres_config) - set(RECORDED_LOWRES_FIELDS))
    if refused:
        raise ValueError(
            f"{path}: `lowres_config` sets {refused}, which a saved file may not set (allowed: "
            f"{list(RECORDED_LOWRES_FIELDS)}). Loading options such as `trust_remote_code`, `revision`, `token` or "
            "`backbone_kwargs` come only from your own arguments (`AdapterManager.from_pretrained(..., "
            "backbone_kwargs=...)`, or build the model yourself and pass `model=`)."
        )
    if "languages" in lowres_config:
        validate_language_codes(lowres_config["languages"], f"{path}: lowres_config.languages")

    adapters = data.get("adapters", {})
    expect(isinstance(adapters, dict), "adapters", "an object of adapter name -> kind")
    for name, info in adapters.items():
        _validate_adapter(name, info, path)
    active = data.get("active", [])
    expect(isinstance(active, list) and all(n in adapters for n in active), "active", "a list of saved adapters")
    heads = data.get("heads", {})
    expect(
        isinstance(heads, dict) and all(HEAD_FILES.get(k) == v for k, v in heads.items()),
        "heads",
        f"a subset of {HEAD_FILES}",
    )
    files = data.get("files", {})
    expect(isinstance(files, dict), "files", "an object of relative path -> SHA-256")
    for relative, digest in files.items():
        parts = relative.split("/") if isinstance(relative, str) else []
        top_level = len(parts) == 1 and TOP_LEVEL_FILE.fullmatch(parts[0]) is not None
        in_adapter = len(parts) == 2 and parts[0] in adapters and parts[1] in ADAPTER_FILES
        if not (top_level or in_adapter):
            raise ValueError(
                f"{path}: `files` lists {relative!r}; expected a head or tokenizer file at the top, or "
                f"<adapter>/<one of {list(ADAPTER_FILES)}>."
            )
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            raise ValueError(f"{path}: `files[{relative!r}]` should be a SHA-256 in hex, found {digest!r}.")


def _validate_adapter(name: object, info: object, path: str) -> None:
    kind = info.get("kind") if isinstance(info, dict) else None
    if kind == "language" and isinstance(info.get("language"), str) and set(info) == {"kind", "language"}:
        validate_language_codes([info["language"]], f"{path}: adapters[{name!r}].language")
        expected = LANGUAGE_ADAPTER_PREFIX + info["language"]
    elif kind == "task" and isinstance(info.get("task"), str) and set(info) == {"kind", "task"}:
        if not TASK_NAME.fullmatch(info["task"]):
            raise ValueError(f"{path}: adapters[{name!r}].task should match {TASK_NAME.pattern}.")
        expected = TASK_ADAPTER_PREFIX + info["task"]
    else:
        raise ValueError(
            f"{path}: adapters[{name!r}] should be {{'kind': 'language', 'language': <code>}} or "
            f"{{'kind': 'task', 'task': <name>}}, found {info!r}."
        )
    if name != expected:  # the name is a folder name: no path can be smuggled in
        raise ValueError(f"{path}: the adapter {name!r} should be named {expected!r}.")


__all__ = ["AdapterComposition", "InterruptedSaveError", "RECORDED_LOWRES_FIELDS"]
