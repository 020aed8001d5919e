"""Language and task LoRA adapters on an hf_lowres model, composed MAD-X style, saved and restored whole."""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import os
from collections.abc import Iterator

import torch
from peft import LoraConfig, PeftModel, get_peft_model, set_peft_model_state_dict
from torch import nn

from .. import models as lowres_models
from ..models import validate_language_codes
from ..vocabulary import trainable_token_indices
from .adapter_files import file_manifest, load_lora_config, read_json_object, read_safetensors, verify_manifest
from .composition import RECORDED_LOWRES_FIELDS, TASK_NAME, AdapterComposition
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
from .lora_defaults import default_lora_config
from .parameter_accounting import count_parameters_by_component, format_parameter_counts
from .trained_modules import (
    discriminator_parameters,
    lm_head_parameters,
    load_parameters,
    save_parameters,
    task_head_parameters,
)


logger = logging.getLogger(__name__)


class AdapterManager:
    """Per-language and per-task LoRA adapters on one hf_lowres model, composed as in MAD-X.

    A language adapter is trained self-supervised (masked LM for an encoder, causal LM for a decoder) on one
    language; a task adapter is trained on labeled data in a high-resource language with that language's adapter
    active and frozen; at inference the target language's adapter is switched in under the same task adapter
    (Pfeiffer et al., 2020, "MAD-X: An Adapter-Based Framework for Multi-Task Cross-Lingual Transfer"; here with
    LoRA, Hu et al., 2021). Both LoRA deltas are active at once and add up.

    Everything trained beside the LoRA weights comes back on `from_pretrained`: each task adapter's head, the
    backbone's MLM/LM head, and the language discriminator (shared by all adapters, saved once).

    Args:
        model: an hf_lowres model (`LowResForMaskedLM`, `LowResForSequenceClassification`, ...), or a `PeftModel`
            around one.

    Example:

    ```python
    >>> manager = AdapterManager(LowResForMaskedLM.from_backbone("xlm-roberta-base", ["eng", "jav"]))
    >>> manager.add_language_adapter("jav")
    >>> manager.prepare_language_training("jav")  # then train with MLM
    >>> manager.save("adapters/")
    ```
    """

    def __init__(self, model: nn.Module):
        if isinstance(model, PeftModel):
            self.peft_model: PeftModel | None = model
            self.model = model.base_model.model
        else:
            self.peft_model = None
            self.model = model
        if not hasattr(self.model, "discriminator") or not hasattr(self.model, "backbone"):
            raise TypeError(f"AdapterManager needs an hf_lowres model, got {type(self.model).__name__}.")
        self.adapters: dict[str, dict] = {}
        # One task head lives in the model; the heads of the other task adapters wait here.
        self._task_head_owner: str | None = None
        self._stashed_task_heads: dict[str, dict[str, torch.Tensor]] = {}

    # ----------------------------------------------------------------------------------------------- adding
    @staticmethod
    def language_adapter_name(language: str) -> str:
        return LANGUAGE_ADAPTER_PREFIX + language

    @staticmethod
    def task_adapter_name(task: str) -> str:
        return TASK_ADAPTER_PREFIX + task

    def add_language_adapter(
        self,
        language: str,
        lora_config: LoraConfig | None = None,
        new_token_ids: list[int] | None = None,
        **lora_kwargs,
    ) -> str:
        """Adds a LoRA adapter for `language` (one of `model.config.languages`) and returns its name (`lang_<code>`).

        `lora_config` defaults to `default_lora_config(model, **lora_kwargs)`: rank 8 on the attention query and
        value projections of the backbone. `new_token_ids` (from `hf_lowres.vocabulary.expand_vocabulary`) makes
        those embedding rows trainable with this adapter through PEFT's Trainable Tokens; they are saved with it.
        """
        if new_token_ids is not None:
            if lora_config is not None:
                raise ValueError("pass `new_token_ids` or a `lora_config` (with `trainable_token_indices`), not both.")
            lora_kwargs["trainable_token_indices"] = trainable_token_indices(self.model, new_token_ids)
        validate_language_codes([language], "language")
        if language not in self.model.config.languages:
            raise ValueError(
                f"language {language!r} is not one of the model's languages {self.model.config.languages}; "
                "the discriminator and `lang_labels` use that list."
            )
        name = self.language_adapter_name(language)
        self._add(name, lora_config or default_lora_config(self.model, **lora_kwargs))
        self.adapters[name] = {"kind": "language", "language": language}
        return name

    def add_task_adapter(self, task: str, lora_config: LoraConfig | None = None, **lora_kwargs) -> str:
        """Adds a LoRA adapter for a task (e.g. `"sentiment"`) and returns its name (`task_<task>`).

        The model's task head belongs to the first task adapter; a later one gets a freshly initialized head of its
        own, swapped in whenever it is activated.
        """
        if not isinstance(task, str) or not TASK_NAME.fullmatch(task):
            raise ValueError(f"task name must match {TASK_NAME.pattern} (letters, digits, '_' and '-'), got {task!r}.")
        name = self.task_adapter_name(task)
        self._add(name, lora_config or default_lora_config(self.model, **lora_kwargs))
        self.adapters[name] = {"kind": "task", "task": task}
        head = task_head_parameters(self.model)
        if head and self._task_head_owner is None:
            self._task_head_owner = name
        elif head:
            self._stashed_task_heads[name] = self._fresh_task_head()
        return name

    def _add(self, name: str, config: LoraConfig) -> None:
        if name in self.adapters:
            raise ValueError(f"an adapter named {name!r} exists already; adapters: {sorted(self.adapters)}.")
        if self.peft_model is None:
            self.peft_model = get_peft_model(self.model, config, adapter_name=name)
        else:
            self.peft_model.add_adapter(name, config)
        # New LoRA dropout modules start in training mode: give them the model's current mode.
        self.model.train(self.model.training)

    def _fresh_task_head(self) -> dict[str, torch.Tensor]:
        head_modules = [m for n, m in self.model.named_children() if n not in ("backbone", "discriminator")]
        fresh = copy.deepcopy(nn.ModuleList(head_modules))
        for module in fresh.modules():
            self.model._init_weights(module)
        names = [n for n, _ in self.model.named_children() if n not in ("backbone", "discriminator")]
        return {f"{names[int(k.split('.', 1)[0])]}.{k.split('.', 1)[1]}": v for k, v in fresh.state_dict().items()}

    # ------------------------------------------------------------------------------------------- activation
    @property
    def language_adapters(self) -> dict[str, str]:
        """Adapter name -> language code."""
        return {n: info["language"] for n, info in self.adapters.items() if info["kind"] == "language"}

    @property
    def task_adapters(self) -> dict[str, str]:
        """Adapter name -> task name."""
        return {n: info["task"] for n, info in self.adapters.items() if info["kind"] == "task"}

    @property
    def active_adapters(self) -> list[str]:
        return list(self.peft_model.active_adapters) if self.peft_model is not None else []

    @property
    def active_language(self) -> str | None:
        return next((self.adapters[n]["language"] for n in self.active_adapters if n in self.language_adapters), None)

    @property
    def active_task(self) -> str | None:
        return next((self.adapters[n]["task"] for n in self.active_adapters if n in self.task_adapters), None)

    def list_adapters(self) -> list[dict]:
        """One dict per adapter: name, kind, language or task, whether active, its LoRA parameter count."""
        counts = count_parameters_by_component(self.model, list(self.adapters))
        return [
            {
                "name": name,
                **info,
                "active": name in self.active_adapters,
                "parameters": counts[f"adapter:{name}"]["total"],
            }
            for name, info in self.adapters.items()
        ]

    def activate(self, language: str | None = None, task: str | None = None) -> list[str]:
        """Activates language adapter `language` and/or task adapter `task` together (their deltas add up).

        The activated adapters are frozen (PEFT inference mode); heads keep their `requires_grad`. Use
        `prepare_language_training` or `prepare_task_training` to train, and `using` to switch for a moment (e.g. to
        evaluate mid-training) and come back. Returns the active adapter names.
        """
        names = []
        if language is not None:
            names.append(self._require(self.language_adapter_name(language), "language"))
        if task is not None:
            names.append(self._require(self.task_adapter_name(task), "task"))
        if not names:
            raise ValueError("activate() needs a `language`, a `task`, or both.")
        self.peft_model.base_model.set_adapter(names, inference_mode=True)
        if task is not None:
            self._use_task_head(self.task_adapter_name(task))
        return names

    def switch_language(self, language: str) -> list[str]:
        """Swaps the active language adapter, keeping the active task adapter and its head untouched."""
        return self.activate(language=language, task=self.active_task)

    @contextlib.contextmanager
    def using(self, language: str | None = None, task: str | None = None) -> Iterator[AdapterManager]:
        """Activates `language` and/or `task` for the duration of a `with` block, then puts everything back.

        Meant for evaluating other languages in the middle of training (e.g. from a `TrainerCallback`): inside the
        block every parameter is frozen; on exit the previously active adapters, the task head they use, every
        parameter's `requires_grad` and the model's train/eval mode are restored, even if the block raised.

        ```python
        >>> manager.prepare_task_training("sentiment", language="eng")
        >>> with manager.using(language="jav", task="sentiment"):
        ...     javanese_accuracy = evaluate(manager.model, javanese_valid)
        >>> # training goes on with the English adapter active and exactly the same parameters trainable
        ```
        """
        active, head_owner, was_training = self.active_adapters, self._task_head_owner, self.model.training
        requires_grad = {name: p.requires_grad for name, p in self.model.named_parameters()}
        try:
            self.activate(language=language, task=task)
            for p in self.model.parameters():
                p.requires_grad_(False)
            yield self
        finally:
            self.peft_model.base_model.set_adapter(active, inference_mode=True)
            if head_owner is not None:
                self._use_task_head(head_owner)
            for name, p in self.model.named_parameters():
                p.requires_grad_(requires_grad[name])
            self.model.train(was_training)

    @contextlib.contextmanager
    def forward_through(self, language: str) -> Iterator[AdapterManager]:
        """Runs the forward passes of a `with` block through `language`'s adapter in place of the active language
        adapter, inside training: the active task adapter stays stacked on it and every `requires_grad` is kept, so
        gradients reach the trained task adapter through the other language's (frozen) adapter, as at test time.

        MAD-X (Pfeiffer et al., EMNLP 2020) tests a task adapter stacked on each target language's adapter; the
        trainer's auxiliary losses (discriminator, alignment) use this to see that same composition for their
        target-language rows (`CrossLingualTrainingArguments.auxiliary_language_adapters`). A language without an
        adapter, or the active one, changes nothing. The previous adapters come back on exit, even if the block
        raised. Backward may run after the block: the graph keeps the adapters the forward used.
        """
        name = self.language_adapter_name(language)
        active = self.active_adapters
        if name not in self.language_adapters or name in active:
            yield self
            return
        names = [name, *[n for n in active if n not in self.language_adapters]]
        requires_grad = [(p, p.requires_grad) for p in self.model.parameters()]
        try:
            # PEFT's set_adapter resets `requires_grad` on every LoRA layer: put the training flags back at once.
            self.peft_model.base_model.set_adapter(names, inference_mode=True)
            for p, flag in requires_grad:
                p.requires_grad_(flag)
            yield self
        finally:
            self.peft_model.base_model.set_adapter(active, inference_mode=True)
            for p, flag in requires_grad:
                p.requires_grad_(flag)

    def _require(self, name: str, kind: str) -> str:
        if name not in self.adapters or self.adapters[name]["kind"] != kind:
            available = sorted(n for n, info in self.adapters.items() if info["kind"] == kind)
            raise ValueError(f"no {kind} adapter named {name!r}; {kind} adapters: {available}.")
        return name

    @torch.no_grad()
    def _use_task_head(self, name: str) -> None:
        head = task_head_parameters(self.model)
        if not head or self._task_head_owner == name:
            return
        if self._task_head_owner is not None:
            self._stashed_task_heads[self._task_head_owner] = {k: p.detach().clone() for k, p in head.items()}
        for key, value in self._stashed_task_heads.pop(name).items():
            head[key].copy_(value)
        self._task_head_owner = name

    # --------------------------------------------------------------------------------------------- training
    def prepare_language_training(
        self, language: str, train_lm_head: bool = True, train_discriminator: bool = True
    ) -> dict[str, dict[str, int]]:
        """Language phase: activates `language`'s adapter alone and makes trainable exactly that adapter, the
        backbone's MLM/LM head (if `train_lm_head`) and the discriminator (if `train_discriminator`).

        Returns the parameter counts per component.
        """
        name = self.activate(language=language)[0]
        self._set_trainable(
            adapters=[name],
            extra=[lm_head_parameters(self.model) if train_lm_head else {},
                   discriminator_parameters(self.model) if train_discriminator else {}],
        )  # fmt: skip
        return self.parameter_counts(verbose=False)

    def prepare_task_training(
        self, task: str, language: str | None = None, train_discriminator: bool = True
    ) -> dict[str, dict[str, int]]:
        """Task phase: activates `language`'s adapter (frozen) with `task`'s adapter, and makes trainable exactly
        the task adapter, the task head and (if `train_discriminator`) the discriminator.

        Returns the parameter counts per component.
        """
        names = self.activate(language=language, task=task)
        self._set_trainable(
            adapters=[names[-1]],
            extra=[
                task_head_parameters(self.model),
                discriminator_parameters(self.model) if train_discriminator else {},
            ],
        )
        return self.parameter_counts(verbose=False)

    def _set_trainable(self, adapters: list[str], extra: list[dict[str, nn.Parameter]]) -> None:
        trainable = {id(p) for group in extra for p in group.values()}
        for name, p in self.model.named_parameters():
            parts = name.split(".")
            p.requires_grad_(id(p) in trainable or any(a in parts for a in adapters))

    def parameter_counts(self, verbose: bool = True) -> dict[str, dict[str, int]]:
        """Trainable and total parameters per component (each adapter, task head, LM head, discriminator, base)."""
        counts = count_parameters_by_component(self.model, list(self.adapters))
        if verbose:
            print(format_parameter_counts(counts))
        return counts

    # ---------------------------------------------------------------------------------------------- merging
    def merge(self) -> nn.Module:
        """A plain hf_lowres model with the active composition merged into its weights, for deployment.

        The manager's own model is left as it is (the merge works on a copy).
        """
        if not self.active_adapters:
            raise ValueError("nothing to merge: no adapter is active; call activate() first.")
        clone = copy.deepcopy(self.peft_model)
        return clone.base_model.merge_and_unload(adapter_names=self.active_adapters)

    # ------------------------------------------------------------------------------------------ save & load
    def save(self, directory: str | os.PathLike, tokenizer=None) -> None:
        """Writes every adapter in PEFT format (`<directory>/<name>/`), each task adapter's head beside it, the
        shared discriminator and MLM/LM head once at the top, and `hf_lowres_composition.json`.

        The save is all-or-nothing for a reader: the old composition is removed first and the new one, with the
        SHA-256 of every file written, comes last, so `from_pretrained` loads exactly this set or, after a save
        that was interrupted, refuses with `InterruptedSaveError`. Other files in `directory` are left alone.

        Pass the `tokenizer` when its vocabulary was extended (new rows trained as Trainable Tokens): it is saved at
        the top of `directory`, where `AutoTokenizer.from_pretrained(directory)` finds it.
        """
        if not self.adapters:
            raise ValueError("no adapter to save; add one with add_language_adapter() or add_task_adapter().")
        directory = os.fspath(directory)
        os.makedirs(directory, exist_ok=True)
        # From here until the new composition is written, the directory does not load: no mix of two saves can.
        with contextlib.suppress(FileNotFoundError):
            os.remove(os.path.join(directory, COMPOSITION_FILE))
        written = []
        for name in self.adapters:
            self.peft_model.save_pretrained(directory, selected_adapters=[name])
            written += [f"{name}/{PEFT_CONFIG_FILE}", f"{name}/{PEFT_WEIGHTS_FILE}"]
        head = task_head_parameters(self.model)
        for name in self.task_adapters:
            if not head:
                continue
            state = head if name == self._task_head_owner else self._stashed_task_heads[name]
            save_parameters(state, os.path.join(directory, name, TASK_HEAD_FILE))
            with open(os.path.join(directory, name, HEAD_CONFIG_FILE), "w", encoding="utf-8") as f:
                json.dump(self._head_config(), f, indent=2)
            written += [f"{name}/{TASK_HEAD_FILE}", f"{name}/{HEAD_CONFIG_FILE}"]
        save_parameters(discriminator_parameters(self.model), os.path.join(directory, DISCRIMINATOR_FILE))
        written.append(DISCRIMINATOR_FILE)
        lm_head = lm_head_parameters(self.model)
        if lm_head:
            save_parameters(lm_head, os.path.join(directory, LM_HEAD_FILE))
            written.append(LM_HEAD_FILE)
        if tokenizer is not None:
            for path in tokenizer.save_pretrained(directory):
                written.append(os.path.relpath(path, directory).replace(os.sep, "/"))
        composition = self.composition()
        composition.files = file_manifest(directory, written)
        composition.save(directory)

    def _head_config(self) -> dict:
        config = self.model.config
        return {
            "model_class": type(self.model).__name__,
            "num_labels": config.num_labels,
            "id2label": {str(k): v for k, v in config.id2label.items()},
            "problem_type": config.problem_type,
        }

    def composition(self) -> AdapterComposition:
        """The record `save` writes: adapters, active composition, base model, hf_lowres version."""
        from .. import __version__

        config = self.model.config
        text_config = config.text_config
        recorded = config.to_dict()
        lowres_config = {key: recorded[key] for key in RECORDED_LOWRES_FIELDS if key in recorded}
        heads = {"discriminator": DISCRIMINATOR_FILE}
        if lm_head_parameters(self.model):
            heads["lm_head"] = LM_HEAD_FILE
        return AdapterComposition(
            hf_lowres_version=__version__,
            model_class=type(self.model).__name__,
            base_model=_describe_backbone(self.model),
            base_transformer_path=self.model.base_transformer_path,
            lowres_config=lowres_config,
            adapters=copy.deepcopy(self.adapters),
            active=self.active_adapters,
            heads=heads if text_config is not None else {},
        )

    @classmethod
    def from_pretrained(
        cls,
        directory: str | os.PathLike,
        model: nn.Module | None = None,
        adapters: list[str] | None = None,
        *,
        backbone_kwargs: dict | None = None,
        strict: bool = True,
    ) -> AdapterManager:
        """Restores adapters, task heads, MLM/LM head and discriminator saved by `save`, bit for bit.

        The files are read as data: the composition's fields are checked against an allow-list, the LoRA configs
        are rebuilt from theirs, weights come from safetensors only, and no file can ask for remote code, another
        revision or a token. The backbone checkpoint the composition records is loaded with
        `trust_remote_code=False` unless `backbone_kwargs` says otherwise.

        Args:
            directory: what `save` wrote (a local directory; see `hf_lowres.hub` for repo ids).
            model: the hf_lowres model to load into. It may be another hf_lowres class on the same backbone
                (a language adapter trained with `LowResForMaskedLM` loads into `LowResForSequenceClassification`).
                Defaults to the recorded class built with `from_backbone` on the recorded backbone checkpoint.
            adapters: the adapter names to load (default: all).
            backbone_kwargs: the caller's options for loading the recorded backbone when `model` is not given
                (`revision`, `token`, `trust_remote_code=True` for a backbone you trust, `dtype`...).
            strict: with `False`, a task adapter saved without its head file keeps the model's head (with a
                warning) instead of raising.

        Raises:
            FileNotFoundError: a file of the composition is missing (its path is named).
            InterruptedSaveError: the directory holds an incomplete save (no composition, or files that differ
                from the SHA-256 the composition recorded).
            ValueError: unknown adapter name, a file that is corrupt or sets what a file may not, or a model of
                another architecture, hidden size or languages.
        """
        directory = os.fspath(directory)
        composition = AdapterComposition.load(directory)
        names = list(composition.adapters) if adapters is None else list(adapters)
        unknown = [n for n in names if n not in composition.adapters]
        if unknown:
            raise ValueError(f"{directory} has no adapter {unknown}; saved adapters: {sorted(composition.adapters)}.")
        if composition.files:
            verify_manifest(directory, composition.files, names=set(names))
        else:
            logger.warning(
                "%s records no file manifest (saved by an older hf_lowres): its files are not checked for an "
                "interrupted save. Save it again to add one.",
                os.path.join(directory, COMPOSITION_FILE),
            )
        if model is None:
            model = _build_recorded_model(composition, backbone_kwargs)
        elif backbone_kwargs is not None:
            raise ValueError("`backbone_kwargs` builds the recorded backbone; it has no effect with `model=`.")
        _check_compatible(model, composition, directory)
        manager = cls(model)
        for name in names:
            manager._load_adapter(directory, name, composition, strict=strict)
        load_parameters(
            discriminator_parameters(model), os.path.join(directory, DISCRIMINATOR_FILE), "the language discriminator"
        )
        lm_head = lm_head_parameters(model)
        if "lm_head" in composition.heads and lm_head and composition.model_class == type(model).__name__:
            load_parameters(lm_head, os.path.join(directory, LM_HEAD_FILE), "the MLM/LM head")
        if manager._task_head_owner is not None:
            manager._restore_class_names(os.path.join(directory, manager._task_head_owner, HEAD_CONFIG_FILE))
        active = [n for n in composition.active if n in manager.adapters]
        if active:
            info = [manager.adapters[n] for n in active]
            manager.activate(
                language=next((i["language"] for i in info if i["kind"] == "language"), None),
                task=next((i["task"] for i in info if i["kind"] == "task"), None),
            )
        return manager

    def _restore_class_names(self, head_config_path: str) -> None:
        """Gives a model built without class names (`LABEL_0`, ...) those the task head was trained with."""
        if not os.path.isfile(head_config_path):
            return
        head_config = read_json_object(head_config_path, "the task head's classes (num_labels, id2label)")
        id2label = head_config.get("id2label")
        config = self.model.config
        if not isinstance(id2label, dict) or len(id2label) != config.num_labels:
            return
        if not all(isinstance(v, str) for v in id2label.values()) or set(id2label) != {
            str(i) for i in range(config.num_labels)
        }:
            raise ValueError(f"{head_config_path}: `id2label` should map 0..{config.num_labels - 1} to class names.")
        if config.id2label == {i: f"LABEL_{i}" for i in range(config.num_labels)}:
            config.id2label = {int(k): v for k, v in id2label.items()}
            config.label2id = {v: k for k, v in config.id2label.items()}

    def _load_adapter(self, directory: str, name: str, composition: AdapterComposition, strict: bool = True) -> None:
        adapter_dir = os.path.join(directory, name)
        for file_name in (PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE):
            if not os.path.isfile(os.path.join(adapter_dir, file_name)):
                raise FileNotFoundError(
                    f"adapter {name!r}: expected {os.path.join(adapter_dir, file_name)}, which does not exist."
                )
        config = load_lora_config(adapter_dir, PEFT_CONFIG_FILE)
        state = read_safetensors(os.path.join(adapter_dir, PEFT_WEIGHTS_FILE), f"the LoRA weights of {name!r}")
        source, target = composition.base_transformer_path, self.model.base_transformer_path
        if source != target:  # e.g. trained in a masked LM (backbone.bert), loaded into a classifier (backbone)
            state = {_move_key(key, source, target): value for key, value in state.items()}
            if isinstance(getattr(config, "trainable_token_indices", None), dict):  # new vocabulary rows
                config.trainable_token_indices = {
                    _move_module_name(module, source, target): ids
                    for module, ids in config.trainable_token_indices.items()
                }
        self._add(name, config)
        self.adapters[name] = dict(composition.adapters[name])
        try:
            result = set_peft_model_state_dict(self.peft_model, state, adapter_name=name)
        except RuntimeError as error:
            raise ValueError(
                f"adapter {name!r} from {adapter_dir} does not fit this model: it was trained on "
                f"{composition.base_model}, this model is {_describe_backbone(self.model)}. ({error})"
            ) from error
        unexpected = list(result.unexpected_keys)
        missing = [k for k in result.missing_keys if name in k.split(".")]
        if unexpected or missing:
            raise ValueError(
                f"adapter {name!r} from {adapter_dir} does not match this model's modules: "
                f"unexpected {unexpected[:3]}, missing {missing[:3]}."
            )
        if self.adapters[name]["kind"] == "task":
            head = task_head_parameters(self.model)
            head_file = os.path.join(adapter_dir, TASK_HEAD_FILE)
            if head and os.path.isfile(head_file):
                if self._task_head_owner is None:
                    load_parameters(head, head_file, f"the task head of {name!r}")
                    self._task_head_owner = name
                else:
                    stash = {k: torch.empty_like(p) for k, p in head.items()}
                    load_parameters(stash, head_file, f"the task head of {name!r}")
                    self._stashed_task_heads[name] = stash
            elif head:
                if strict:
                    raise FileNotFoundError(
                        f"task adapter {name!r}: expected {head_file}, the trained task head "
                        f"({', '.join(sorted(head))}), which does not exist. Without it the predictions would come "
                        "from an untrained head; pass strict=False to keep the model's own head."
                    )
                logger.warning("adapter %r has no %s: its task head stays as the model's", name, TASK_HEAD_FILE)
                self._task_head_owner = self._task_head_owner or name


