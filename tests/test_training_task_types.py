"""`CrossLingualTrainer` with every kind of task loss: masked LM (language adaptation), token classification,
seq2seq and causal LM, each with the discriminator over unlabeled text and the alignment loss over pairs."""

import math

import pytest
import torch
from training_fixtures import (  # noqa: F401 - single_thread is an autouse fixture
    LANGUAGES,
    parallel_dataset,
    single_thread,
    task_dataset,
    unlabeled_dataset,
)
from transformers import (
    DataCollatorForLanguageModeling,
    DataCollatorForSeq2Seq,
    DataCollatorForTokenClassification,
)

from hf_lowres import (
    LowResConfig,
    LowResForCausalLM,
    LowResForMaskedLM,
    LowResForSeq2SeqLM,
    LowResForTokenClassification,
)
from hf_lowres.testing_utils import tiny_backbone_config, tiny_tokenizer
from hf_lowres.training import COMPONENT_NAMES, CrossLingualTrainer, CrossLingualTrainingArguments


TASKS = {
    "masked_lm": (LowResForMaskedLM, "bert"),
    "token_classification": (LowResForTokenClassification, "xlm-roberta"),
    "seq2seq": (LowResForSeq2SeqLM, "t5"),
    "causal_lm": (LowResForCausalLM, "llama"),
}


@pytest.fixture(scope="module")
def tokenizer():
    return tiny_tokenizer()


def task_setup(task, tokenizer):
    rows = task_dataset(tokenizer, 16).remove_columns(["text"])
    if task == "masked_lm":
        return rows.remove_columns(["labels"]), DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.3)
    if task == "causal_lm":
        return rows.remove_columns(["labels"]), DataCollatorForLanguageModeling(tokenizer, mlm=False)
    if task == "token_classification":
        rows = rows.map(lambda row: {"labels": [i % 2 for i in range(len(row["input_ids"]))]})
        return rows, DataCollatorForTokenClassification(tokenizer)
    rows = rows.map(lambda row: {"labels": row["input_ids"][::-1]})  # "translate" = reverse
    return rows, DataCollatorForSeq2Seq(tokenizer)


@pytest.mark.parametrize("task", list(TASKS))
def test_every_task_loss_trains_with_all_components(tmp_path, tokenizer, task):
    model_class, family = TASKS[task]
    torch.manual_seed(0)
    config = LowResConfig(text_config=tiny_backbone_config(family), languages=LANGUAGES, num_labels=2)
    model = model_class(config)
    before = {n: p.detach().clone() for n, p in model.backbone.named_parameters()}
    train_dataset, collator = task_setup(task, tokenizer)
    args = CrossLingualTrainingArguments(
        str(tmp_path),
        max_steps=2,
        per_device_train_batch_size=4,
        learning_rate=1e-3,
        logging_steps=1,
        adversarial_weight=0.1,
        alignment_weight=0.5,
        report_to="none",
        use_cpu=True,
        disable_tqdm=True,
        save_strategy="no",
    )
    trainer = CrossLingualTrainer(
        model,
        args,
        data_collator=collator,
        train_dataset=train_dataset,
        unlabeled_dataset=unlabeled_dataset(tokenizer),
        parallel_dataset=parallel_dataset(tokenizer, 16),
        processing_class=tokenizer,
    )
    trainer.train()
    logs = [entry for entry in trainer.state.log_history if "loss" in entry]
    assert len(logs) == 2
    for entry in logs:
        assert all(math.isfinite(entry[name]) for name in COMPONENT_NAMES)
        combined = entry["task_loss"] + 0.1 * entry["discriminator_loss"] + 0.5 * entry["alignment_loss"]
        assert entry["loss"] == pytest.approx(combined, rel=1e-5)
    changed = [n for n, p in model.backbone.named_parameters() if not torch.equal(p, before[n])]
    assert len(changed) > len(before) // 2
