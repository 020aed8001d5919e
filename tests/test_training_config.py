"""`CrossLingualTrainingArguments`: added fields, changed defaults, validation, parsing."""

import dataclasses

import pytest
from transformers import HfArgumentParser, TrainingArguments

from hf_lowres.training import CrossLingualTrainingArguments


NEW_FIELDS = {
    "adversarial_weight",
    "grl_schedule",
    "grl_lambda_max",
    "grl_gamma",
    "discriminator_learning_rate",
    "discriminator_steps",
    "alignment_weight",
    "alignment_loss",
    "alignment_temperature",
    "alignment_gather_across_processes",
    "auxiliary_language_adapters",
    "language_sampling_temperature",
    "lexicon_dir",
    "lexicon_source_language",
    "lexicon_languages",
    "code_switching_word_ratio",
    "code_switching_sentence_ratio",
    "code_switching_max_length",
    "language_column",
    "pair_source_language_column",
    "pair_target_language_column",
    "resume_strict",
}


def test_new_fields_have_help_and_changed_defaults(tmp_path):
    fields = {f.name: f for f in dataclasses.fields(CrossLingualTrainingArguments)}
    inherited = {f.name for f in dataclasses.fields(TrainingArguments)}
    assert set(fields) - inherited == NEW_FIELDS
    for name in NEW_FIELDS:
        assert fields[name].metadata.get("help"), name
        assert name in CrossLingualTrainingArguments.__doc__, name
    args = CrossLingualTrainingArguments(tmp_path)
    assert args.remove_unused_columns is False
    assert args.label_names == ["labels"]
    assert args.ddp_find_unused_parameters is False
    assert (args.adversarial_weight, args.alignment_weight, args.grl_schedule) == (0.0, 0.0, "constant")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"adversarial_weight": -1}, "adversarial_weight"),
        ({"grl_schedule": "linear"}, "grl_schedule"),
        ({"discriminator_steps": 0}, "discriminator_steps"),
        ({"alignment_loss": "l1"}, "alignment_loss"),
        ({"alignment_temperature": 0.0}, "alignment_temperature"),
        ({"language_sampling_temperature": 1.5}, "language_sampling_temperature"),
        ({"discriminator_learning_rate": -1e-3}, "discriminator_learning_rate"),
    ],
)
def test_validation(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        CrossLingualTrainingArguments(tmp_path, **kwargs)


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        # NaN passes `x < 0`: `alignment_weight=nan` was accepted and switched the loss off (`nan > 0` is False).
        ({"alignment_weight": NAN}, r"`alignment_weight` must be a finite number >= 0, got nan"),
        ({"adversarial_weight": NAN}, r"`adversarial_weight` must be a finite number >= 0, got nan"),
        ({"adversarial_weight": INF}, r"`adversarial_weight` must be a finite number >= 0, got inf"),
        ({"grl_lambda_max": NAN}, r"`grl_lambda_max` must be a finite number >= 0"),
        ({"grl_gamma": NAN}, r"`grl_gamma` must be a finite number >= 0"),
        ({"discriminator_learning_rate": NAN}, r"`discriminator_learning_rate` must be a finite number >= 0"),
        ({"alignment_temperature": NAN}, r"`alignment_temperature` must be a finite number > 0"),
        (
            {"language_sampling_temperature": NAN},
            r"`language_sampling_temperature` must be a finite number in \[0, 1\]",
        ),
        # Inherited arguments that Trainer or torch only trip over later (the sampler, at train time) or never.
        ({"per_device_train_batch_size": 0}, r"`per_device_train_batch_size` must be an integer >= 1, got 0"),
        ({"per_device_train_batch_size": -1}, r"`per_device_train_batch_size` must be an integer >= 1, got -1"),
        ({"per_device_eval_batch_size": 0}, r"`per_device_eval_batch_size` must be an integer >= 1"),
        ({"gradient_accumulation_steps": 0}, r"`gradient_accumulation_steps` must be an integer >= 1"),
        ({"eval_accumulation_steps": 0}, r"`eval_accumulation_steps` must be an integer >= 1"),
        ({"max_steps": 0}, r"`max_steps` must be an integer >= 1, or -1"),
        ({"num_train_epochs": 0}, r"`num_train_epochs` must be a finite number > 0"),
        ({"num_train_epochs": NAN}, r"`num_train_epochs` must be a finite number > 0"),
        ({"learning_rate": -1e-3}, r"`learning_rate` must be a finite number >= 0"),
        ({"learning_rate": NAN}, r"`learning_rate` must be a finite number >= 0"),
        ({"weight_decay": -0.1}, r"`weight_decay` must be a finite number >= 0"),
        ({"max_grad_norm": NAN}, r"`max_grad_norm` must be a finite number >= 0"),
        ({"adam_beta1": 1.0}, r"`adam_beta1` must be a finite number in \[0, 1\)"),
        ({"adam_beta2": -0.5}, r"`adam_beta2` must be a finite number in \[0, 1\)"),
        ({"adam_epsilon": 0.0}, r"`adam_epsilon` must be a finite number > 0"),
        ({"label_smoothing_factor": 1.5}, r"`label_smoothing_factor` must be a finite number in \[0, 1\)"),
    ],
    ids=lambda value: "-".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else None,
)
def test_nan_and_out_of_range_values_are_refused_naming_the_field(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        CrossLingualTrainingArguments(tmp_path, **kwargs)


def test_boundary_values_stay_valid(tmp_path):
    """The checks refuse only nonsense: 0 weights, lr 0, max_steps >= 1 with 0 epochs, no clipping, alpha 0."""
    args = CrossLingualTrainingArguments(
        tmp_path,
        learning_rate=0.0,
        max_steps=1,
        num_train_epochs=0,
        max_grad_norm=0.0,
        language_sampling_temperature=0.0,
    )
    assert (args.alignment_weight, args.learning_rate, args.max_steps, args.max_grad_norm) == (0.0, 0.0, 1, 0.0)


def test_data_arguments_validation():
    from hf_lowres.training import CrossLingualDataArguments

    with pytest.raises(ValueError, match=r"`max_unlabeled_per_language` must be an integer >= 1 \(or None\), got 0"):
        CrossLingualDataArguments(max_unlabeled_per_language=0)
    with pytest.raises(ValueError, match=r"`max_pairs_per_language` must be an integer >= 1 \(or None\), got -3"):
        CrossLingualDataArguments(parallel_file="p.csv", parallel_source_lang="eng", parallel_target_langs=["jav"],
                                  max_pairs_per_language=-3)  # fmt: skip
    with pytest.raises(ValueError, match=r"--unlabeled_files: expected entries of the form LANG=PATH"):
        CrossLingualDataArguments(unlabeled_files=["jav.txt"])
    with pytest.raises(ValueError, match=r"need --parallel_file"):
        CrossLingualDataArguments(parallel_source_lang="eng", parallel_target_langs=["jav"])
    with pytest.raises(ValueError, match=r"`parallel_target_langs` holds the source language 'eng'"):
        CrossLingualDataArguments(parallel_file="p.csv", parallel_source_lang="eng", parallel_target_langs=["eng"])


def test_parse_from_dict_and_command_line(tmp_path):
    parser = HfArgumentParser(CrossLingualTrainingArguments)
    (args,) = parser.parse_dict(
        {"output_dir": str(tmp_path), "adversarial_weight": 0.1, "grl_schedule": "dann", "language_column": "language"}
    )
    assert (args.adversarial_weight, args.grl_schedule, args.language_column) == (0.1, "dann", "language")
    (args,) = parser.parse_args_into_dataclasses(
        ["--output_dir", str(tmp_path), "--alignment_weight", "0.5", "--language_sampling_temperature", "0.3"]
    )
    assert (args.alignment_weight, args.language_sampling_temperature) == (0.5, 0.3)