def _move_key(key: str, source: str, target: str) -> str:
    old, new = f".{source}.", f".{target}."
    return key.replace(old, new, 1) if old in key else key


def _move_module_name(name: str, source: str, target: str) -> str:
    """A module path relative to the model (`backbone.bert.embeddings...`) moved from `source` to `target`."""
    return target + name[len(source) :] if name == source or name.startswith(source + ".") else name


def _describe_backbone(model: nn.Module) -> dict:
    text_config = model.config.text_config
    return {
        "name_or_path": getattr(text_config, "_name_or_path", "") or "",
        "model_type": text_config.model_type,
        "hidden_size": model.config.backbone_hidden_size,
        "num_hidden_layers": model.config.backbone_num_layers,
        "vocab_size": model.get_input_embeddings().weight.shape[0],
    }


def _check_compatible(model: nn.Module, composition: AdapterComposition, directory: str) -> None:
    expected, found = composition.base_model, _describe_backbone(model)
    for key in ("model_type", "hidden_size", "num_hidden_layers"):
        if expected[key] != found[key]:
            raise ValueError(
                f"the adapters in {directory} were trained on a {expected['model_type']} backbone with "
                f"hidden size {expected['hidden_size']} and {expected['num_hidden_layers']} layers; this model's "
                f"backbone is {found['model_type']} with hidden size {found['hidden_size']} and "
                f"{found['num_hidden_layers']} layers ({key} differs)."
            )
    languages = composition.lowres_config.get("languages")
    if languages is not None and list(languages) != list(model.config.languages):
        raise ValueError(
            f"the discriminator in {directory} was trained on languages {languages}; this model has "
            f"{model.config.languages}. Build the model with the same `languages`, in the same order."
        )


def _build_recorded_model(composition: AdapterComposition, backbone_kwargs: dict | None) -> nn.Module:
    name_or_path = composition.base_model.get("name_or_path")
    if not name_or_path:
        raise ValueError(
            "the composition does not record the backbone checkpoint (the model was built from a config); "
            "pass `model=` to from_pretrained."
        )
    model_class = getattr(lowres_models, composition.model_class)  # one of MODEL_CLASSES, checked on load
    # Remote code runs only when the caller asks for it, never because a downloaded file does.
    kwargs = {"trust_remote_code": False, **(backbone_kwargs or {})}
    try:
        return model_class.from_backbone(name_or_path, backbone_kwargs=kwargs, **composition.lowres_config)
    except ValueError as error:
        if "trust_remote_code" not in str(error) or kwargs["trust_remote_code"]:
            raise
        raise ValueError(
            f"the adapters record the backbone {name_or_path!r}, which needs custom code to load; hf_lowres did not "
            "run it. If you trust that code, pass `backbone_kwargs={'trust_remote_code': True}`; or build the model "
            "yourself and pass `model=`."
        ) from error
