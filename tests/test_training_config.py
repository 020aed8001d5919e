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
    "language_sampling_temperature",
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
