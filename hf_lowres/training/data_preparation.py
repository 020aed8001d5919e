"""Tokenization of the three step sources (task rows, unlabeled text, parallel pairs) into the trainer's columns.

See `hf_lowres.training.collators` for the columns each source needs.
"""

from __future__ import annotations

from datasets import Dataset


def _check_column(dataset: Dataset, column: str, what: str) -> None:
    if column not in dataset.column_names:
        raise ValueError(f"{what}: expected a column {column!r}; columns found: {dataset.column_names}.")


def tokenize_text(
    dataset: Dataset,
    tokenizer,
    max_length: int = 128,
    text_column: str = "text",
    language: str | None = None,
    label_column: str | None = None,
) -> Dataset:
    """Sentences -> `input_ids`, `attention_mask`, the language column `lang`, and `labels` when `label_column` is
    given (unlabeled text for MLM or the discriminator; labeled rows for classification).

    The language comes from a `lang` column, or from `language` for the whole dataset.
    """
    _check_column(dataset, text_column, "tokenize_text")
    if label_column is not None:
        _check_column(dataset, label_column, "tokenize_text")
    if language is None:
        _check_column(dataset, "lang", "tokenize_text (no `language` given)")

    def encode(batch):
        encoded = tokenizer(batch[text_column], truncation=True, max_length=max_length)
        encoded["lang"] = batch["lang"] if language is None else [language] * len(batch[text_column])
        if label_column is not None:
            encoded["labels"] = batch[label_column]
        return encoded

    return dataset.map(encode, batched=True, remove_columns=dataset.column_names, desc="tokenizing")


def tokenize_pairs(corpus: Dataset, tokenizer, max_length: int = 128) -> Dataset:
    """Parallel pairs in the corpus schema -> `source_*` / `target_*` token columns plus their languages."""
    for column in ("source_text", "target_text", "source_lang", "target_lang"):
        _check_column(corpus, column, "tokenize_pairs")

    def encode(batch):
        source = tokenizer(batch["source_text"], truncation=True, max_length=max_length)
        target = tokenizer(batch["target_text"], truncation=True, max_length=max_length)
        row = {f"source_{k}": v for k, v in source.items()}
        row.update({f"target_{k}": v for k, v in target.items()})
        row["source_lang"], row["target_lang"] = batch["source_lang"], batch["target_lang"]
        return row

    return corpus.map(encode, batched=True, remove_columns=corpus.column_names, desc="tokenizing pairs")


def tokenize_translation(corpus: Dataset, tokenizer, max_length: int = 128) -> Dataset:
    """Parallel pairs -> seq2seq rows: `input_ids`/`attention_mask` of the source, `labels` of the target, `lang`."""
    for column in ("source_text", "target_text", "source_lang"):
        _check_column(corpus, column, "tokenize_translation")

    def encode(batch):
        encoded = tokenizer(
            batch["source_text"], text_target=batch["target_text"], truncation=True, max_length=max_length
        )
        encoded["lang"] = batch["source_lang"]
        return encoded

    return corpus.map(encode, batched=True, remove_columns=corpus.column_names, desc="tokenizing translation pairs")


def parse_language_files(specs: list[str], what: str = "files") -> dict[str, str]:
    """`["jav=path/jav.txt", "sun=path/sun.csv"]` -> `{"jav": "path/jav.txt", "sun": "path/sun.csv"}`."""
    files = {}
    for spec in specs:
        language, sep, path = spec.partition("=")
        if not sep or not language or not path:
            raise ValueError(f"{what}: expected entries of the form LANG=PATH (e.g. jav=data/jav.txt), got {spec!r}.")
        if language in files:
            raise ValueError(f"{what}: language {language!r} is given twice.")
        files[language] = path
    return files


def load_parallel_file(path: str, source_lang: str, target_lang: str) -> Dataset:
    """Parallel pairs from a multi-way CSV/TSV (one column per language, as NusaX-MT), a corpus saved with
    `Dataset.save_to_disk` (e.g. by the back_translate recipe), or files/a repo `load_parallel_corpus` reads."""
    import os

    from datasets import load_from_disk

    from ..data import load_multiway_csv, load_parallel_corpus

    if path.endswith((".csv", ".tsv")):
        return load_multiway_csv(path, source_lang, target_lang)
    if os.path.isdir(path) and os.path.isfile(os.path.join(path, "dataset_info.json")):
        return load_from_disk(path)
    return load_parallel_corpus(path, source_lang, target_lang, split="train")
