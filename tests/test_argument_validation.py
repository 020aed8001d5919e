"""The argument dataclasses of back-translation and of the recipes refuse bad values when built, naming the field.

Each case used to pass construction and fail later (at `generate`, in the sampler, after the model loaded) or never.
"""

import pytest

from hf_lowres.data import BackTranslationConfig


NAN = float("nan")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"do_sample": True, "num_beams": 1, "temperature": 0.0}, r"`temperature` must be a finite number > 0"),
        ({"do_sample": True, "num_beams": 1, "temperature": -1.0}, r"`temperature` must be a finite number > 0"),
        ({"do_sample": True, "num_beams": 1, "temperature": NAN}, r"`temperature` must be a finite number > 0"),
        ({"do_sample": True, "num_beams": 1, "top_p": 0.0}, r"`top_p` must be in \(0, 1\]"),
        ({"do_sample": True, "num_beams": 1, "top_p": 1.5}, r"`top_p` must be in \(0, 1\]"),
        ({"do_sample": True, "num_beams": 1, "top_p": NAN}, r"`top_p` must be in \(0, 1\]"),
        ({"do_sample": True, "num_beams": 1, "top_k": 0}, r"`top_k` must be an integer >= 1"),
        ({"max_length_ratio": NAN}, r"`max_length_ratio` must be positive"),
        ({"noise_max_shift": -1}, r"`noise_max_shift` must be an integer >= 0"),
        ({"max_length_offset": -5}, r"`max_length_offset` must be an integer >= 0"),
    ],
    ids=lambda value: "-".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else None,
)
def test_back_translation_config_refuses(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BackTranslationConfig("ind", "jav", **kwargs)


def test_back_translation_config_keeps_valid_sampling_settings():
    config = BackTranslationConfig("ind", "jav", do_sample=True, num_beams=1, top_k=10, top_p=1.0, temperature=0.7)
    assert (config.top_k, config.top_p, config.temperature) == (10, 1.0, 0.7)


TASK = {"model_name_or_path": "m", "languages": ["eng", "jav"], "train_file": "t.csv", "test_files": ["jav=j.csv"],
        "class_names": ["negative", "positive"]}  # fmt: skip
LANGUAGE = {"model_name_or_path": "m", "languages": ["eng", "jav"], "language": "jav", "text_file": "t.txt"}
BACK_TRANSLATE = {"model_name_or_path": "m", "monolingual_file": "t.txt", "output_dir": "out"}
TRANSLATION = {"model_name_or_path": "m", "source_lang": "ind", "target_lang": "jav", "train_file": "t.csv",
               "test_file": "t.csv"}  # fmt: skip


RECIPE_ARGUMENTS = {
    "train_task": ("TrainTaskArguments", TASK),
    "adapt_language": ("AdaptLanguageArguments", LANGUAGE),
    "back_translate": ("BackTranslateArguments", BACK_TRANSLATE),
    "train_translation": ("TrainTranslationArguments", TRANSLATION),
}


def recipe_arguments(recipe: str):
    """The recipe's arguments dataclass and a valid set of values for it."""
    import importlib

    class_name, valid = RECIPE_ARGUMENTS[recipe]
    return getattr(importlib.import_module(f"hf_lowres.recipes.{recipe}"), class_name), valid


@pytest.mark.parametrize(
    "recipe, changes, message",
    [
        ("train_task", {"class_names": ["positive", "positive"]}, r"`class_names` names a value twice"),
        ("train_task", {"class_names": ["positive"]}, r"`class_names` must name at least 2 classes"),
        ("train_task", {"source_language": "sun"}, r"`source_language` 'sun' is not one of `languages`"),
        ("train_task", {"test_files": ["j.csv"]}, r"--test_files: expected entries of the form LANG=PATH"),
        ("train_task", {"max_train_samples": 0}, r"`max_train_samples` must be an integer >= 1"),
        ("train_task", {"max_length": 0}, r"`max_length` must be an integer >= 1"),
        ("train_task", {"lora_r": 0}, r"`lora_r` must be an integer >= 1"),
        ("adapt_language", {"language": "sun"}, r"`language` 'sun' is not one of `languages`"),
        ("adapt_language", {"languages": ["jav", "jav"]}, r"`languages` names a language twice"),
        ("adapt_language", {"mlm_probability": 0.0}, r"`mlm_probability` must be a finite number in \(0, 1\)"),
        ("adapt_language", {"mlm_probability": NAN}, r"`mlm_probability` must be a finite number in \(0, 1\)"),
        ("adapt_language", {"max_train_samples": -1}, r"`max_train_samples` must be an integer >= 1"),
        (
            "back_translate",
            {"filter_max_length_ratio": 0.5},
            r"`filter_max_length_ratio` must be a finite number >= 1",
        ),
        (
            "back_translate",
            {"filter_max_length_ratio": NAN},
            r"`filter_max_length_ratio` must be a finite number >= 1",
        ),
        ("back_translate", {"filter_copy_threshold": 0.0}, r"`filter_copy_threshold` must be a finite number in \(0"),
        ("back_translate", {"filter_copy_threshold": 1.5}, r"`filter_copy_threshold` must be a finite number in \(0"),
        ("back_translate", {"max_sentences": 0}, r"`max_sentences` must be an integer >= 1"),
        ("train_translation", {"target_lang": "ind"}, r"`source_lang` and `target_lang` are both 'ind'"),
        ("train_translation", {"synthetic_ratio": NAN}, r"`synthetic_ratio` must be a finite number >= 0"),
        ("train_translation", {"synthetic_ratio": -1.0}, r"`synthetic_ratio` must be a finite number >= 0"),
        ("train_translation", {"num_beams": 0}, r"`num_beams` must be an integer >= 1"),
        ("train_translation", {"max_new_tokens": 0}, r"`max_new_tokens` must be an integer >= 1"),
    ],
)
def test_recipe_arguments_refuse(recipe, changes, message):
    cls, valid = recipe_arguments(recipe)
    cls(**valid)  # the valid arguments build
    with pytest.raises(ValueError, match=message):
        cls(**{**valid, **changes})
