"""LowResConfig: exact round trips and clear errors for invalid values."""

import pytest
from transformers import AutoConfig

from hf_lowres import LowResConfig
from hf_lowres.testing_utils import tiny_backbone_config


@pytest.mark.parametrize("family", ["bert", "xlm-roberta", "t5", "marian", "llama", "qwen2"])
def test_save_load_roundtrip_is_exact(family, tmp_path):
    config = LowResConfig(
        text_config=tiny_backbone_config(family),
        languages=["eng", "jav_Latn", "sun"],
        discriminator_hidden_size=16,
        discriminator_num_layers=2,
        discriminator_pooling="last",
        discriminator_layer=1,
        grl_lambda=0.3,
        alignment_loss="cosine",
        alignment_layer=-2,
        id2label={0: "negative", 1: "neutral", 2: "positive"},
    )
    config.save_pretrained(tmp_path)
    for loaded in (LowResConfig.from_pretrained(tmp_path), AutoConfig.from_pretrained(tmp_path)):
        assert type(loaded) is LowResConfig
        expected, actual = config.to_dict(), loaded.to_dict()
        expected.pop("_name_or_path"), actual.pop("_name_or_path")
        assert actual == expected
        assert loaded.languages == ["eng", "jav_Latn", "sun"]
        assert loaded.lang2id == {"eng": 0, "jav_Latn": 1, "sun": 2}
        assert loaded.num_labels == 3 and loaded.id2label[2] == "positive"
        assert loaded.text_config.model_type == config.text_config.model_type


def test_dict_text_config_and_defaults():
    config = LowResConfig(text_config={"model_type": "t5", "d_model": 32, "num_layers": 3}, languages=["eng", "ace"])
    assert config.text_config.model_type == "t5"
    assert config.backbone_hidden_size == 32 and config.backbone_num_layers == 3
    assert LowResConfig().text_config.model_type == "bert"


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"languages": []}, "languages"),
        ({"languages": "eng"}, "languages"),
        ({"languages": ["eng", "eng"]}, "languages"),
        ({"languages": ["English"]}, "languages"),
        ({"languages": ["jav_latn"]}, "languages"),
        ({"discriminator_pooling": "max"}, "discriminator_pooling"),
        ({"alignment_pooling": "sum"}, "alignment_pooling"),
        ({"classifier_pooling": "first"}, "classifier_pooling"),
        ({"alignment_loss": "kl"}, "alignment_loss"),
        ({"alignment_temperature": 0.0}, "alignment_temperature"),
        ({"discriminator_num_layers": -1}, "discriminator_num_layers"),
        ({"discriminator_hidden_size": 0}, "discriminator_hidden_size"),
        ({"discriminator_dropout": 1.0}, "discriminator_dropout"),
        ({"grl_lambda": -1.0}, "grl_lambda"),
        ({"discriminator_layer": 3}, "discriminator_layer"),
        ({"alignment_layer": -4}, "alignment_layer"),
        ({"text_config": {"hidden_size": 32}}, "text_config"),
    ],
)
def test_invalid_values_raise_naming_the_field(kwargs, field):
    kwargs = {"text_config": tiny_backbone_config("bert"), "languages": ["eng", "jav"], **kwargs}
    with pytest.raises(ValueError, match=f"`{field}`"):
        LowResConfig(**kwargs)
