"""MAD-X-consistent auxiliary losses: each unlabeled row and pair side runs through its own language's adapter."""

import pytest
import torch
from training_fixtures import (  # noqa: F401 - single_thread is an autouse fixture
    parallel_dataset,
    single_thread,
    task_dataset,
    tiny_classifier,
    unlabeled_dataset,
)

from hf_lowres.adapters import AdapterManager
from hf_lowres.testing_utils import tiny_tokenizer
from hf_lowres.training import (
    PAIR_SOURCE_PREFIX,
    PAIR_TARGET_PREFIX,
    UNLABELED_PREFIX,
    CrossLingualTrainer,
    CrossLingualTrainingArguments,
)


COMMON = dict(per_device_train_batch_size=4, learning_rate=1e-2, logging_steps=1, report_to="none", use_cpu=True,
              disable_tqdm=True, save_strategy="no", seed=0)  # fmt: skip


@pytest.fixture
def manager():
    """eng, ind and jav language adapters (made different from each other) under a task adapter, task phase on eng."""
    manager = AdapterManager(tiny_classifier(dropout=0.0))
    generator = torch.Generator().manual_seed(0)
    for lang in ("eng", "ind", "jav"):
        name = manager.add_language_adapter(lang, r=2, lora_alpha=4)
        with torch.no_grad():  # LoRA's B starts at zero: give each language adapter an effect of its own
            for parameter_name, p in manager.peft_model.named_parameters():
                if f".{name}." in parameter_name and "lora_B" in parameter_name:
                    p.copy_(torch.randn(p.shape, generator=generator) * 0.5)
    manager.add_task_adapter("sentiment", r=2, lora_alpha=4)
    manager.prepare_task_training("sentiment", language="eng", train_discriminator=True)
    return manager


def pooled(manager, batch, language):
    with manager.using(language=language, task="sentiment"):
        return manager.peft_model(**batch).pooled_output


def test_forward_through_swaps_the_language_adapter_and_keeps_training_flags(manager):
    flags = {name: p.requires_grad for name, p in manager.model.named_parameters()}
    assert any(flags.values())
    with manager.forward_through("jav"):
        assert manager.active_adapters == ["lang_jav", "task_sentiment"]
        assert {name: p.requires_grad for name, p in manager.model.named_parameters()} == flags
    assert manager.active_adapters == ["lang_eng", "task_sentiment"]
    assert {name: p.requires_grad for name, p in manager.model.named_parameters()} == flags
    with manager.forward_through("sun"):  # no adapter for it: the active composition stays
        assert manager.active_adapters == ["lang_eng", "task_sentiment"]
    with pytest.raises(RuntimeError), manager.forward_through("ind"):
        raise RuntimeError("inside")
    assert manager.active_adapters == ["lang_eng", "task_sentiment"]


def test_auxiliary_rows_get_the_pooled_output_of_their_own_language_composition(manager, tmp_path):
    tokenizer = tiny_tokenizer()
    args = CrossLingualTrainingArguments(str(tmp_path), adversarial_weight=0.1, alignment_weight=1.0,
                                         auxiliary_language_adapters=True, **COMMON)  # fmt: skip
    trainer = CrossLingualTrainer(
        manager.peft_model, args, train_dataset=task_dataset(tokenizer, 8), processing_class=tokenizer,
        unlabeled_dataset=unlabeled_dataset(tokenizer), parallel_dataset=parallel_dataset(tokenizer, 8),
        adapter_manager=manager,
    )  # fmt: skip
    batch = trainer._prepare_inputs(next(iter(trainer.get_train_dataloader())))
    prefixes = [UNLABELED_PREFIX, PAIR_SOURCE_PREFIX, PAIR_TARGET_PREFIX]
    manager.model.eval()  # no dropout anyway; eval makes the comparison exact
    routed = trainer._auxiliary_forward(manager.peft_model, batch, prefixes, hidden_states=False)
    id2lang = {i: lang for lang, i in manager.model.config.lang2id.items()}
    seen = set()
    for prefix in prefixes:
        for row, lang_id in enumerate(batch[prefix + "lang_labels"].tolist()):
            language = id2lang[lang_id]
            seen.add(language)
            alone = {k: batch[prefix + k][row : row + 1] for k in ("input_ids", "attention_mask")}
            expected = pooled(manager, alone, language)
            torch.testing.assert_close(routed[prefix][0][row : row + 1], expected, atol=1e-5, rtol=1e-4)
            if language != "eng":  # the English composition would give another output
                assert not torch.allclose(pooled(manager, alone, "eng"), expected, atol=1e-4)
    assert {"eng", "jav"} <= seen
    assert manager.active_adapters == ["lang_eng", "task_sentiment"]


def test_training_reaches_the_task_adapter_through_other_languages_adapters(manager, tmp_path):
    tokenizer = tiny_tokenizer()
    args = CrossLingualTrainingArguments(str(tmp_path), alignment_weight=1.0, auxiliary_language_adapters=True,
                                         max_steps=3, **COMMON)  # fmt: skip
    before = {name: p.detach().clone() for name, p in manager.peft_model.named_parameters()}
    trainer = CrossLingualTrainer(
        manager.peft_model, args, train_dataset=task_dataset(tokenizer, 8), processing_class=tokenizer,
        parallel_dataset=parallel_dataset(tokenizer, 8), adapter_manager=manager,
    )  # fmt: skip
    trainer.train()
    changed = {name for name, p in manager.peft_model.named_parameters() if not torch.equal(p, before[name])}
    assert any(".task_sentiment." in name for name in changed)
    assert not any(".lang_" in name for name in changed)  # language adapters stay frozen
    assert trainer.state.log_history[0]["alignment_loss"] > 0


def test_it_needs_the_manager_and_row_languages(manager, tmp_path):
    tokenizer = tiny_tokenizer()
    args = CrossLingualTrainingArguments(str(tmp_path), alignment_weight=1.0, auxiliary_language_adapters=True,
                                         **COMMON)  # fmt: skip
    pairs = parallel_dataset(tokenizer, 8)
    with pytest.raises(ValueError, match="needs the trainer's `adapter_manager`"):
        CrossLingualTrainer(manager.peft_model, args, train_dataset=task_dataset(tokenizer, 8), parallel_dataset=pairs)
    trainer = CrossLingualTrainer(
        manager.peft_model, args, train_dataset=task_dataset(tokenizer, 8), parallel_dataset=pairs,
        processing_class=tokenizer, adapter_manager=manager,
    )  # fmt: skip
    batch = trainer._prepare_inputs(next(iter(trainer.get_train_dataloader())))
    del batch[PAIR_TARGET_PREFIX + "lang_labels"]
    with pytest.raises(ValueError, match="no `pair_target_lang_labels`"):
        trainer._auxiliary_forward(manager.peft_model, batch, [PAIR_SOURCE_PREFIX, PAIR_TARGET_PREFIX], False)
