"""`CrossLingualTrainer`: a `Trainer` that adds adversarial language-invariance and cross-lingual alignment."""

from __future__ import annotations

import inspect
import json
import math
import os
import shutil
from collections.abc import Mapping
from typing import Any

import safetensors.torch
import torch
from torch import nn
from transformers import DataCollatorWithPadding, PreTrainedTokenizerBase, Trainer, TrainerCallback
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR, _is_peft_model, has_length, rotate_checkpoints
from transformers.utils import logging

from hf_lowres.losses import AlignmentLoss, discriminator_accuracy, language_discrimination_loss
from hf_lowres.models.pooling import pool_hidden_states

from .checkpoint_integrity import (
    CHECKPOINT_COMPLETE_NAME,
    IncompleteCheckpointError,
    RequiredFile,
    checkpoint_problems,
    find_resumable_checkpoint,
    load_json_file,
    load_safetensors_file,
    raise_or_warn,
    write_completion_marker,
)
from .collators import (
    AUXILIARY_PREFIXES,
    PAIR_SOURCE_PREFIX,
    PAIR_TARGET_PREFIX,
    SEQUENCE_COLUMNS,
    UNLABELED_PREFIX,
    CrossLingualDataCollator,
    CrossLingualStepDataset,
    check_columns,
)
from .cross_lingual_config import CrossLingualTrainingArguments
from .samplers import CrossLingualStepSampler
from .schedules import grl_lambda_at


logger = logging.get_logger(__name__)

TRAINABLE_MODULES_NAME = "trainable_modules.safetensors"
"""Every trainable parameter of a PEFT model (heads and discriminator included), saved beside the adapter."""
CROSS_LINGUAL_STATE_NAME = "cross_lingual_state.json"
"""The sampler state and the gradient-reversal strength, saved in every checkpoint."""
_TRAINABLE_MODULES_HOLD = (
    "every trainable parameter of the PEFT model (LoRA, the task head, the language discriminator)"
)
_MODEL_WEIGHTS = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)
_ADAPTER_WEIGHTS = (
    "adapter_model.safetensors",
    "adapter_model.bin",
    "*/adapter_model.safetensors",
    "*/adapter_model.bin",
)
COMPONENT_NAMES = ("task_loss", "discriminator_loss", "discriminator_accuracy", "alignment_loss", "grl_lambda")
"""The loss components `CrossLingualTrainer` logs, each averaged over gradient accumulation and processes."""
_SPEED_METRICS = (
    "runtime",
    "samples_per_second",
    "steps_per_second",
    "model_preparation_time",
    "jit_compilation_time",
)


def _columns(dataset) -> list[str] | None:
    names = getattr(dataset, "column_names", None)
    if isinstance(names, list):
        return names
    try:
        first = dataset[0]
    except Exception:  # noqa: BLE001 - an iterable or empty dataset: the collator checks the rows later
        return None
    return list(first) if isinstance(first, Mapping) else None


class _ExtraDiscriminatorSteps(TrainerCallback):
    """Runs the `discriminator_steps - 1` updates of the discriminator alone after each optimizer step."""

    def __init__(self, trainer: CrossLingualTrainer):
        self.trainer = trainer

    def on_step_end(self, args, state, control, **kwargs):
        self.trainer._run_extra_discriminator_steps()


