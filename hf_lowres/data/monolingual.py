"""Loading monolingual text (for masked-LM training and as the input of back-translation).

The text is read through `text_reading` (universal newlines, UTF-8 checked, strict CSV) and cleaned by
`RowCleaner`: empty rows and exact duplicates are counted, logged as a warning by reason and, by default, dropped.
Nothing else is dropped: a JSON value that is not a string (``0``, ``false``, a list), a NUL character, a column named
twice or a malformed CSV record raise `CorpusFormatError` naming the file, line and column or field.

No rows: a loader never returns an empty dataset. A file without a single row holding text (an empty file, a header
without rows, only blank lines or empty texts) raises `CorpusFormatError` naming it, whatever `drop_empty` says.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from datasets import Dataset, DatasetInfo, IterableDataset
from datasets.fingerprint import generate_random_fingerprint
from datasets.table import InMemoryTable

from .cleaning import RowCleaner
from .errors import CorpusFormatError
from .language_names import resolve_language
from .parallel_loaders import _csv_delimiter, _jsonl_records
from .schema import MONOLINGUAL_FEATURES
from .text_reading import check_not_empty, column_position, iter_csv, iter_lines, json_text


_TABLE_SUFFIXES = (".csv", ".tsv", ".tab", ".jsonl", ".json", ".parquet")

# The eager path turns the kept texts into Arrow every this many rows (or characters), so that the Python strings
# never outnumber one batch: the Dataset then costs about the file's size instead of ~12x (issue 14).
_BATCH_ROWS = 50_000
_BATCH_CHARS = 1 << 26


def _parquet_texts(path: str, column: str) -> Iterator[str]:
    check_not_empty(path, "a parquet file")
    parquet = pq.ParquetFile(path)
    names = parquet.schema_arrow.names
    if column not in names:
        raise CorpusFormatError(f"missing column {column!r}; columns found: {sorted(names)}.", path)
    kind = parquet.schema_arrow.field(column).type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)):
        raise CorpusFormatError(f"column {column!r} has type {kind}; expected a string column.", path)
    row = 0
    for batch in parquet.iter_batches(columns=[column], batch_size=4096):
        for text in batch.column(0).to_pylist():
            if text is None:
                text = ""
            elif "\x00" in text:
                raise CorpusFormatError(
                    f"row {row}: column {column!r} holds a NUL character; expected text without NUL characters.", path
                )
            row += 1
            yield text


def _texts(path: str, column: str | None) -> Iterator[str]:
    """Every text of one file in order, blank ones included (``""`` for a blank line or a null)."""
    suffix = Path(path).suffix.lower()
    if suffix not in _TABLE_SUFFIXES:
        for _, line in iter_lines(path):
            yield line
        return
    if column is None:
        raise ValueError(f"{path}: pass `column`, the column holding the text of a {suffix} file.")
    if suffix in (".jsonl", ".json"):
        for number, record in _jsonl_records(path):
            if record is None:
                yield ""
                continue
            if column not in record:
                raise CorpusFormatError(f"missing field {column!r}; fields found: {sorted(record)}.", path, number)
            yield json_text(record[column], path, number, column)
    elif suffix == ".parquet":
        yield from _parquet_texts(path, column)
    else:
        records = iter_csv(path, _csv_delimiter(path, None), "a header row then one row per sentence")
        _, header = next(records)
        position = column_position(header, column, path)
        n_rows = 0
        for _, row in records:
            n_rows += 1
            yield row[position] if row else ""
        if n_rows == 0:
            raise CorpusFormatError("the file has a header but no rows; expected one row per sentence.", path)


def _kept_texts(paths: list[str], column: str | None, cleaner: RowCleaner) -> Iterator[str]:
    """The stripped texts `cleaner` keeps; a file without a row holding text raises (the "no rows" rule)."""
    report = cleaner.report
    for path in paths:
        total, with_text = report.total, report.with_text
        for text in _texts(path, column):
            if cleaner.keep(text):
                yield text.strip()
        if report.with_text == with_text:
            expected = "one sentence per line" if column is None else f"text in column {column!r}"
            n_rows = report.total - total
            found = f"no row holds text: {n_rows} rows read, all empty" if n_rows else "the file holds no rows"
            raise CorpusFormatError(f"{found}; expected {expected}.", path)


def _stream(paths: list[str], column, lang, drop_empty, drop_duplicates):
    cleaner = RowCleaner(" + ".join(paths), drop_empty, drop_duplicates)
    for text in _kept_texts(paths, column, cleaner):
        yield {"text": text, "lang": lang}
    cleaner.report.log()


def _in_memory(paths: list[str], column: str | None, lang: str, cleaner: RowCleaner) -> Dataset:
    chunks, batch, chars = [], [], 0
    for text in _kept_texts(paths, column, cleaner):
        batch.append(text)
        chars += len(text)
        if len(batch) >= _BATCH_ROWS or chars >= _BATCH_CHARS:
            chunks.append(pa.array(batch, type=pa.string()))
            batch, chars = [], 0
    if batch or not chunks:
        chunks.append(pa.array(batch, type=pa.string()))
    # Chunks of equal length share one array of language codes (its buffers are not copied).
    lang_arrays = {n: pa.repeat(pa.scalar(lang, pa.string()), n) for n in {len(chunk) for chunk in chunks}}
    langs = [lang_arrays[len(chunk)] for chunk in chunks]
    table = pa.Table.from_arrays(
        [pa.chunked_array(chunks, pa.string()), pa.chunked_array(langs, pa.string())],
        schema=MONOLINGUAL_FEATURES.arrow_schema,
    )
    # An explicit fingerprint: deriving one would pickle (copy) the whole table to hash it.
    return Dataset(
        InMemoryTable(table),
        info=DatasetInfo(features=MONOLINGUAL_FEATURES),
        fingerprint=generate_random_fingerprint(),
    )


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

    Every row read is either returned or counted in the `CleaningReport` under the reason it was dropped (empty,
    exact duplicate); the counts are logged as a warning when a row was dropped. Texts are stripped of surrounding
    whitespace. A JSON null is read as an empty text; a line ended by a lone ``\\r`` counts as a line (the number of
    such lines is logged). The in-memory dataset is built in Arrow batches and costs about the file's size in
    memory; ``streaming=True`` reads lazily.

    Args:
        path (`str`, `os.PathLike` or a list of them): plain text files with a sentence per line, or CSV/TSV, JSONL
            or parquet files with the text in `column`.
        lang (`str`): the language code (or English name) of the text.
        column (`str`, *optional*): the text column of a table file.
        streaming (`bool`, defaults to `False`): read lazily and return a `datasets.IterableDataset`; errors are
            raised when the faulty row is reached.
        drop_empty (`bool`, defaults to `True`): drop empty lines; they are always counted and logged.
        drop_duplicates (`bool`, defaults to `True`): drop exact repeats; they are always counted and logged.
        return_report (`bool`, defaults to `False`): also return the `CleaningReport` (not with streaming).

    Raises:
        CorpusFormatError: a file without a row holding text (empty, a header only, only blank lines or empty texts),
            undecodable bytes or a NUL character (file, line and column), a missing column or one named twice (the
            columns found are listed), a JSON text that is not a string (file, line and field), a malformed CSV
            record (an unclosed quote is named at the line and column where it opens), an ill-formed language code.
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
    dataset = _in_memory(paths, column, lang, cleaner)
    cleaner.report.log()
    return (dataset, cleaner.report) if return_report else dataset
