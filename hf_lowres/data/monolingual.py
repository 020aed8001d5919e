"""Loading monolingual text (for masked-LM training and as the input of back-translation)."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
from datasets import Dataset, IterableDataset

from .cleaning import RowCleaner
from .errors import CorpusFormatError
from .language_names import resolve_language
from .parallel_loaders import _csv_delimiter, _jsonl_records, read_csv_header
from .schema import MONOLINGUAL_FEATURES
from .text_reading import LineTracker, check_not_empty, iter_lines


_TABLE_SUFFIXES = (".csv", ".tsv", ".tab", ".jsonl", ".json", ".parquet")


def _missing_column(path, column, found):
    return CorpusFormatError(f"missing column {column!r}; columns found: {sorted(found)}.", path)


def _texts(path: str, column: str | None) -> Iterator[str]:
    suffix = Path(path).suffix.lower()
    if suffix not in _TABLE_SUFFIXES:
        for _, line in iter_lines(path):
            yield line
        return
    if column is None:
        raise ValueError(f"{path}: pass `column`, the column holding the text of a {suffix} file.")
    if suffix in (".jsonl", ".json"):
        seen = False
        for number, record in _jsonl_records(path):
            if record is None:
                yield ""
                continue
            if column not in record:
                raise CorpusFormatError(f"missing field {column!r}; fields found: {sorted(record)}.", path, number)
            seen = True
            yield record[column] or ""
        if not seen:
            raise CorpusFormatError("the file holds no JSON rows; expected one JSON object per line.", path)
    elif suffix == ".parquet":
        check_not_empty(path, "a parquet file")
        parquet = pq.ParquetFile(path)
        if column not in parquet.schema_arrow.names:
            raise _missing_column(path, column, parquet.schema_arrow.names)
        for batch in parquet.iter_batches(columns=[column], batch_size=4096):
            for text in batch.column(0).to_pylist():
                yield text or ""
    else:
        delimiter = _csv_delimiter(path, None)
        header = read_csv_header(path, delimiter)
        if column not in header:
            raise CorpusFormatError(f"missing column {column!r}; columns found: {header}.", path, 1)
        position = header.index(column)
        tracker = LineTracker(path, "a header row then one row per sentence")
        quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
        reader = csv.reader(tracker, delimiter=delimiter, quoting=quoting)
        next(reader)
        n_rows = 0
        for row in reader:
            n_rows += 1
            if not row:
                yield ""
                continue
            if len(row) != len(header):
                raise CorpusFormatError(f"expected {len(header)} fields, found {len(row)}.", path, tracker.line)
            yield row[position]
        if n_rows == 0:
            raise CorpusFormatError("the file has a header but no rows; expected one row per sentence.", path)


def _stream(paths: list[str], column, lang, drop_empty, drop_duplicates):
    cleaner = RowCleaner(" + ".join(paths), drop_empty, drop_duplicates)
    for path in paths:
        for text in _texts(path, column):
            if cleaner.keep(text):
                yield {"text": text.strip(), "lang": lang}
    cleaner.report.log()


def load_monolingual(
    path: str | os.PathLike | list,
    lang: str,
    column: str | None = None,
    streaming: bool = False,
    drop_empty: bool = True,
    drop_duplicates: bool = True,
    return_report: bool = False,
):
    """Loads monolingual sentences (features `MONOLINGUAL_FEATURES`: ``text``, ``lang``).

    Args:
        path (`str`, `os.PathLike` or a list of them): plain text files with a sentence per line, or CSV/TSV, JSONL
            or parquet files with the text in `column`.
        lang (`str`): the language code (or English name) of the text.
        column (`str`, *optional*): the text column of a table file.
        streaming (`bool`, defaults to `False`): read lazily and return a `datasets.IterableDataset`.
        drop_empty (`bool`, defaults to `True`): drop empty lines; they are always counted and logged.
        drop_duplicates (`bool`, defaults to `True`): drop exact repeats; they are always counted and logged.
        return_report (`bool`, defaults to `False`): also return the `CleaningReport` (not with streaming).

    Raises:
        CorpusFormatError: an empty file, undecodable bytes (file and line), a missing column (the columns found are
            listed), an ill-formed language code.
    """
    lang = resolve_language(lang, "lang")
    paths = [str(p) for p in (path if isinstance(path, (list, tuple)) else [path])]
    kwargs = {"paths": paths, "column": column, "lang": lang}
    kwargs.update(drop_empty=drop_empty, drop_duplicates=drop_duplicates)
    if streaming:
        if return_report:
            raise ValueError("`return_report=True` needs `streaming=False`: a stream is counted as it is read.")
        return IterableDataset.from_generator(_stream, features=MONOLINGUAL_FEATURES, gen_kwargs=kwargs)
    cleaner = RowCleaner(" + ".join(paths), drop_empty, drop_duplicates)
    texts = [text.strip() for p in paths for text in _texts(p, column) if cleaner.keep(text)]
    cleaner.report.log()
    dataset = Dataset.from_dict({"text": texts, "lang": [lang] * len(texts)}, features=MONOLINGUAL_FEATURES)
    return (dataset, cleaner.report) if return_report else dataset
