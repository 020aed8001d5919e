"""Loaders of parallel corpora into the corpus schema (`CORPUS_FEATURES`).

Formats:

- Moses-style line-aligned files (`load_moses`): ``corpus.eng`` + ``corpus.jav``, sentence *i* of one file
  translating sentence *i* of the other.
- CSV/TSV with one column per language (`load_multiway_csv`), e.g. NusaX-MT's 12-way CSV.
- JSONL whose rows hold ``{"translation": {"eng": ..., "jav": ...}}`` (`load_translation_jsonl`), the format of
  transformers' translation examples.
- A Hub dataset repo or a local directory of parquet/json/csv files (`load_parallel_corpus`).

Every loader can stream (``streaming=True`` returns a `datasets.IterableDataset` that reads the files lazily, for
corpora larger than memory). Empty lines, pairs with one side empty and exact duplicates are counted, logged (as a
warning, by reason) and, by default, dropped (see `CleaningReport`); nothing else is dropped or merged: every other
problem raises `CorpusFormatError` naming the file, line (and column where there is one) and what was expected.

No rows: a loader never returns an empty corpus. A file or split without a single pair with text on both sides (an
empty file, a header without rows, only blank lines or empty texts) raises `CorpusFormatError`, whatever
`drop_empty` says; with ``streaming=True`` it is raised once the data has been read to the end.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import datasets
from datasets import Dataset, DatasetDict, IterableDataset, IterableDatasetDict

from .cleaning import CleaningReport, RowCleaner
from .errors import CorpusFormatError
from .language_names import resolve_language
from .schema import CORPUS_COLUMNS, CORPUS_FEATURES, corpus_from_pairs, validate_corpus
from .text_reading import iter_csv, iter_lines, json_text, read_csv_header


logger = logging.getLogger(__name__)

PairIterator = Iterator[tuple[str, str]]

_PAIRS_EXPECTED = "at least one sentence pair with text on both sides"


def _real_row(source: str, target: str, source_lang: str, target_lang: str) -> dict:
    return {
        "source_text": source,
        "target_text": target,
        "source_lang": source_lang,
        "target_lang": target_lang,
        "origin": "real",
        "provenance": None,
        "quality": None,
    }


def _stream_pairs(pairs: Callable[[], PairIterator], name, source_lang, target_lang, drop_empty, drop_duplicates):
    cleaner = RowCleaner(name, drop_empty, drop_duplicates)
    for source, target in pairs():
        if cleaner.keep(source, target):
            yield _real_row(source.strip(), target.strip(), source_lang, target_lang)
    cleaner.report.log()
    cleaner.report.check_has_text(_PAIRS_EXPECTED)


def build_corpus(
    pairs: Callable[[], PairIterator],
    name: str,
    source_lang: str,
    target_lang: str,
    streaming: bool = False,
    drop_empty: bool = True,
    drop_duplicates: bool = True,
    return_report: bool = False,
):
    """A real-data corpus from a factory of ``(source, target)`` iterators, cleaned as the loaders clean.

    Args:
        pairs (`Callable[[], Iterator[tuple[str, str]]]`): called once per pass over the data.
        name (`str`): what the counts and errors refer to.
        source_lang, target_lang (`str`): the language codes of the two sides.
        streaming (`bool`, defaults to `False`): return a lazily read `datasets.IterableDataset`; its counts are
            logged each time it has been read to the end.
        drop_empty (`bool`, defaults to `True`): drop blank lines and pairs with one side empty.
        drop_duplicates (`bool`, defaults to `True`): drop exact repeats of an earlier pair.
        return_report (`bool`, defaults to `False`): also return the `CleaningReport` (not with streaming).

    Raises:
        CorpusFormatError: no pair has text on both sides (raised at the end of the first pass when streaming).
    """
    if streaming:
        if return_report:
            raise ValueError("`return_report=True` needs `streaming=False`: a stream is counted as it is read.")
        return IterableDataset.from_generator(
            _stream_pairs,
            features=CORPUS_FEATURES,
            gen_kwargs={
                "pairs": pairs,
                "name": name,
                "source_lang": source_lang,
                "target_lang": target_lang,
                "drop_empty": drop_empty,
                "drop_duplicates": drop_duplicates,
            },
        )
    cleaner = RowCleaner(name, drop_empty, drop_duplicates)
    sources, targets = [], []
    for source, target in pairs():
        if cleaner.keep(source, target):
            sources.append(source.strip())
            targets.append(target.strip())
    cleaner.report.log()
    cleaner.report.check_has_text(_PAIRS_EXPECTED)
    dataset = corpus_from_pairs(sources, targets, source_lang, target_lang)
    return (dataset, cleaner.report) if return_report else dataset


def _language_from_suffix(path: str | os.PathLike, argument: str) -> str:
    suffix = Path(path).suffix.lstrip(".")
    if not suffix:
        raise ValueError(f"{path}: cannot tell the language from the file name; pass `{argument}`.")
    try:
        return resolve_language(suffix, argument)
    except ValueError as e:
        raise CorpusFormatError(f"the file extension {suffix!r} is not a language code ({e})", path) from None


def _count_remaining(lines: Iterator) -> int:
    return sum(1 for _ in lines)


def _moses_pairs(source_file, target_file) -> PairIterator:
    source_lines = iter_lines(source_file)
    target_lines = iter_lines(target_file)
    n = 0
    for n, (source, target) in enumerate(itertools.zip_longest(source_lines, target_lines), start=1):
        if source is None or target is None:
            # One file ended early: finish counting the other so that both counts can be reported.
            n_source = n - 1 + (source is not None) + _count_remaining(source_lines)
            n_target = n - 1 + (target is not None) + _count_remaining(target_lines)
            raise CorpusFormatError(
                f"unequal line counts: {source_file} has {n_source} lines but {target_file} has {n_target} lines; "
                "expected line-aligned files with one sentence per line and equal line counts."
            )
        yield source[1], target[1]


def load_moses(
    source_file: str | os.PathLike,
    target_file: str | os.PathLike,
    source_lang: str | None = None,
    target_lang: str | None = None,
    streaming: bool = False,
    drop_empty: bool = True,
    drop_duplicates: bool = True,
    return_report: bool = False,
):
    """Loads a Moses-style pair of line-aligned files (``corpus.eng`` + ``corpus.jav``) into the corpus schema.

    Args:
        source_file, target_file (`str` or `os.PathLike`): UTF-8 files with one sentence per line.
        source_lang, target_lang (`str`, *optional*): language codes; by default the file extensions
            (``corpus.eng`` -> ``eng``).
        streaming (`bool`, defaults to `False`): read lazily and return a `datasets.IterableDataset`.
        drop_empty, drop_duplicates, return_report: see `build_corpus`.

    Raises:
        CorpusFormatError: unequal line counts (both given), an empty file, undecodable bytes (file and line), a
            NUL character (file, line and column), no pair with text on both sides, an ill-formed language code.

    Example:

    ```python
    >>> corpus = load_moses("data/corpus.ind", "data/corpus.jav")
    >>> corpus[0]["source_lang"], corpus[0]["target_lang"], corpus[0]["origin"]
    ('ind', 'jav', 'real')
    ```
    """
    source_lang = resolve_language(source_lang, "source_lang") if source_lang else None
    target_lang = resolve_language(target_lang, "target_lang") if target_lang else None
    source_lang = source_lang or _language_from_suffix(source_file, "source_lang")
    target_lang = target_lang or _language_from_suffix(target_file, "target_lang")
    source_file, target_file = str(source_file), str(target_file)
    return build_corpus(
        lambda: _moses_pairs(source_file, target_file),
        f"{source_file} + {target_file}",
        source_lang,
        target_lang,
        streaming=streaming,
        drop_empty=drop_empty,
        drop_duplicates=drop_duplicates,
        return_report=return_report,
    )


def _names_language(column: str, language: str) -> bool:
    if column == language:
        return True
    try:
        return bool(column) and resolve_language(column) == language
    except ValueError:
        return False


def _resolve_columns(
    header: list[str], languages: list[str], columns: Mapping[str, str] | None, path, line: int | None = 1
) -> list[int]:
    """The index of each language's column: an explicit mapping, a column named by the code or by the language.

    Raises:
        CorpusFormatError: no column holds a language, or several do (a column name repeated, or e.g. both ``jav``
            and ``javanese``): the columns found are listed.
    """
    positions = []
    for language in languages:
        wanted = (columns or {}).get(language)
        if wanted is not None:
            matches = [i for i, column in enumerate(header) if column == wanted]
        else:
            matches = [i for i, column in enumerate(header) if _names_language(column, language)]
        if not matches:
            looked_for = repr(wanted) if wanted is not None else f"named {language!r} or by its language name"
            raise CorpusFormatError(
                f"missing column for language {language!r} (a column {looked_for}); columns found: {header}. "
                "Name the columns by language code or name"
                + (", or pass `columns={'<code>': '<column name>'}`." if line is not None else "."),
                path,
                line,
            )
        if len(matches) > 1:
            names = [header[i] for i in matches]
            choose = len(set(names)) > 1 and line is not None
            raise CorpusFormatError(
                f"{len(matches)} columns hold language {language!r}: {names} (fields {[i + 1 for i in matches]}); "
                "expected one column per language. "
                + ("Pass `columns={'<code>': '<column name>'}` to choose one." if choose else "Rename the others."),
                path,
                line,
            )
        positions.append(matches[0])
    return positions


def _csv_pairs(path, positions: list[int], delimiter: str) -> PairIterator:
    records = iter_csv(path, delimiter, "a header row then one row per sentence pair")
    next(records)
    n_rows = 0
    for _, row in records:
        n_rows += 1
        if not row:  # a blank line: a pair with both sides empty
            yield "", ""
            continue
        yield row[positions[0]], row[positions[1]]
    if n_rows == 0:
        raise CorpusFormatError("the file has a header but no rows; expected one row per sentence pair.", path)


def _csv_delimiter(path, delimiter: str | None) -> str:
    if delimiter is not None:
        return delimiter
    return "\t" if str(path).lower().endswith((".tsv", ".tab")) else ","


def load_multiway_csv(
    path: str | os.PathLike,
    source_lang: str,
    target_lang: str,
    columns: Mapping[str, str] | None = None,
    delimiter: str | None = None,
    streaming: bool = False,
    drop_empty: bool = True,
    drop_duplicates: bool = True,
    return_report: bool = False,
):
    """Loads one language pair from a CSV/TSV file with one column per language (e.g. NusaX-MT's 12-way CSV).

    A language's column is the one named by its code (``jav``), by its English name (``javanese``, see
    `LANGUAGE_NAME_TO_CODE`), or given in `columns`. Other columns (an index, ids, other languages) are ignored.

    Args:
        path (`str` or `os.PathLike`): a UTF-8 file with a header row; ``.tsv``/``.tab`` files are tab-separated
            (no quoting), others comma-separated with CSV quoting.
        source_lang, target_lang (`str`): codes or English names of the two languages.
        columns (`Mapping[str, str]`, *optional*): language code -> column name, for other column names.
        delimiter (`str`, *optional*): overrides the delimiter guessed from the extension.
        streaming, drop_empty, drop_duplicates, return_report: see `build_corpus`.

    Raises:
        CorpusFormatError: a missing column or several columns for one language (the columns found are listed), a
            row with the wrong number of fields, a quote that is never closed (line and column where it opens), an
            empty file, a header without rows or no pair with text on both sides, undecodable bytes, a NUL
            character, an unknown or ill-formed language.
    """
    source_lang = resolve_language(source_lang, "source_lang")
    target_lang = resolve_language(target_lang, "target_lang")
    if columns is not None:
        columns = {resolve_language(code, "columns"): column for code, column in columns.items()}
    path = str(path)
    delimiter = _csv_delimiter(path, delimiter)
    header = read_csv_header(path, delimiter, "a header row then one row per sentence pair")
    positions = _resolve_columns(header, [source_lang, target_lang], columns, path)
    return build_corpus(
        lambda: _csv_pairs(path, positions, delimiter),
        f"{path} ({header[positions[0]]}, {header[positions[1]]})",
        source_lang,
        target_lang,
        streaming=streaming,
        drop_empty=drop_empty,
        drop_duplicates=drop_duplicates,
        return_report=return_report,
    )


def _jsonl_records(path) -> Iterator[tuple[int, dict]]:
    for number, line in iter_lines(path, "one JSON object per line"):
        if not line.strip():
            yield number, None
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise CorpusFormatError(f"not valid JSON ({e.msg} at column {e.colno}).", path, number) from None
        if not isinstance(record, dict):
            raise CorpusFormatError(f"expected a JSON object, found {type(record).__name__}.", path, number)
        yield number, record


def _translation(record: dict, path, number: int) -> dict:
    translation = record.get("translation")
    if not isinstance(translation, dict):
        raise CorpusFormatError(
            f"expected a 'translation' object mapping language codes to texts; fields found: {sorted(record)}.",
            path,
            number,
        )
    return translation


def _jsonl_pairs(path, source_lang: str, target_lang: str) -> PairIterator:
    n_rows = 0
    for number, record in _jsonl_records(path):
        n_rows += 1
        if record is None:
            yield "", ""
            continue
        translation = _translation(record, path, number)
        for language in (source_lang, target_lang):
            if language not in translation:
                raise CorpusFormatError(
                    f"the translation has no {language!r} entry; languages found: {sorted(translation)}.",
                    path,
                    number,
                )
        yield (
            json_text(translation[source_lang], path, number, f"translation.{source_lang}"),
            json_text(translation[target_lang], path, number, f"translation.{target_lang}"),
        )


def load_translation_jsonl(
    path: str | os.PathLike,
    source_lang: str | None = None,
    target_lang: str | None = None,
    streaming: bool = False,
    drop_empty: bool = True,
    drop_duplicates: bool = True,
    return_report: bool = False,
):
    """Loads JSONL rows of the form ``{"translation": {"eng": "...", "jav": "..."}}`` into the corpus schema.

    This is the format of transformers' translation examples. Other fields of a row are ignored; a null text is
    read as empty.

    Args:
        path (`str` or `os.PathLike`): a UTF-8 JSONL file.
        source_lang, target_lang (`str`, *optional*): the two keys to read. When neither is given, the first row
            must hold exactly two languages, taken in the order they appear.
        streaming, drop_empty, drop_duplicates, return_report: see `build_corpus`.

    Raises:
        CorpusFormatError: invalid JSON, a row without ``translation`` or without one of the languages (the
            languages found are listed), a text that is not a string (``0``, ``false``, a list: line and field
            named), an ill-formed language code, an empty file, no pair with text on both sides, undecodable bytes.
    """
    path = str(path)
    if source_lang is None or target_lang is None:
        first = next(((n, r) for n, r in _jsonl_records(path) if r is not None), None)
        if first is None:
            raise CorpusFormatError("the file holds only blank lines; expected one JSON object per line.", path)
        keys = list(_translation(first[1], path, first[0]))
        if len(keys) != 2:
            raise CorpusFormatError(
                f"cannot tell which 2 languages to read: the first row holds {keys}; pass `source_lang` and "
                "`target_lang`.",
                path,
                first[0],
            )
        source_lang = source_lang or keys[0]
        target_lang = target_lang or (keys[1] if keys[0] == source_lang else keys[0])
    # The keys are read as written; the schema stores codes (a key named by language name becomes its code).
    codes = []
    for argument, language in (("source_lang", source_lang), ("target_lang", target_lang)):
        try:
            codes.append(resolve_language(language, argument))
        except ValueError as e:
            raise CorpusFormatError(str(e), path) from None
    return build_corpus(
        lambda: _jsonl_pairs(path, source_lang, target_lang),
        path,
        codes[0],
        codes[1],
        streaming=streaming,
        drop_empty=drop_empty,
        drop_duplicates=drop_duplicates,
        return_report=return_report,
    )


def _cell_text(value, name: str, index: int, column: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):  # an empty CSV cell read by pandas
        return ""
    if not isinstance(value, str):
        raise CorpusFormatError(
            f"row {index}: column {column!r} holds {type(value).__name__} {value!r:.40}, not a string; expected text "
            "(store the column as strings).",
            name,
        )
    if "\x00" in value:
        raise CorpusFormatError(
            f"row {index}: column {column!r} holds a NUL character; expected text without NUL characters.", name
        )
    return value


def _to_corpus_split(dataset, name: str, source_lang: str | None, target_lang: str | None):
    """Maps a loaded split to the corpus schema: schema columns, a `translation` column, or per-language columns."""
    columns = list(dataset.column_names or [])
    if all(c in columns for c in CORPUS_COLUMNS):
        return dataset.select_columns(list(CORPUS_COLUMNS))
    if source_lang is None or target_lang is None:
        raise CorpusFormatError(
            f"missing corpus column(s) {[c for c in CORPUS_COLUMNS if c not in columns]}; columns found: {columns}. "
            "Pass `source_lang` and `target_lang` to read a `translation` column or one column per language.",
            name,
        )
    if "translation" in columns:

        def convert(row, index):
            translation = row["translation"] or {}
            for language in (source_lang, target_lang):
                if language not in translation:
                    raise CorpusFormatError(
                        f"row {index}: the translation has no {language!r} entry; languages found: "
                        f"{sorted(translation)}.",
                        name,
                    )
            return _real_row(
                _cell_text(translation[source_lang], name, index, f"translation.{source_lang}"),
                _cell_text(translation[target_lang], name, index, f"translation.{target_lang}"),
                source_lang,
                target_lang,
            )

    else:
        positions = _resolve_columns(columns, [source_lang, target_lang], None, name, line=None)
        source_column, target_column = columns[positions[0]], columns[positions[1]]

        def convert(row, index):
            return _real_row(
                _cell_text(row[source_column], name, index, source_column),
                _cell_text(row[target_column], name, index, target_column),
                source_lang,
                target_lang,
            )

    if isinstance(dataset, IterableDataset):
        return dataset.map(convert, with_indices=True, remove_columns=columns, features=CORPUS_FEATURES)
    return dataset.map(convert, with_indices=True, remove_columns=columns, features=CORPUS_FEATURES)


def _clean_dataset(dataset: Dataset, name: str, drop_empty: bool, drop_duplicates: bool) -> Dataset:
    cleaner = RowCleaner(name, drop_empty, drop_duplicates)
    keep = [
        i
        for i, (source, target) in enumerate(zip(dataset["source_text"], dataset["target_text"]))
        if cleaner.keep(source, target)
    ]
    cleaner.report.log()
    cleaner.report.check_has_text(_PAIRS_EXPECTED)
    return dataset if len(keep) == len(dataset) else dataset.select(keep)


def _clean_stream(dataset: IterableDataset, name: str, drop_empty: bool, drop_duplicates: bool):
    cleaner = RowCleaner(name, drop_empty, drop_duplicates)
    for row in dataset:
        if cleaner.keep(row["source_text"], row["target_text"]):
            yield row
    cleaner.report.log()
    cleaner.report.check_has_text(_PAIRS_EXPECTED)


def load_parallel_corpus(
    path_or_repo_id: str | os.PathLike,
    source_lang: str | None = None,
    target_lang: str | None = None,
    split: str | None = None,
    streaming: bool = False,
    data_files=None,
    revision: str | None = None,
    token: str | bool | None = None,
    cache_dir: str | None = None,
    drop_empty: bool = True,
    drop_duplicates: bool = True,
):
    """Loads a parallel corpus from a Hub dataset repo or a local directory of parquet/json/csv files.

    datasets 5 has no loading scripts: the files are read by its packaged builders, and splits are found from file
    names (``train.parquet``, ``data/test-00000-of-00001.parquet``, ...). A corpus published with
    `push_corpus_to_hub` comes back as it was; other data is mapped to the schema from a ``translation`` column
    (``{lang: text}``) or from one column per language (named by code or English name), given `source_lang` and
    `target_lang`.

    Args:
        path_or_repo_id (`str` or `os.PathLike`): a local directory (or file), or a Hub dataset repo id. Pointing
            ``HF_ENDPOINT`` at another server reads the repo from there.
        source_lang, target_lang (`str`, *optional*): needed unless the files already follow the corpus schema.
        split (`str`, *optional*): return one split as a `Dataset` instead of a `DatasetDict`.
        streaming (`bool`, defaults to `False`): stream the files (`IterableDataset`/`IterableDatasetDict`).
        data_files, revision, token, cache_dir: passed to `datasets.load_dataset`. The token is never logged.
        drop_empty, drop_duplicates: see `build_corpus`.

    Raises:
        CorpusFormatError: a missing column or several columns for one language (the columns found are listed), a
            text that is not a string (the row and column are named), a split without a pair with text on both
            sides, an ill-formed language code or origin.
    """
    path = str(path_or_repo_id)
    source_lang = resolve_language(source_lang, "source_lang") if source_lang else None
    target_lang = resolve_language(target_lang, "target_lang") if target_lang else None
    if os.path.isfile(path) and data_files is None:
        builder = {".parquet": "parquet", ".csv": "csv", ".tsv": "csv", ".json": "json", ".jsonl": "json"}
        suffix = Path(path).suffix.lower()
        if suffix not in builder:
            raise CorpusFormatError(f"unsupported file type {suffix!r}; expected one of {sorted(builder)}.", path)
        if os.path.getsize(path) == 0:
            raise CorpusFormatError("the file is empty.", path)
        kwargs = {"delimiter": "\t"} if suffix == ".tsv" else {}
        loaded = datasets.load_dataset(
            builder[suffix], data_files={"train": path}, streaming=streaming, cache_dir=cache_dir, **kwargs
        )
    else:
        loaded = datasets.load_dataset(
            path, data_files=data_files, revision=revision, token=token, streaming=streaming, cache_dir=cache_dir
        )
    result = {}
    for split_name, split_dataset in loaded.items():
        if split is not None and split_name != split:
            continue
        name = f"{path} [{split_name}]"
        corpus = _to_corpus_split(split_dataset, name, source_lang, target_lang)
        if streaming:
            corpus = IterableDataset.from_generator(
                _clean_stream,
                features=CORPUS_FEATURES,
                gen_kwargs={
                    "dataset": corpus,
                    "name": name,
                    "drop_empty": drop_empty,
                    "drop_duplicates": drop_duplicates,
                },
            )
        else:
            corpus = corpus.cast(CORPUS_FEATURES)
            validate_corpus(corpus, name)
            corpus = _clean_dataset(corpus, name, drop_empty, drop_duplicates)
        result[split_name] = corpus
    if split is not None:
        if split not in result:
            raise ValueError(f"{path}: no split {split!r}; splits found: {sorted(loaded)}.")
        return result[split]
    return IterableDatasetDict(result) if streaming else DatasetDict(result)


__all__ = [
    "CleaningReport",
    "build_corpus",
    "load_moses",
    "load_multiway_csv",
    "load_translation_jsonl",
    "load_parallel_corpus",
]
