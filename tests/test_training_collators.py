"""`CrossLingualDataCollator`, `CrossLingualStepDataset` and the column checks."""

import pytest
import torch
from training_fixtures import (  # noqa: F401 - single_thread is an autouse fixture
    LANGUAGES,
    parallel_dataset,
    single_thread,
    task_dataset,
    tiny_classifier,
    unlabeled_dataset,
)
from transformers import DataCollatorWithPadding

from hf_lowres.testing_utils import tiny_tokenizer
from hf_lowres.training import (
    CrossLingualDataCollator,
    CrossLingualStepDataset,
    CrossLingualTrainer,
    CrossLingualTrainingArguments,
)


LANG2ID = {code: i for i, code in enumerate(LANGUAGES)}


@pytest.fixture(scope="module")
def tokenizer():
    return tiny_tokenizer()


@pytest.fixture(scope="module")
def step_dataset(tokenizer):
    return CrossLingualStepDataset(
        task_dataset(tokenizer, 8), unlabeled_dataset(tokenizer), parallel_dataset(tokenizer, 8)
    )


def test_step_batch_keys_shapes_and_languages(tokenizer, step_dataset):
    collator = CrossLingualDataCollator(LANG2ID, DataCollatorWithPadding(tokenizer), pad_token_id=0)
    keys = [(0, 0, 1), (1, 30, 2), (2, 40, 3)]
    batch = collator([step_dataset[key] for key in keys])
    expected = {"input_ids", "attention_mask", "labels", "lang_labels"}
    for prefix in ("unlabeled_", "pair_source_", "pair_target_"):
        expected |= {prefix + name for name in ("input_ids", "attention_mask", "lang_labels")}
    assert set(batch) == expected
    assert all(batch[k].shape[0] == 3 for k in batch)
    task = step_dataset.task_dataset
    assert batch["lang_labels"].tolist() == [LANG2ID[task[i]["lang"]] for i in range(3)]
    assert batch["unlabeled_lang_labels"].tolist() == [0, 1, 2]  # rows 0, 30, 40: eng, ind, jav
    assert batch["pair_source_lang_labels"].tolist() == [0, 0, 0]
    assert batch["pair_target_lang_labels"].tolist() == [2, 2, 2]
    # Right padding: the attention mask counts each row's tokens.
    pairs = step_dataset.parallel_dataset
    lengths = [len(pairs[k[2]]["target_input_ids"]) for k in keys]
    assert batch["pair_target_attention_mask"].sum(1).tolist() == lengths
    row = batch["pair_target_input_ids"][0]
    assert row[: lengths[0]].tolist() == pairs[1]["target_input_ids"] and (row[lengths[0] :] == 0).all()


def test_plain_task_rows_and_default_padding(tokenizer):
    rows = [task_dataset(tokenizer, 4)[i] for i in range(4)]
    batch = CrossLingualDataCollator(LANG2ID)(rows)
    assert batch["labels"].tolist() == [row["labels"] for row in rows]
    assert batch["attention_mask"].sum(1).tolist() == [len(row["input_ids"]) for row in rows]
    assert "text" not in batch  # raw text columns are not handed to the model


def test_language_values(tokenizer):
    collator = CrossLingualDataCollator(LANG2ID)
    assert collator.language_ids([{"lang": "jav"}, {"lang": None}, {"lang": 1}], "lang").tolist() == [2, -100, 1]
    with pytest.raises(ValueError, match=r"unknown language 'sun'.*\['eng', 'ind', 'jav'\]"):
        collator.language_ids([{"lang": "sun"}], "lang")
    with pytest.raises(ValueError, match="outside"):
        collator.language_ids([{"lang": 7}], "lang")


def test_missing_column_in_rows_lists_expected_and_found(tokenizer):
    pairs = parallel_dataset(tokenizer, 4).rename_column("target_input_ids", "tgt_ids")
    dataset = CrossLingualStepDataset(task_dataset(tokenizer, 4), parallel_dataset=pairs)
    with pytest.raises(ValueError) as error:
        CrossLingualDataCollator(LANG2ID)([dataset[(0, None, 0)]])
    message = str(error.value)
    assert "the parallel data lacks the column(s) ['target_input_ids']" in message
    assert "Expected: ['source_input_ids', 'target_input_ids']" in message and "'tgt_ids'" in message


@pytest.mark.parametrize(
    "source, rename, message",
    [
        ("parallel", ("source_input_ids", "src"), "the parallel dataset lacks the column(s) ['source_input_ids']"),
        ("unlabeled", ("lang", "language"), "the unlabeled dataset lacks the column(s) ['lang']"),
        ("task", ("input_ids", "ids"), "the task dataset lacks the column(s) ['input_ids']"),
    ],
)
def test_trainer_checks_columns_up_front(tokenizer, tmp_path, source, rename, message):
    data = {
        "task": task_dataset(tokenizer, 4),
        "unlabeled": unlabeled_dataset(tokenizer),
        "parallel": parallel_dataset(tokenizer, 4),
    }
    data[source] = data[source].rename_column(*rename)
    args = CrossLingualTrainingArguments(tmp_path, adversarial_weight=0.1, alignment_weight=1.0, report_to="none")
    with pytest.raises(ValueError) as error:
        CrossLingualTrainer(
            tiny_classifier(),
            args,
            train_dataset=data["task"],
            unlabeled_dataset=data["unlabeled"],
            parallel_dataset=data["parallel"],
        )
    assert message in str(error.value)
    assert "Found: [" in str(error.value) and repr(rename[1]) in str(error.value)


def test_alignment_without_pairs_is_refused(tokenizer, tmp_path):
    args = CrossLingualTrainingArguments(tmp_path, alignment_weight=1.0, report_to="none")
    with pytest.raises(ValueError, match="needs a `parallel_dataset`"):
        CrossLingualTrainer(tiny_classifier(), args, train_dataset=task_dataset(tokenizer, 4))


def test_collated_batch_is_a_valid_model_input(tokenizer, step_dataset):
    collator = CrossLingualDataCollator(LANG2ID, DataCollatorWithPadding(tokenizer))
    batch = collator([step_dataset[(i, i, i)] for i in range(4)])
    model = tiny_classifier()
    task = {k: v for k, v in batch.items() if not k.startswith(("unlabeled_", "pair_"))}
    out = model(**task)
    assert out.loss is not None and out.lang_loss is not None
    pair = {k[len("pair_source_") :]: v for k, v in batch.items() if k.startswith("pair_source_")}
    assert model(**pair).pooled_output.shape == (4, 32)
    assert isinstance(batch["labels"], torch.Tensor)
