"""The MLM head warm-up for checkpoints without a head: only the head trains, it learns, and it is measured."""

import pytest
import torch
from transformers import BertModel

from hf_lowres import LowResForMaskedLM
from hf_lowres.adapters import AdapterManager, lm_head_parameters
from hf_lowres.testing_utils import tiny_backbone_config, tiny_tokenizer
from hf_lowres.training import CrossLingualTrainingArguments, masked_token_accuracy, warm_up_lm_head


# Repetitive text: a head on a frozen random backbone can learn its token distribution within a few dozen steps.
TEXTS = {
    "eng": [f"the cat sat on the mat {i % 3}" for i in range(48)],
    "jav": [f"kucing lungguh ing kloso {i % 2}" for i in range(16)],
}


@pytest.fixture
def headless_model(tmp_path):
    """A tiny BERT saved without a masked-LM head, loaded under one (new, randomly initialized)."""
    BertModel(tiny_backbone_config("bert")).save_pretrained(tmp_path / "plain")
    return LowResForMaskedLM.from_backbone(tmp_path / "plain", ["eng", "jav"])


def warmup_args(tmp_path, steps=60):
    return CrossLingualTrainingArguments(
        output_dir=str(tmp_path / "warmup"), max_steps=steps, per_device_train_batch_size=8, learning_rate=5e-2,
        report_to="none", use_cpu=True, save_strategy="no", disable_tqdm=True, logging_steps=steps, seed=0,
    )  # fmt: skip


def test_only_the_head_trains_and_masked_token_accuracy_rises(headless_model, tmp_path):
    tokenizer = tiny_tokenizer()
    head_names = set(lm_head_parameters(headless_model))
    assert head_names and all(".predictions." in name for name in head_names)
    before_state = {name: p.detach().clone() for name, p in headless_model.named_parameters()}
    flags = {name: p.requires_grad for name, p in headless_model.named_parameters()}
    before = masked_token_accuracy(headless_model, tokenizer, TEXTS, mlm_probability=0.3)

    report = warm_up_lm_head(headless_model, tokenizer, TEXTS, warmup_args(tmp_path), mlm_probability=0.3)

    after = masked_token_accuracy(headless_model, tokenizer, TEXTS, mlm_probability=0.3)
    changed = {name for name, p in headless_model.named_parameters() if not torch.equal(p, before_state[name])}
    assert changed and changed <= head_names  # the encoder and the tied embeddings stay as loaded
    assert {name: p.requires_grad for name, p in headless_model.named_parameters()} == flags
    assert report["steps"] == 60 and report["languages"] == {"eng": 48, "jav": 16}
    assert report["trained_parameters"] == sum(p.numel() for p in lm_head_parameters(headless_model).values())
    for lang in TEXTS:
        assert after[lang]["masked_tokens"] == before[lang]["masked_tokens"] > 0  # the same seeded masks
        assert after[lang]["loss"] < before[lang]["loss"] - 1.0
        assert after[lang]["accuracy"] > before[lang]["accuracy"] + 0.1


def test_masked_token_accuracy_is_deterministic_under_a_seed(headless_model):
    tokenizer = tiny_tokenizer()
    first = masked_token_accuracy(headless_model, tokenizer, TEXTS, seed=3)
    assert masked_token_accuracy(headless_model, tokenizer, TEXTS, seed=3) == first
    assert masked_token_accuracy(headless_model, tokenizer, TEXTS, seed=4) != first  # other masks


def test_the_warmed_head_is_kept_frozen_by_language_training_and_saved_with_the_adapters(headless_model, tmp_path):
    tokenizer = tiny_tokenizer()
    warm_up_lm_head(headless_model, tokenizer, TEXTS, warmup_args(tmp_path, steps=20))
    warmed = {name: p.detach().clone() for name, p in lm_head_parameters(headless_model).items()}
    manager = AdapterManager(headless_model)
    manager.add_language_adapter("jav", r=2, lora_alpha=4)
    counts = manager.prepare_language_training("jav", train_lm_head=False, train_discriminator=False)
    assert counts.get("lm_head", {}).get("trainable", 0) == 0
    manager.save(tmp_path / "adapters")
    reloaded = AdapterManager.from_pretrained(tmp_path / "adapters", model=LowResForMaskedLM.from_backbone(
        tmp_path / "plain", ["eng", "jav"]))  # fmt: skip
    for name, value in lm_head_parameters(reloaded.model).items():
        assert torch.equal(value, warmed[name]), name


def test_refuses_a_model_with_adapters_and_empty_text(headless_model, tmp_path):
    tokenizer = tiny_tokenizer()
    with pytest.raises(ValueError, match=r"no text for \['jav'\]"):
        warm_up_lm_head(headless_model, tokenizer, {"eng": ["a b"], "jav": []}, warmup_args(tmp_path))
    AdapterManager(headless_model).add_language_adapter("jav", r=2, lora_alpha=4)
    with pytest.raises(ValueError, match="before adding adapters"):
        warm_up_lm_head(headless_model, tokenizer, TEXTS, warmup_args(tmp_path))
