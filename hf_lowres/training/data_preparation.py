"""Tokenization of the three step sources (task rows, unlabeled text, parallel pairs) into the trainer's columns.

See `hf_lowres.training.collators` for the columns each source needs.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re

from datasets import Dataset, Features, Value

from ..data.errors import CorpusFormatError
from ..data.text_reading import JsonLines


logger = logging.getLogger(__name__)

LABELED_FILE_SUFFIXES = (".csv", ".tsv", ".json", ".jsonl", ".parquet")


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


def tokenize_translation(
    corpus: Dataset, tokenizer, max_length: int = 128, decoder_start_token_id: int | None = None
) -> Dataset:
    """Parallel pairs -> seq2seq rows: `input_ids`/`attention_mask` of the source, `labels` of the target, `lang`.

    With `decoder_start_token_id`, a label sequence that starts with that token (a BERT-style tokenizer's CLS under
    a BERT2BERT decoder that starts from CLS) loses it: the decoder is fed it first anyway, and learning to predict
    it again teaches the decoder to repeat it instead of translating.
    """
    for column in ("source_text", "target_text", "source_lang"):
        _check_column(corpus, column, "tokenize_translation")

    def encode(batch):
        encoded = tokenizer(
            batch["source_text"], text_target=batch["target_text"], truncation=True, max_length=max_length
        )
        if decoder_start_token_id is not None:
            start = decoder_start_token_id
            encoded["labels"] = [ids[1:] if ids and ids[0] == start else ids for ids in encoded["labels"]]
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


def load_monolingual_text(path: str, language: str, column: str | None = None) -> Dataset:
    """`hf_lowres.data.load_monolingual`, refusing a result with no sentences (every line was blank or a repeat)."""
    from ..data import load_monolingual

    text = load_monolingual(path, language, column=column)
    if len(text) == 0:
        raise CorpusFormatError("no sentences left once blank and duplicate lines were dropped.", path)
    return text


def load_parallel_pairs(path: str, source_lang: str, target_lang: str) -> Dataset:
    """`load_parallel_file`, refusing a missing local path and a result with no pairs (every row was blank or a
    duplicate)."""
    looks_local = os.path.isabs(path) or path.startswith(".") or os.path.splitext(path)[1] != ""
    if looks_local and not os.path.exists(path):
        raise FileNotFoundError(
            f"{path}: no such file or directory; expected a multi-way csv/tsv, a saved corpus, or a Hub dataset repo."
        )
    pairs = load_parallel_file(path, source_lang, target_lang)
    if len(pairs) == 0:
        raise CorpusFormatError(
            f"no {source_lang}-{target_lang} pairs left once blank and duplicate rows were dropped.", path
        )
    return pairs


def load_saved_corpus(path: str, source_lang: str, target_lang: str) -> Dataset:
    """A corpus saved with `Dataset.save_to_disk` (e.g. the back_translate recipe's `<output_dir>/corpus`), checked
    to follow the corpus schema, to hold pairs, and to be of the `source_lang` -> `target_lang` direction.

    Raises:
        FileNotFoundError: `path` is not a directory saved by `save_to_disk`.
        CorpusFormatError: a missing corpus column, no pairs, or pairs of other languages.
    """
    from datasets import load_from_disk

    from ..data import resolve_language, validate_corpus

    if not os.path.isfile(os.path.join(path, "dataset_info.json")):
        what = "no such directory" if not os.path.isdir(path) else "no dataset_info.json in the directory"
        raise FileNotFoundError(f"{path}: {what}; expected a corpus saved by the back_translate recipe (its corpus/).")
    corpus = load_from_disk(path)
    if not isinstance(corpus, Dataset):
        raise CorpusFormatError(f"holds a {type(corpus).__name__}; expected one saved Dataset.", path)
    validate_corpus(corpus, path)
    if len(corpus) == 0:
        raise CorpusFormatError("the corpus holds no pairs.", path)
    expected = (resolve_language(source_lang, "source_lang"), resolve_language(target_lang, "target_lang"))
    found = sorted(set(zip(corpus["source_lang"], corpus["target_lang"], strict=True)))
    if found != [expected]:
        raise CorpusFormatError(
            f"holds pairs of the direction(s) {[f'{s}-{t}' for s, t in found]}; expected only "
            f"{expected[0]}-{expected[1]} (the synthetic side is the source).",
            path,
        )
    return corpus


def load_labeled_file(
    path: str, class_names: list[str], text_column: str = "text", label_column: str = "label"
) -> Dataset:
    """Reads labeled examples for classification, checking every row, into the columns `text_column` (`str`) and
    `label_column` (the `int` id of the label in `class_names`).

    The file is a UTF-8 CSV (comma-separated, CSV quoting) or TSV (tab-separated, no quoting) with a header row,
    JSON Lines (``.jsonl``, or ``.json`` unless it holds a JSON array of objects), or parquet. Other columns are
    ignored. A label is a class name, or an integer id in ``[0, len(class_names))`` (also written as digits). Blank
    lines are skipped and counted (logged at WARNING); nothing else is dropped or changed.

    Args:
        path (`str`): the file.
        class_names (`list[str]`): the class names, in id order.
        text_column (`str`, defaults to `"text"`): the column holding the text.
        label_column (`str`, defaults to `"label"`): the column holding the label.

    Raises:
        FileNotFoundError: the file does not exist.
        CorpusFormatError: an empty file, undecodable bytes, malformed CSV/JSON, a missing or repeated column (the
            header is shown), a row with the wrong number of fields, an empty or non-text text, an unknown label, or
            no rows at all; each names the file, the line (or row) and what was expected.
    """
    path = str(path)
    suffix = os.path.splitext(path)[1].lower()
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such file.")
    if suffix not in LABELED_FILE_SUFFIXES:
        raise CorpusFormatError(
            f"unsupported file type {suffix!r}; expected one of {list(LABELED_FILE_SUFFIXES)}.", path
        )
    columns = [text_column, label_column]
    expected = f"a column {text_column!r} (the text) and a column {label_column!r} (the label)"
    if suffix == ".parquet":
        rows = _parquet_rows(path, columns, expected)
    else:
        content = _read_utf8(path)
        if not content.strip():
            raise CorpusFormatError(f"the file is empty; expected {expected}, then one row per example.", path)
        if suffix in (".csv", ".tsv"):
            rows = _csv_rows(path, content, "\t" if suffix == ".tsv" else ",", columns)
        elif suffix == ".json" and content.lstrip().startswith("["):
            rows = _json_array_rows(path, content, columns)
        else:
            rows = _jsonl_rows(path, content, columns)
    texts, labels = [], []
    for line, where, (text, label) in rows:
        if not isinstance(text, str) or not text.strip():
            found = "is empty" if isinstance(text, str) else f"is {text!r}, not text"
            raise CorpusFormatError(f"{where}the {text_column!r} value {found}; expected a sentence.", path, line)
        texts.append(text)
        labels.append(_label_id(label, class_names, f"{where}the {label_column!r} value", path, line))
    if not texts:
        raise CorpusFormatError(
            "the file holds no examples (a header or blank lines only); expected one row each.", path
        )
    features = Features({text_column: Value("string"), label_column: Value("int64")})
    return Dataset.from_dict({text_column: texts, label_column: labels}, features=features)


def _read_utf8(path: str) -> str:
    with open(path, "rb") as f:
        raw = f.read()
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        bad = raw[e.start : e.start + 4]
        raise CorpusFormatError(f"undecodable bytes {bad!r} ({e.reason}); expected UTF-8 text.", path, line) from None
    return content.removeprefix("\ufeff")


def _label_id(value, class_names: list[str], what: str, path: str, line: int | None) -> int:
    if isinstance(value, str):
        if value in class_names:
            return class_names.index(value)
        if re.fullmatch(r"-?[0-9]+", value):
            value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(class_names):
        return value
    raise CorpusFormatError(
        f"{what} {value!r} is neither a class name of {class_names} nor an id in [0, {len(class_names)}).", path, line
    )


def _log_blank_lines(path: str, count: int) -> None:
    if count:
        logger.warning("%s: skipped %d blank line(s).", path, count)


def _csv_rows(path: str, content: str, delimiter: str, columns: list[str]):
    """Yields ``(line, "", values)`` per data row, `line` being the line the row starts on."""
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    separator = "tab" if delimiter == "\t" else "comma"
    # newline="": rows end at \n, \r\n and a lone \r alike, while quoted fields keep theirs.
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter, quoting=quoting, strict=True)
    header, positions, blank = None, [], 0
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            raise CorpusFormatError(
                f"malformed CSV ({e}) in the row starting on this line; expected {separator}-separated fields, a "
                "field with quotes inside being quoted as a whole, its quotes doubled.",
                path,
                start,
            ) from None
        if not row:
            blank += 1
            continue
        if header is None:
            header = row
            for column in columns:
                found = [i for i, name in enumerate(header) if name == column]
                if len(found) != 1:
                    problem = "missing column" if not found else f"{len(found)} columns named"
                    raise CorpusFormatError(
                        f"{problem} {column!r}; expected exactly one (the header row is {header}).", path, start
                    )
                positions.append(found[0])
            continue
        if len(row) != len(header):
            raise CorpusFormatError(
                f"expected {len(header)} fields (one per header column {header}), found {len(row)}.", path, start
            )
        yield start, "", tuple(row[i] for i in positions)
    _log_blank_lines(path, blank)


def _jsonl_rows(path: str, content: str, columns: list[str]):
    reader = JsonLines(enumerate(io.StringIO(content, newline=""), start=1), path)
    for number, record in reader:
        yield number, "", _record_values(record, columns, path, number, "")
    _log_blank_lines(path, reader.blank_lines)


def _json_array_rows(path: str, content: str, columns: list[str]):
    try:
        records = json.loads(content)
    except json.JSONDecodeError as e:
        raise CorpusFormatError(
            f"not valid JSON ({e.msg} at column {e.colno}); expected an array of objects or one object per line.",
            path,
            e.lineno,
        ) from None
    for number, record in enumerate(records, start=1):
        where = f"item {number} of the array: "
        yield None, where, _record_values(record, columns, path, None, where)


def _record_values(record, columns: list[str], path: str, line: int | None, where: str) -> tuple:
    if not isinstance(record, dict):
        raise CorpusFormatError(f"{where}expected a JSON object, found {type(record).__name__}.", path, line)
    missing = [column for column in columns if column not in record]
    if missing:
        raise CorpusFormatError(f"{where}missing field(s) {missing}; fields found: {sorted(record)}.", path, line)
    return tuple(record[column] for column in columns)


def _parquet_rows(path: str, columns: list[str], expected: str):
    import pyarrow as pa
    import pyarrow.parquet as pq

    if os.path.getsize(path) == 0:
        raise CorpusFormatError(f"the file is empty; expected {expected}.", path)
    try:
        names = pq.ParquetFile(path).schema_arrow.names
        table = pq.read_table(path, columns=[column for column in columns if column in names])
    except (pa.ArrowException, OSError) as e:
        raise CorpusFormatError(f"not a readable parquet file ({e}).", path) from None
    missing = [column for column in columns if column not in names]
    if missing:
        raise CorpusFormatError(f"missing column(s) {missing}; columns found: {names}.", path)
    values = [table.column(column).to_pylist() for column in columns]
    for number, row in enumerate(zip(*values), start=1):
        yield None, f"row {number}: ", row