class CrossLingualTrainer(Trainer):
    r"""
    A `Trainer` whose step combines a task loss with the two classic cross-lingual transfer objectives:

    - adversarial language-invariance: the model's language discriminator predicts the language of every example of
      the step (task rows, unlabeled rows, both sides of the pairs) behind a gradient-reversal layer, so the encoder
      learns representations from which the language cannot be told (Ganin & Lempitsky, 2015, "Unsupervised Domain
      Adaptation by Backpropagation"; Chen et al., 2018; Keung et al., 2019). The reversal strength follows
      `args.grl_schedule` (constant or the DANN schedule), and the discriminator has its own parameter group and
      learning rate;
    - alignment: the pooled representations of a sentence and its translation are pulled together
      (`AlignmentLoss`: MSE, cosine, or InfoNCE with in-batch negatives; van den Oord et al., 2018; Cao et al.,
      2020; Hu et al., 2021). With gradient accumulation the contrastive loss still sees the whole accumulated batch
      as negatives: the pair embeddings of all micro-batches are computed first without gradients and the loss's
      gradient with respect to them is then pushed through each micro-batch (the gradient cache of Gao et al.,
      2021, "Scaling Deep Contrastive Learning Batch Size under Memory Limited Setup"), so accumulation gives the
      update of one big batch.

    The task loss is whatever the model computes from `labels`: masked LM for language adaptation, classification,
    token classification, seq2seq or causal LM for tasks. Languages are sampled with temperature
    (`args.language_sampling_temperature`; Conneau & Lample, 2019). The loss is
    ``task_loss + adversarial_weight * discriminator_loss + alignment_weight * alignment_loss``; each component,
    the discriminator's accuracy and the current lambda are logged on their own (Trainer logs, TensorBoard, ...).

    The trainer trains every parameter with `requires_grad=True` (LoRA adapters, heads, the discriminator, or the
    whole model). For a PEFT model, checkpoints also hold `trainable_modules.safetensors` (every trainable
    parameter), so that `resume_from_checkpoint` brings back heads and discriminator that are not part of the
    adapter; the optimizer (with the discriminator's group), the schedule position (the global step) and the
    sampler come back with the Trainer's own checkpoint files and `cross_lingual_state.json`. Every checkpoint ends
    with `checkpoint_complete.json` (each file with its size and sha256), written last: a resume checks the whole
    checkpoint before loading anything and refuses one that is incomplete (an interrupted save, a missing optimizer,
    scheduler, RNG or trainable-modules file, a truncated or changed file), naming each file and what it should hold
    (`args.resume_strict=False` downgrades what can be downgraded to a WARNING); `resume_from_checkpoint=True` takes
    the newest complete checkpoint.

    Evaluation takes a dict of per-language eval sets (`eval_dataset={"jav": ..., "sun": ...}`) and adds the mean
    of every metric over the languages as `eval_mean_<metric>`, so `metric_for_best_model="mean_accuracy"` works.

    Args:
        model: a hf_lowres model (`LowResFor...`), or a `PeftModel` around one.
        args (`CrossLingualTrainingArguments`): the training arguments.
        data_collator (*optional*): a `CrossLingualDataCollator`, or a collator for the task rows (e.g.
            `DataCollatorForLanguageModeling` for MLM) that is wrapped in one; defaults to `DataCollatorWithPadding`
            over `processing_class`.
        train_dataset: the task data (see `hf_lowres.training.collators` for the expected columns).
        eval_dataset: a dataset or a dict of per-language datasets.
        unlabeled_dataset (*optional*): unlabeled text in all languages, with a language column; used when
            `adversarial_weight > 0`.
        parallel_dataset (*optional*): parallel pairs; used when `alignment_weight > 0`.
        lexicons (`Mapping[str, Lexicon]`, *optional*): the lexicons to code-switch with when
            `args.code_switching_word_ratio > 0`, if already read; by default they are read from `args.lexicon_dir`.
        adapter_manager (`AdapterManager`, *optional*): the manager of `model`'s adapters; with
            `args.auxiliary_language_adapters`, the auxiliary passes switch to each row's language adapter through it
            (`AdapterManager.forward_through`).
        kwargs: the other arguments of `Trainer` (`processing_class`, `compute_metrics`, `callbacks`, ...).

    Example:

    ```python
    >>> args = CrossLingualTrainingArguments("out", adversarial_weight=0.1, grl_schedule="dann", alignment_weight=1.0)
    >>> trainer = CrossLingualTrainer(model, args, train_dataset=task, unlabeled_dataset=text,
    ...                               parallel_dataset=pairs, eval_dataset={"jav": jav_dev, "sun": sun_dev},
    ...                               processing_class=tokenizer)
    >>> trainer.train()
    ```
    """

    def __init__(
        self,
        model: nn.Module | None = None,
        args: CrossLingualTrainingArguments | None = None,
        data_collator=None,
        train_dataset=None,
        eval_dataset=None,
        unlabeled_dataset=None,
        parallel_dataset=None,
        processing_class=None,
        lexicons=None,
        adapter_manager=None,
        **kwargs,
    ):
        if model is None:
            raise ValueError("CrossLingualTrainer needs a model (`model_init` is not supported).")
        if args is None:
            args = CrossLingualTrainingArguments(output_dir="trainer_output")
        if not isinstance(args, CrossLingualTrainingArguments):
            raise TypeError(f"`args` must be a CrossLingualTrainingArguments, got {type(args).__name__}.")
        base = model.get_base_model() if hasattr(model, "get_base_model") else model
        if not hasattr(base, "discriminator") or not hasattr(getattr(base, "config", None), "lang2id"):
            raise TypeError(
                f"CrossLingualTrainer needs a hf_lowres model (or a PeftModel around one); got {type(base).__name__}."
            )
        self._lowres_model = base
        if args.auxiliary_language_adapters and adapter_manager is None:
            raise ValueError(
                "`auxiliary_language_adapters=True` needs the trainer's `adapter_manager` (the AdapterManager whose "
                "language adapters the auxiliary rows go through)."
            )
        if adapter_manager is not None and adapter_manager.model is not base:
            raise ValueError("`adapter_manager` manages another model than the one given to the trainer.")
        self.adapter_manager = adapter_manager
        self._id2lang = {i: lang for lang, i in base.config.lang2id.items()}
        self._skips_lm_head = "encoder_only" in inspect.signature(base.forward).parameters
        self.code_switching = None
        if args.code_switching_word_ratio > 0:  # the task rows' text, switched anew each epoch (CoSDA-ML)
            from hf_lowres.data import CodeSwitchingCallback

            train_dataset, self.code_switching = self._code_switched(
                args, base, train_dataset, processing_class, lexicons
            )
            kwargs["callbacks"] = [*(kwargs.get("callbacks") or []), CodeSwitchingCallback(self.code_switching)]
        self.unlabeled_dataset = unlabeled_dataset
        self.parallel_dataset = parallel_dataset
        self._check_datasets(args, train_dataset, eval_dataset, unlabeled_dataset, parallel_dataset)
        if not isinstance(data_collator, CrossLingualDataCollator):
            task_collator = data_collator
            if task_collator is None and isinstance(processing_class, PreTrainedTokenizerBase):
                task_collator = DataCollatorWithPadding(processing_class)
            pad_token_id = getattr(processing_class, "pad_token_id", None)
            if pad_token_id is None:
                pad_token_id = getattr(base.config.text_config, "pad_token_id", None) or 0
            data_collator = CrossLingualDataCollator(
                base.config.lang2id,
                task_collator,
                pad_token_id=pad_token_id,
                language_column=args.language_column,
                pair_source_language_column=args.pair_source_language_column,
                pair_target_language_column=args.pair_target_language_column,
            )
        super().__init__(
            model=model,
            args=args,
            data_collator=data_collator,
            train_dataset=train_dataset,
            eval_dataset=eval_dataset,
            processing_class=processing_class,
            **kwargs,
        )
        # The loss is a per-batch mean computed here: the Trainer must divide it by the accumulation steps itself.
        self.model_accepts_loss_kwargs = False
        self.loss_is_scaled_for_ga = False
        alignment_kind = args.alignment_loss or base.config.alignment_loss
        temperature = args.alignment_temperature or base.config.alignment_temperature
        self.alignment_loss_fn = AlignmentLoss(
            alignment_kind, temperature, gather_across_processes=args.alignment_gather_across_processes
        )
        self._component_names = ["task_loss"]
        if args.adversarial_weight > 0:
            self._component_names += ["discriminator_loss", "discriminator_accuracy", "grl_lambda"]
        if self._uses_pairs:
            self._component_names += ["alignment_loss"]
        self._component_sums: dict[str, torch.Tensor] = {}
        self._component_counts: dict[str, int] = {}
        self._step_sampler: CrossLingualStepSampler | None = None
        self._resume_state: dict | None = None
        self._accumulation_batches: list | None = None
        self._pair_cache: dict | None = None
        self._micro_step = 0
        self._discriminator_cache: list[tuple[torch.Tensor, torch.Tensor]] = []
        if args.discriminator_steps > 1 and args.adversarial_weight > 0:
            self.add_callback(_ExtraDiscriminatorSteps(self))

    # ---- data ----

    @property
    def _uses_unlabeled(self) -> bool:
        return self.unlabeled_dataset is not None and self.args.adversarial_weight > 0

    @property
    def _uses_pairs(self) -> bool:
        return self.parallel_dataset is not None and self.args.alignment_weight > 0

    @staticmethod
    def _code_switched(args, base, train_dataset, tokenizer, lexicons=None):
        """`train_dataset` code-switched with `lexicons` (read from `args.lexicon_dir` when not given), and the
        transform doing it."""
        from hf_lowres.data import CodeSwitchingTransform, apply_code_switching, load_lexicon_directory

        if not isinstance(tokenizer, PreTrainedTokenizerBase):
            raise ValueError("code-switching tokenizes the switched text: pass the tokenizer as `processing_class`.")
        if not hasattr(train_dataset, "with_transform"):
            raise ValueError(
                "code-switching needs the task data as a `datasets.Dataset` of text rows (`text`, `labels`, and "
                f"optionally `{args.language_column}`), got {type(train_dataset).__name__}."
            )
        if lexicons is None:
            languages = args.lexicon_languages
            if languages is None:  # the model's languages that the folder covers
                source = args.lexicon_source_language
                languages = [lang for lang in base.config.lang2id if lang != source]
            lexicons = load_lexicon_directory(
                args.lexicon_dir, args.lexicon_source_language, languages, skip_missing=args.lexicon_languages is None
            )
        switch = CodeSwitchingTransform(
            lexicons,
            word_ratio=args.code_switching_word_ratio,
            sentence_ratio=args.code_switching_sentence_ratio,
            seed=args.seed,
            tokenizer=tokenizer,
            max_length=args.code_switching_max_length,
            language_column=args.language_column,
        )
        logger.info("code-switching the task rows into %s (word ratio %s)", sorted(lexicons), switch.word_ratio)
        return apply_code_switching(train_dataset, switch), switch

    @staticmethod
    def _check_datasets(args, train_dataset, eval_dataset, unlabeled_dataset, parallel_dataset) -> None:
        """Checks the columns of every dataset up front, naming what was expected and what was found."""
        lang = args.language_column
        if train_dataset is not None and (columns := _columns(train_dataset)) is not None:
            required = ["input_ids"]
            if args.adversarial_weight > 0 and unlabeled_dataset is None:
                required.append(lang)
            check_columns(columns, required, ["attention_mask", "token_type_ids", "labels", lang], "the task dataset")
        eval_sets = eval_dataset if isinstance(eval_dataset, Mapping) else {"": eval_dataset}
        for name, dataset in eval_sets.items():
            if dataset is not None and (columns := _columns(dataset)) is not None:
                what = f"the eval dataset {name!r}" if name else "the eval dataset"
                check_columns(columns, ["input_ids"], ["attention_mask", "token_type_ids", "labels", lang], what)
        if unlabeled_dataset is not None and (columns := _columns(unlabeled_dataset)) is not None:
            check_columns(columns, ["input_ids", lang], ["attention_mask", "token_type_ids"], "the unlabeled dataset")
        if args.alignment_weight > 0 and parallel_dataset is None:
            raise ValueError("`alignment_weight > 0` needs a `parallel_dataset` of sentence pairs.")
        if parallel_dataset is not None and (columns := _columns(parallel_dataset)) is not None:
            optional = [
                "source_attention_mask",
                "target_attention_mask",
                args.pair_source_language_column,
                args.pair_target_language_column,
            ]
            check_columns(columns, ["source_input_ids", "target_input_ids"], optional, "the parallel dataset")

    def _build_step_sampler(self) -> CrossLingualStepSampler:
        args = self.args
        lang = args.language_column
        task_languages = None
        if args.language_sampling_temperature is not None and lang in (_columns(self.train_dataset) or []):
            task_languages = self._column_values(self.train_dataset, lang)
        unlabeled_languages = self._column_values(self.unlabeled_dataset, lang) if self._uses_unlabeled else None
        return CrossLingualStepSampler(
            num_task_examples=len(self.train_dataset),
            task_languages=task_languages,
            unlabeled_languages=unlabeled_languages,
            num_pairs=len(self.parallel_dataset) if self._uses_pairs else None,
            alpha=args.language_sampling_temperature,
            seed=args.data_seed if args.data_seed is not None else args.seed,
        )

    @staticmethod
    def _column_values(dataset, column: str) -> list:
        if getattr(dataset, "column_names", None) is not None:
            return list(dataset[column])
        return [row[column] for row in dataset]

    def get_train_dataloader(self):
        """The task rows alone (as `Trainer` does) when no other source or temperature sampling is used; else the
        rows of `CrossLingualStepDataset` in the order of `CrossLingualStepSampler`."""
        if self.train_dataset is None:
            raise ValueError("Trainer: training requires a train_dataset.")
        if not (self._uses_unlabeled or self._uses_pairs or self.args.language_sampling_temperature is not None):
            return super().get_train_dataloader()
        for name, dataset in (("train_dataset", self.train_dataset), ("parallel_dataset", self.parallel_dataset)):
            if dataset is not None and not has_length(dataset):
                raise ValueError(
                    f"CrossLingualTrainer composes its steps from map-style datasets; `{name}` has no length."
                )
        self._step_sampler = self._build_step_sampler()
        if self._resume_state is not None and self._resume_state.get("sampler") is not None:
            # The Trainer skips the batches already trained on: restore seed and epoch, not the read-ahead position.
            self._step_sampler.load_state_dict(self._resume_state["sampler"], restore_position=False)
        dataset = CrossLingualStepDataset(
            self.train_dataset,
            self.unlabeled_dataset if self._uses_unlabeled else None,
            self.parallel_dataset if self._uses_pairs else None,
        )
        return self._get_dataloader(
            dataset=dataset,
            description="Training",
            batch_size=self._train_batch_size,
            sampler_fn=lambda _: self._step_sampler,
            is_training=True,
        )

    # ---- optimizer ----

    def create_optimizer(self, model=None):
        """The Trainer's optimizer, with the discriminator's trainable parameters moved to their own group(s)
        (learning rate `args.discriminator_learning_rate`, same weight-decay split)."""
        fresh = self.optimizer is None
        optimizer = super().create_optimizer(model)
        if not fresh:
            return optimizer
        inner = getattr(optimizer, "optimizer", optimizer)
        discriminator_ids = {id(p) for p in self._lowres_model.discriminator.parameters() if p.requires_grad}
        lr = self.args.discriminator_learning_rate
        lr = self.args.learning_rate if lr is None else lr
        new_groups = []
        for group in inner.param_groups:
            moved = [p for p in group["params"] if id(p) in discriminator_ids]
            if moved:
                group["params"] = [p for p in group["params"] if id(p) not in discriminator_ids]
                new_groups.append({"params": moved, "weight_decay": group.get("weight_decay", 0.0), "lr": lr})
        for group in new_groups:
            inner.add_param_group({**group, "group_name": "discriminator"})
        return optimizer

    # ---- loss ----

    def _current_grl_lambda(self) -> float:
        max_steps = max(self.state.max_steps or 0, 1)
        progress = min(max(self.state.global_step / max_steps, 0.0), 1.0)
        return grl_lambda_at(self.args.grl_schedule, progress, self.args.grl_lambda_max, self.args.grl_gamma)

    def _store(self, name: str, value: torch.Tensor | float) -> None:
        value = torch.as_tensor(value, dtype=torch.float64).detach()
        if torch.isnan(value):
            return
        self._component_sums[name] = self._component_sums.get(name, 0.0) + value.to(self.args.device)
        self._component_counts[name] = self._component_counts.get(name, 0) + 1

    def _discriminator_features(self, outputs, attention_mask) -> torch.Tensor:
        config = self._lowres_model.config
        states = outputs.hidden_states[config.discriminator_layer]
        return pool_hidden_states(states, attention_mask, config.discriminator_pooling).detach()

    def _auxiliary_forward(self, model, inputs: Mapping[str, Any], prefixes: list[str], hidden_states: bool):
        """One forward pass over the unlabeled rows and/or pair sides of `prefixes`, padded to a common length.

        Returns `{prefix: (pooled_output, lang_logits, discriminator_features or None)}`.
        """
        parts = [
            {name: inputs[prefix + name] for name in SEQUENCE_COLUMNS if prefix + name in inputs}
            for prefix in prefixes
        ]
        length = max(part["input_ids"].shape[1] for part in parts)
        with_types = any("token_type_ids" in part for part in parts)
        batch: dict[str, list[torch.Tensor]] = {"input_ids": [], "attention_mask": []}
        if with_types:
            batch["token_type_ids"] = []
        for part in parts:
            input_ids = part["input_ids"]
            mask = part.get("attention_mask", torch.ones_like(input_ids))
            types = part.get("token_type_ids", torch.zeros_like(input_ids))
            pad = length - input_ids.shape[1]
            # Padded positions are masked out, so the id used for them does not matter.
            batch["input_ids"].append(nn.functional.pad(input_ids, (0, pad), value=0))
            batch["attention_mask"].append(nn.functional.pad(mask, (0, pad), value=0))
            if with_types:
                batch["token_type_ids"].append(nn.functional.pad(types, (0, pad), value=0))
        merged = {name: torch.cat(tensors) if len(tensors) > 1 else tensors[0] for name, tensors in batch.items()}
        extra = {"encoder_only": True} if self._skips_lm_head else {}  # no vocabulary logits for these passes
        if self.args.auxiliary_language_adapters:
            languages = torch.cat([self._row_languages(inputs, prefix) for prefix in prefixes])
            pooled, logits, features = self._forward_by_language(model, merged, extra, languages, hidden_states)
        else:
            outputs = model(**merged, **extra, output_hidden_states=hidden_states or None)
            pooled, logits = outputs.pooled_output, outputs.lang_logits
            features = self._discriminator_features(outputs, merged["attention_mask"]) if hidden_states else None
        sizes = [part["input_ids"].shape[0] for part in parts]
        pooled, logits = pooled.split(sizes), logits.split(sizes)
        if features is not None:
            features = features.split(sizes)
        return {
            prefix: (pooled[i], logits[i], None if features is None else features[i])
            for i, prefix in enumerate(prefixes)
        }

    def _row_languages(self, inputs: Mapping[str, Any], prefix: str) -> torch.Tensor:
        if prefix + "lang_labels" not in inputs:
            raise ValueError(
                f"`auxiliary_language_adapters` needs the language of every auxiliary row, but the batch has no "
                f"`{prefix}lang_labels` (give the unlabeled text a `{self.args.language_column}` column and the pairs "
                f"`{self.args.pair_source_language_column}`/`{self.args.pair_target_language_column}` columns)."
            )
        return inputs[prefix + "lang_labels"]

    def _forward_by_language(self, model, merged: dict, extra: dict, languages: torch.Tensor, hidden_states: bool):
        """One forward pass per language of the rows, each through that language's adapter (MAD-X composition),
        the outputs put back in the rows' order: `(pooled_output, lang_logits, discriminator features or None)`."""
        pooled, logits, features, order = [], [], [], []
        for lang_id in languages.unique().tolist():
            rows = (languages == lang_id).nonzero(as_tuple=True)[0].to(merged["input_ids"].device)
            part = {name: tensor[rows] for name, tensor in merged.items()}
            with self.adapter_manager.forward_through(self._id2lang[lang_id]):
                outputs = model(**part, **extra, output_hidden_states=hidden_states or None)
            pooled.append(outputs.pooled_output)
            logits.append(outputs.lang_logits)
            if hidden_states:
                features.append(self._discriminator_features(outputs, part["attention_mask"]))
            order.append(rows)
        inverse = torch.argsort(torch.cat(order))
        return (
            torch.cat(pooled)[inverse],
            torch.cat(logits)[inverse],
            torch.cat(features)[inverse] if hidden_states else None,
        )

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        """Task loss + weighted discriminator loss (through gradient reversal) + weighted alignment loss.

        In evaluation it is the task loss alone (the task rows' forward pass without language labels).
        """
        task_inputs = {k: v for k, v in inputs.items() if k != "lang_labels" and not k.startswith(AUXILIARY_PREFIXES)}
        if not model.training:
            outputs = model(**task_inputs)
            return (outputs["loss"], outputs) if return_outputs else outputs["loss"]

        args = self.args
        adversarial = args.adversarial_weight > 0
        cache_features = adversarial and args.discriminator_steps > 1
        distributed = self.accelerator.num_processes > 1
        if adversarial:
            self._lowres_model.grl_lambda = self._current_grl_lambda()
        if cache_features:
            task_inputs["output_hidden_states"] = True
        outputs = model(**task_inputs)
        task_loss = outputs.task_loss if outputs.task_loss is not None else outputs.loss
        if task_loss is None:
            raise ValueError(
                f"the task batch gave no loss: it needs `labels` (or a task collator that makes them, e.g. "
                f"DataCollatorForLanguageModeling for MLM). Batch keys: {sorted(inputs)}."
            )
        loss = task_loss
        self._store("task_loss", task_loss)

        lang_logits, lang_labels, features = [], [], []
        if adversarial and "lang_labels" in inputs:
            lang_logits.append(outputs.lang_logits)
            lang_labels.append(inputs["lang_labels"])
            if cache_features:
                features.append(self._discriminator_features(outputs, task_inputs.get("attention_mask")))
        elif distributed and any(p.requires_grad for p in self._lowres_model.discriminator.parameters()):
            # DDP (find_unused_parameters=False) needs every trainable parameter in the graph.
            loss = loss + outputs.lang_logits.sum() * 0.0

        use_pairs = self._uses_pairs and PAIR_SOURCE_PREFIX + "input_ids" in inputs
        use_cache = use_pairs and self.alignment_loss_fn.kind == "contrastive" and self._accumulating()
        prefixes = []
        if adversarial and UNLABELED_PREFIX + "input_ids" in inputs:
            prefixes.append(UNLABELED_PREFIX)
        if use_pairs and not use_cache:
            prefixes += [PAIR_SOURCE_PREFIX, PAIR_TARGET_PREFIX]
        auxiliary = self._auxiliary_forward(model, inputs, prefixes, cache_features) if prefixes else {}
        alignment_term = None
        if use_cache:
            if self._pair_cache is None:
                self._pair_cache = self._build_pair_cache(model)
            alignment_term, pair_outputs = self._cached_alignment_term(model, inputs, cache_features)
            auxiliary.update(pair_outputs)
        elif use_pairs:
            source, target = auxiliary[PAIR_SOURCE_PREFIX][0], auxiliary[PAIR_TARGET_PREFIX][0]
            alignment_term = self.alignment_loss_fn(source, target)
            self._store("alignment_loss", alignment_term)
        if alignment_term is not None:
            loss = loss + args.alignment_weight * alignment_term

        if adversarial:
            for prefix, (_, logits, feats) in auxiliary.items():
                if prefix + "lang_labels" in inputs:
                    lang_logits.append(logits)
                    lang_labels.append(inputs[prefix + "lang_labels"])
                    if feats is not None:
                        features.append(feats)
            if lang_logits:
                all_logits, all_labels = torch.cat(lang_logits), torch.cat(lang_labels).to(outputs.lang_logits.device)
                discriminator_loss = language_discrimination_loss(all_logits, all_labels)
                loss = loss + args.adversarial_weight * discriminator_loss
                self._store("discriminator_loss", discriminator_loss)
                self._store("discriminator_accuracy", discriminator_accuracy(all_logits, all_labels))
                if cache_features:
                    self._discriminator_cache.append((torch.cat(features), all_labels))
            self._store("grl_lambda", self._lowres_model.grl_lambda)
        self._micro_step += 1
        return (loss, outputs) if return_outputs else loss

    # ---- gradient cache for the contrastive loss over accumulated micro-batches ----

    def get_batch_samples(self, epoch_iterator, num_batches, device):
        batch_samples, num_items_in_batch = super().get_batch_samples(epoch_iterator, num_batches, device)
        self._accumulation_batches = batch_samples
        self._pair_cache = None
        self._micro_step = 0
        return batch_samples, num_items_in_batch

    def _accumulating(self) -> bool:
        return self._accumulation_batches is not None and len(self._accumulation_batches) > 1

    def _rng_devices(self) -> list[int]:
        return [torch.cuda.current_device()] if self.args.device.type == "cuda" else []

    def _get_rng_state(self):
        cuda = torch.cuda.get_rng_state() if self.args.device.type == "cuda" else None
        return torch.get_rng_state(), cuda

    def _set_rng_state(self, state) -> None:
        torch.set_rng_state(state[0])
        if state[1] is not None:
            torch.cuda.set_rng_state(state[1])

    def _build_pair_cache(self, model) -> dict:
        """Embeds the pairs of every micro-batch of the accumulation step without gradients, computes the
        contrastive loss over all of them and its gradient with respect to the embeddings (Gao et al., 2021)."""
        sources, targets, rng_states = [], [], []
        with torch.random.fork_rng(devices=self._rng_devices()):
            for batch in self._accumulation_batches:
                batch = self._prepare_inputs(batch)
                rng_states.append(self._get_rng_state())
                with torch.no_grad():
                    out = self._auxiliary_forward(model, batch, [PAIR_SOURCE_PREFIX, PAIR_TARGET_PREFIX], False)
                sources.append(out[PAIR_SOURCE_PREFIX][0])
                targets.append(out[PAIR_TARGET_PREFIX][0])
        source = torch.cat(sources).detach().requires_grad_(True)
        target = torch.cat(targets).detach().requires_grad_(True)
        with torch.enable_grad():
            loss = self.alignment_loss_fn(source, target)
            source_grad, target_grad = torch.autograd.grad(loss, [source, target])
        sizes = [s.shape[0] for s in sources]
        return {
            "loss": loss.detach(),
            "rng_states": rng_states,
            "source_grads": source_grad.split(sizes),
            "target_grads": target_grad.split(sizes),
        }

    def _cached_alignment_term(self, model, inputs, hidden_states: bool):
        """The micro-batch's share of the cached contrastive loss: its value is the loss of the whole accumulated
        batch, its gradient (after the Trainer divides by the accumulation steps) this micro-batch's part of it."""
        cache = self._pair_cache
        index = self._micro_step
        with torch.random.fork_rng(devices=self._rng_devices()):
            # The same dropout masks as in the cache pass, so that the cached gradient belongs to this forward.
            self._set_rng_state(cache["rng_states"][index])
            pair_outputs = self._auxiliary_forward(
                model, inputs, [PAIR_SOURCE_PREFIX, PAIR_TARGET_PREFIX], hidden_states
            )
        source, target = pair_outputs[PAIR_SOURCE_PREFIX][0], pair_outputs[PAIR_TARGET_PREFIX][0]
        surrogate = (source * cache["source_grads"][index]).sum() + (target * cache["target_grads"][index]).sum()
        self._store("alignment_loss", cache["loss"])
        return cache["loss"] + self.current_gradient_accumulation_steps * (
            surrogate - surrogate.detach()
        ), pair_outputs

    # ---- extra discriminator steps ----

    def _run_extra_discriminator_steps(self) -> None:
        cache, self._discriminator_cache = self._discriminator_cache, []
        if not cache:
            return
        discriminator = self._lowres_model.discriminator
        params = [p for p in discriminator.parameters() if p.requires_grad]
        if not params:
            return
        for _ in range(self.args.discriminator_steps - 1):
            for features, labels in cache:
                loss = language_discrimination_loss(discriminator(features), labels)
                (self.args.adversarial_weight * loss / len(cache)).backward()
            if self.accelerator.num_processes > 1:
                for p in params:
                    if p.grad is not None:
                        torch.distributed.all_reduce(p.grad)
                        p.grad /= self.accelerator.num_processes
            # Every other parameter has no gradient (the Trainer zeroed them), so only the discriminator moves.
            self.optimizer.step()
            for p in params:
                p.grad = None

    # ---- logging ----

    def _reduce_components(self) -> dict[str, float]:
        """Means of the stored components since the last log, over micro-batches and processes; then clears."""
        names = self._component_names
        sums = torch.stack(
            [
                torch.as_tensor(self._component_sums.get(n, 0.0), dtype=torch.float64, device=self.args.device)
                for n in names
            ]
        )
        counts = torch.tensor(
            [float(self._component_counts.get(n, 0)) for n in names], dtype=torch.float64, device=self.args.device
        )
        if self.accelerator.num_processes > 1:
            reduced = torch.cat([sums, counts])
            torch.distributed.all_reduce(reduced)
            sums, counts = reduced[: len(names)], reduced[len(names) :]
        self._component_sums, self._component_counts = {}, {}
        return {n: (sums[i] / counts[i]).item() for i, n in enumerate(names) if counts[i] > 0}

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        """Adds the averaged loss components to the training logs."""
        if not any(key.startswith(("eval_", "test_")) for key in logs):
            logs = {**logs, **self._reduce_components()}
        super().log(logs, start_time)

    # ---- evaluation ----

    def evaluate(self, eval_dataset=None, ignore_keys=None, metric_key_prefix: str = "eval") -> dict[str, float]:
        """Evaluates; for a dict of per-language eval sets, also the mean over languages (`<prefix>_mean_<metric>`)."""
        datasets = self.eval_dataset if eval_dataset is None else eval_dataset
        metrics = super().evaluate(eval_dataset, ignore_keys=ignore_keys, metric_key_prefix=metric_key_prefix)
        if isinstance(eval_dataset, str) or not isinstance(datasets, Mapping) or not datasets:
            return metrics
        per_language: dict[str, list[float]] = {}
        for name in datasets:
            start = f"{metric_key_prefix}_{name}_"
            for key, value in metrics.items():
                metric = key[len(start) :]
                if key.startswith(start) and metric not in _SPEED_METRICS and isinstance(value, (int, float)):
                    per_language.setdefault(metric, []).append(float(value))
        mean = {
            f"{metric_key_prefix}_mean_{metric}": sum(values) / len(values)
            for metric, values in per_language.items()
            if len(values) == len(datasets) and all(math.isfinite(v) for v in values)
        }
        if mean:
            self.log(dict(mean))
            metrics.update(mean)
        return metrics

    # ---- checkpoints ----

    def _save(self, output_dir: str | None = None, state_dict=None) -> None:
        """The Trainer's save (for a PEFT model: the adapter) plus, for a PEFT model, every trainable parameter."""
        super()._save(output_dir, state_dict)
        output_dir = output_dir if output_dir is not None else self.args.output_dir
        if self.args.should_save and _is_peft_model(self.model):
            tensors = {
                name: param.detach().cpu().contiguous()
                for name, param in self.model.named_parameters()
                if param.requires_grad
            }
            safetensors.torch.save_file(
                tensors, os.path.join(output_dir, TRAINABLE_MODULES_NAME), metadata={"format": "pt"}
            )

    def _save_checkpoint(self, model, trial) -> None:
        """The Trainer's checkpoint plus `cross_lingual_state.json`, then the completion marker, written last.

        A directory of the same name left by an earlier or interrupted run is removed first, so the checkpoint never
        mixes files of two saves. Older checkpoints are rotated away (`save_total_limit`) and the checkpoint is pushed
        (`push_to_hub`) only once the marker is written, so a kill at any point leaves a complete checkpoint to
        resume from.
        """
        run_dir = self._get_output_dir(trial=trial)
        output_dir = os.path.join(run_dir, f"{PREFIX_CHECKPOINT_DIR}-{self.state.global_step}")
        if self.args.should_save and os.path.isdir(output_dir):
            if os.path.isfile(os.path.join(output_dir, CHECKPOINT_COMPLETE_NAME)):
                logger.info(f"Replacing {output_dir}, a checkpoint of an earlier run.")
            else:
                logger.warning(f"Replacing {output_dir}, an incomplete checkpoint (its save was interrupted).")
            shutil.rmtree(output_dir)
        # No process may write its RNG state into the directory before it is removed.
        self.accelerator.wait_for_everyone()
        push_to_hub, save_total_limit = self.args.push_to_hub, self.args.save_total_limit
        self.args.push_to_hub, self.args.save_total_limit = False, None
        try:
            super()._save_checkpoint(model, trial)
        finally:
            self.args.push_to_hub, self.args.save_total_limit = push_to_hub, save_total_limit
        if self.args.should_save:
            state = {
                "sampler": self._step_sampler.state_dict() if self._step_sampler is not None else None,
                "grl_lambda": self._lowres_model.grl_lambda,
                "global_step": self.state.global_step,
            }
            with open(os.path.join(output_dir, CROSS_LINGUAL_STATE_NAME), "w") as f:
                json.dump(state, f, indent=2)
        # Every process has written its RNG state before the marker says the checkpoint is complete.
        self.accelerator.wait_for_everyone()
        if self.args.should_save:
            write_completion_marker(output_dir, self.state.global_step)
        if push_to_hub:
            self._push_from_checkpoint(output_dir)
        if self.args.should_save:
            rotate_checkpoints(
                output_dir=run_dir,
                save_total_limit=save_total_limit,
                best_model_checkpoint=self.state.best_model_checkpoint,
                use_mtime=True,
            )

    def _resume_requirements(self) -> list[RequiredFile]:
        """The files a resume needs under the current arguments, each with what it holds."""
        peft = _is_peft_model(self.model)
        sharded = self.is_deepspeed_enabled or self.is_fsdp_enabled  # they keep model and optimizer in their own files
        required = [RequiredFile(("trainer_state.json",), "the Trainer's state (global step, epoch, log history)")]
        if not sharded:
            weights = _ADAPTER_WEIGHTS if peft else _MODEL_WEIGHTS
            required.append(RequiredFile(weights, "the adapter's weights" if peft else "the model's weights"))
        if peft:
            required.append(RequiredFile((TRAINABLE_MODULES_NAME,), _TRAINABLE_MODULES_HOLD))
        required.append(
            RequiredFile(
                (CROSS_LINGUAL_STATE_NAME,), "the language sampler's state and the gradient-reversal strength"
            )
        )
        if not sharded:
            required += [
                RequiredFile(
                    ("optimizer.pt", "optimizer.bin"),
                    "the optimizer's state (the moments of every parameter group, the discriminator's included); a "
                    "checkpoint saved with `save_only_model=True` has none and cannot be resumed from",
                ),
                RequiredFile(("scheduler.pt",), "the learning-rate scheduler's position"),
            ]
        rng = "rng_state.pth" if self.args.world_size <= 1 else f"rng_state_{self.args.process_index}.pth"
        required.append(
            RequiredFile(
                (rng,),
                f"the random number generators' states of process {self.args.process_index} (dropout and data order "
                "continue as in an uninterrupted run; a checkpoint of a run with another number of processes has "
                "other RNG files)",
            )
        )
        return required

    def _check_resume_checkpoint(self, checkpoint: str) -> dict | None:
        """Checks the whole checkpoint before anything is loaded; returns its cross-lingual state (or `None`)."""
        problems = checkpoint_problems(checkpoint, self._resume_requirements())
        raise_or_warn(checkpoint, problems, self.args.resume_strict, "resume from")
        state = None
        path = os.path.join(checkpoint, CROSS_LINGUAL_STATE_NAME)
        if os.path.isfile(path):
            state = load_json_file(path, "the cross-lingual state (sampler state, gradient-reversal strength)")
            if not isinstance(state, dict) or not {"sampler", "grl_lambda"} <= set(state):
                raise IncompleteCheckpointError(
                    f"{path} should be a JSON object with `sampler` and `grl_lambda`; found {str(state)[:100]!r}."
                )
            trainer_state_path = os.path.join(checkpoint, "trainer_state.json")
            if state.get("global_step") is not None and os.path.isfile(trainer_state_path):
                trainer_state = load_json_file(trainer_state_path, "the Trainer's state")
                step = trainer_state.get("global_step") if isinstance(trainer_state, dict) else None
                if step != state["global_step"]:
                    raise IncompleteCheckpointError(
                        f"{checkpoint} mixes two saves: {CROSS_LINGUAL_STATE_NAME} is of step {state['global_step']}, "
                        f"trainer_state.json of step {step}."
                    )
        return state

    def _load_trainable_modules(self, checkpoint: str, model: nn.Module) -> None:
        """Copies `trainable_modules.safetensors` into `model`; every trainable parameter must be there, with its
        shape. A missing file is an error (a WARNING with `args.resume_strict=False`)."""
        path = os.path.join(checkpoint, TRAINABLE_MODULES_NAME)
        if not os.path.isfile(path):
            if _is_peft_model(model):
                message = (
                    f"{checkpoint} has no {TRAINABLE_MODULES_NAME}, which should hold {_TRAINABLE_MODULES_HOLD}: "
                    "the task head and the discriminator keep their current values instead of the checkpoint's"
                )
                if self.args.resume_strict:
                    raise IncompleteCheckpointError(f"{message}. Set `resume_strict=False` to go on anyway.")
                # The check of the whole checkpoint before loading already warned.
                logger.info(f"{message} (`resume_strict=False`).")
            return
        params = dict(model.named_parameters())
        state = load_safetensors_file(path, f"the trainable parameters ({_TRAINABLE_MODULES_HOLD})")
        unknown = sorted(set(state) - set(params))
        if unknown:
            raise IncompleteCheckpointError(f"{path} holds parameters this model does not have: {unknown[:5]}.")
        absent = sorted(name for name, param in params.items() if param.requires_grad and name not in state)
        if absent:
            raise IncompleteCheckpointError(
                f"{path} lacks {len(absent)} trainable parameter(s) of this model: {absent[:5]} (a checkpoint of a "
                "model with other trainable modules?)."
            )
        for name, tensor in state.items():
            if tensor.shape != params[name].shape:
                raise IncompleteCheckpointError(
                    f"{path}: {name} has shape {tuple(tensor.shape)} but this model expects "
                    f"{tuple(params[name].shape)}."
                )
        with torch.no_grad():
            for name, tensor in state.items():
                params[name].copy_(tensor.to(params[name].device, params[name].dtype))

    def _load_from_checkpoint(self, resume_from_checkpoint: str, model: nn.Module | None = None) -> None:
        """The Trainer's load (the adapter for a PEFT model), then every trainable parameter, trainable again."""
        target = self.model if model is None else model
        trainable = [name for name, param in target.named_parameters() if param.requires_grad]
        super()._load_from_checkpoint(resume_from_checkpoint, model)
        # PEFT's `load_adapter` freezes everything outside the adapter: the optimizer must see the same parameters.
        params = dict(target.named_parameters())
        for name in trainable:
            params[name].requires_grad_(True)
        self._load_trainable_modules(resume_from_checkpoint, target)

    def _load_optimizer_and_scheduler(self, checkpoint: str | None) -> None:
        """The Trainer's load of `optimizer.pt` and `scheduler.pt`, with an error naming the checkpoint if it fails."""
        try:
            super()._load_optimizer_and_scheduler(checkpoint)
        except (OSError, RuntimeError, EOFError, ValueError, KeyError) as error:
            raise IncompleteCheckpointError(
                f"Cannot load the optimizer and scheduler states (optimizer.pt, scheduler.pt) of {checkpoint}: {error}"
            ) from error

    def _load_rng_state(self, checkpoint: str | None) -> None:
        """The Trainer's load of the RNG states, with an error naming the checkpoint if it fails."""
        try:
            super()._load_rng_state(checkpoint)
        except (OSError, RuntimeError, EOFError, ValueError, KeyError) as error:
            raise IncompleteCheckpointError(
                f"Cannot load the random number generators' states (rng_state*.pth) of {checkpoint}: {error}"
            ) from error

    def _load_best_model(self) -> None:
        """The Trainer's load of the best checkpoint, then every trainable parameter, trainable again."""
        best = self.state.best_model_checkpoint
        required = (
            [RequiredFile((TRAINABLE_MODULES_NAME,), _TRAINABLE_MODULES_HOLD)] if _is_peft_model(self.model) else []
        )
        raise_or_warn(best, checkpoint_problems(best, required), self.args.resume_strict, "load the best model from")
        trainable = [name for name, param in self.model.named_parameters() if param.requires_grad]
        super()._load_best_model()
        params = dict(self.model.named_parameters())
        for name in trainable:
            params[name].requires_grad_(True)
        self._load_trainable_modules(best, self.model)

    def train(self, resume_from_checkpoint: str | bool | None = None, trial=None, ignore_keys_for_eval=None, **kwargs):
        """`Trainer.train`; a resumed run also restores the sampler state and the gradient-reversal strength.

        `resume_from_checkpoint=True` takes the newest complete checkpoint of `args.output_dir` (newer ones whose
        save was interrupted are skipped, with a WARNING). The checkpoint is checked as a whole before anything is
        loaded: a missing or truncated file is an `IncompleteCheckpointError` naming it and what it should hold
        (see `args.resume_strict`).
        """
        if resume_from_checkpoint is True:
            resume_from_checkpoint = find_resumable_checkpoint(self.args.output_dir, strict=self.args.resume_strict)
        elif resume_from_checkpoint is False:
            resume_from_checkpoint = None
        self._resume_state = None
        if resume_from_checkpoint is not None:
            resume_from_checkpoint = os.fspath(resume_from_checkpoint)
            self._resume_state = self._check_resume_checkpoint(resume_from_checkpoint)
            if self._resume_state is not None:
                self._lowres_model.grl_lambda = self._resume_state["grl_lambda"]
        return super().train(
            resume_from_checkpoint=resume_from_checkpoint,
            trial=trial,
            ignore_keys_for_eval=ignore_keys_for_eval,
            **kwargs,
        )
