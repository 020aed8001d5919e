r"""Datasets and collators that build a cross-lingual training step from up to three sources.

A step of `CrossLingualTrainer` draws from:

Task data (`train_dataset`): the task loss; labeled data in the source language(s), or unlabeled text for MLM.
    required: `input_ids`, and `labels` (or `label`) unless the task collator makes them (MLM masking);
    optional: `attention_mask`, `token_type_ids`, the language column (`lang`; required for the discriminator
    when there is no unlabeled text).

Unlabeled text (`unlabeled_dataset`): more examples of every language for the discriminator.
    required: `input_ids`, the language column (`lang`); optional: `attention_mask`, `token_type_ids`.

Parallel pairs (`parallel_dataset`): the alignment loss (and, with their languages, the discriminator).
    required: `source_input_ids`, `target_input_ids`;
    optional: `source_attention_mask`, `target_attention_mask`, `source_token_type_ids`, `target_token_type_ids`,
    `source_lang`, `target_lang`.

Language columns hold codes of the model's `config.languages` (`"jav"`) or their ids; `None` marks an unknown
language (ignored by the discriminator). The column names are settings of `CrossLingualTrainingArguments`.

The collated batch is one flat dict: the task batch under its usual names (`input_ids`, `attention_mask`, `labels`,
`lang_labels`), the unlabeled batch under the prefix `unlabeled_` and the two sides of the pairs under
`pair_source_` and `pair_target_` (`pair_source_input_ids`, `pair_target_lang_labels`, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch.utils.data import Dataset


UNLABELED_PREFIX = "unlabeled_"
PAIR_SOURCE_PREFIX = "pair_source_"
PAIR_TARGET_PREFIX = "pair_target_"
AUXILIARY_PREFIXES = (UNLABELED_PREFIX, PAIR_SOURCE_PREFIX, PAIR_TARGET_PREFIX)
SEQUENCE_COLUMNS = ("input_ids", "attention_mask", "token_type_ids")
TASK_INPUT_COLUMNS = (
    "input_ids",
    "attention_mask",
    "token_type_ids",
    "labels",
    "label",
    "label_ids",
    "special_tokens_mask",
    "decoder_input_ids",
    "decoder_attention_mask",
)
"""Columns of a task row handed to the task collator; other columns (raw text, ids, language) are left out."""


def check_columns(
    found: Sequence[str], required: Sequence[str], optional: Sequence[str] = (), what: str = "dataset"
) -> None:
    """Raises a `ValueError` naming the expected and the found columns when a required column is missing.

    Args:
        found (`Sequence[str]`): the columns the data has.
        required (`Sequence[str]`): the columns it must have.
        optional (`Sequence[str]`): the columns it may have (listed in the message).
        what (`str`): what the data is, for the message (e.g. `"the parallel dataset"`).
    """
    missing = [name for name in required if name not in found]
    if missing:
        optional_text = f"; optional: {list(optional)}" if optional else ""
        raise ValueError(
            f"{what} lacks the column(s) {missing}. Expected: {list(required)}{optional_text}. "
            f"Found: {sorted(found)}. Rename the columns (`dataset.rename_column`) or set the column names in "
            "`CrossLingualTrainingArguments`."
        )


class CrossLingualStepDataset(Dataset):
    """Joins the task, unlabeled and parallel datasets so that one key of `CrossLingualStepSampler` gives one row
    of each.

    `dataset[(task_index, unlabeled_index, pair_index)]` is `{"task": row, "unlabeled": row, "pair": row}` (a
    source whose index is `None` is left out); `dataset[int]` is the task row itself.

    Args:
        task_dataset: the task rows (a `datasets.Dataset` or any indexable of dicts); its length is the epoch's.
        unlabeled_dataset (*optional*): unlabeled rows with a language column.
        parallel_dataset (*optional*): parallel pairs.
    """

    def __init__(self, task_dataset, unlabeled_dataset=None, parallel_dataset=None):
        self.task_dataset = task_dataset
        self.unlabeled_dataset = unlabeled_dataset
        self.parallel_dataset = parallel_dataset

    def __len__(self) -> int:
        return len(self.task_dataset)

    def __getitem__(self, key):
        if isinstance(key, int):
            return self.task_dataset[key]
        task_index, unlabeled_index, pair_index = key
        item = {"task": self.task_dataset[task_index]}
        if unlabeled_index is not None:
            item["unlabeled"] = self.unlabeled_dataset[unlabeled_index]
        if pair_index is not None:
            item["pair"] = self.parallel_dataset[pair_index]
        return item


class CrossLingualDataCollator:
    r"""Collates the rows of a step (task rows, or `CrossLingualStepDataset` items) into one flat batch.

    The task rows go through `task_collator` (padding, MLM masking, ...) after their language column was turned into
    `lang_labels`; unlabeled rows and pair sides are right-padded here. See the module docstring for the expected
    columns and the produced keys.

    Args:
        lang2id (`Mapping[str, int]`): language code -> discriminator class (the model's `config.lang2id`).
        task_collator (`Callable`, *optional*): collates the task rows, e.g. `DataCollatorWithPadding(tokenizer)`,
            `DataCollatorForLanguageModeling(tokenizer)` for MLM, `DataCollatorForTokenClassification(tokenizer)`
            or `DataCollatorForSeq2Seq(tokenizer)`. Without it the task rows are padded like the unlabeled rows,
            and `label` / `labels` are stacked.
        pad_token_id (`int`, defaults to 0): the padding id of unlabeled rows and pair sides.
        language_column (`str`, defaults to `"lang"`): the language column of task and unlabeled rows.
        pair_source_language_column (`str`, defaults to `"source_lang"`), pair_target_language_column (`str`,
            defaults to `"target_lang"`): the language columns of the pairs.
        task_input_columns (`Sequence[str]`): the task columns handed to `task_collator`.
        pad_to_multiple_of (`int`, *optional*): pad unlabeled rows and pair sides to a multiple of this length.

    Example:

    ```python
    >>> collator = CrossLingualDataCollator(model.config.lang2id, DataCollatorWithPadding(tokenizer),
    ...                                     pad_token_id=tokenizer.pad_token_id)
    >>> batch = collator([step_dataset[key] for key in keys])
    >>> sorted(k for k in batch if k.startswith("pair_source_"))
    ['pair_source_attention_mask', 'pair_source_input_ids', 'pair_source_lang_labels']
    ```
    """

    def __init__(
        self,
        lang2id: Mapping[str, int],
        task_collator: Callable[[list[dict]], Mapping[str, Any]] | None = None,
        pad_token_id: int = 0,
        language_column: str = "lang",
        pair_source_language_column: str = "source_lang",
        pair_target_language_column: str = "target_lang",
        task_input_columns: Sequence[str] = TASK_INPUT_COLUMNS,
        pad_to_multiple_of: int | None = None,
    ):
        self.lang2id = dict(lang2id)
        self.task_collator = task_collator
        self.pad_token_id = int(pad_token_id)
        self.language_column = language_column
        self.pair_source_language_column = pair_source_language_column
        self.pair_target_language_column = pair_target_language_column
        self.task_input_columns = tuple(task_input_columns)
        self.pad_to_multiple_of = pad_to_multiple_of

    def __call__(self, features: list[Mapping[str, Any]]) -> dict[str, torch.Tensor]:
        if not features:
            raise ValueError("cannot collate an empty list of rows.")
        if "task" not in features[0]:
            return self.collate_task(features)
        batch = self.collate_task([feature["task"] for feature in features])
        if "unlabeled" in features[0]:
            rows = [feature["unlabeled"] for feature in features]
            check_columns(list(rows[0]), ["input_ids", self.language_column], SEQUENCE_COLUMNS, "the unlabeled data")
            batch.update(self._pad(rows, "", UNLABELED_PREFIX))
            batch[UNLABELED_PREFIX + "lang_labels"] = self.language_ids(rows, self.language_column)
        if "pair" in features[0]:
            rows = [feature["pair"] for feature in features]
            check_columns(
                list(rows[0]),
                ["source_input_ids", "target_input_ids"],
                [
                    "source_attention_mask",
                    "target_attention_mask",
                    "source_token_type_ids",
                    "target_token_type_ids",
                    self.pair_source_language_column,
                    self.pair_target_language_column,
                ],
                "the parallel data",
            )
            for side, prefix, column in (
                ("source_", PAIR_SOURCE_PREFIX, self.pair_source_language_column),
                ("target_", PAIR_TARGET_PREFIX, self.pair_target_language_column),
            ):
                batch.update(self._pad(rows, side, prefix))
                if column in rows[0]:
                    batch[prefix + "lang_labels"] = self.language_ids(rows, column)
        return batch

    def collate_task(self, rows: list[Mapping[str, Any]]) -> dict[str, torch.Tensor]:
        """Collates task rows: the task collator's batch plus `lang_labels` when the rows have a language."""
        check_columns(
            list(rows[0]), ["input_ids"], [*self.task_input_columns[1:], self.language_column], "the task data"
        )
        task_rows = [{k: v for k, v in row.items() if k in self.task_input_columns} for row in rows]
        if self.task_collator is not None:
            batch = dict(self.task_collator(task_rows))
        else:
            batch = self._pad(task_rows, "", "")
            for name in ("labels", "label", "label_ids"):
                if name in task_rows[0]:
                    batch["labels"] = torch.as_tensor([row[name] for row in task_rows])
                    break
        if self.language_column in rows[0]:
            batch["lang_labels"] = self.language_ids(rows, self.language_column)
        return batch

    def language_ids(self, rows: list[Mapping[str, Any]], column: str) -> torch.Tensor:
        """The language ids of `rows[i][column]` (a code of `lang2id`, an id, or `None` -> -100)."""
        ids = []
        for row in rows:
            value = row[column]
            if value is None:
                ids.append(-100)
            elif isinstance(value, str):
                if value not in self.lang2id:
                    raise ValueError(
                        f"unknown language {value!r} in column {column!r}; the model's languages are "
                        f"{list(self.lang2id)}."
                    )
                ids.append(self.lang2id[value])
            else:
                value = int(value)
                if value != -100 and not 0 <= value < len(self.lang2id):
                    raise ValueError(f"language id {value} in column {column!r} is outside [0, {len(self.lang2id)}).")
                ids.append(value)
        return torch.tensor(ids, dtype=torch.long)

    def _pad(self, rows: list[Mapping[str, Any]], source_prefix: str, target_prefix: str) -> dict[str, torch.Tensor]:
        sequences = [list(row[source_prefix + "input_ids"]) for row in rows]
        length = max(len(seq) for seq in sequences)
        if self.pad_to_multiple_of:
            length = -(-length // self.pad_to_multiple_of) * self.pad_to_multiple_of
        input_ids = torch.full((len(rows), length), self.pad_token_id, dtype=torch.long)
        attention_mask = torch.zeros((len(rows), length), dtype=torch.long)
        has_types = source_prefix + "token_type_ids" in rows[0]
        token_type_ids = torch.zeros((len(rows), length), dtype=torch.long) if has_types else None
        for i, (row, seq) in enumerate(zip(rows, sequences)):
            input_ids[i, : len(seq)] = torch.as_tensor(seq, dtype=torch.long)
            mask = row.get(source_prefix + "attention_mask")
            attention_mask[i, : len(seq)] = 1 if mask is None else torch.as_tensor(list(mask), dtype=torch.long)
            if has_types:
                token_type_ids[i, : len(seq)] = torch.as_tensor(list(row[source_prefix + "token_type_ids"]))
        batch = {target_prefix + "input_ids": input_ids, target_prefix + "attention_mask": attention_mask}
        if has_types:
            batch[target_prefix + "token_type_ids"] = token_type_ids
        return batch
