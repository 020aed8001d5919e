"""Reading bilingual lexicons from files, a Hugging Face dataset, or a folder of lexicons.

| format | layout | languages from |
|---|---|---|
| ``gatitos`` | ``source<TAB>translation`` per line, no header (GATITOS' ``en_ace.tsv``) | the file name ``en_ace`` |
| ``muse`` | ``source translation`` per line, whitespace-separated (MUSE's ``en-de.txt``) | the file name ``en-de`` |
| ``csv`` | a header, then rows; two named columns (NusaX's ``,indonesian,acehnese``) | the column names |
| ``tsv`` | the same, tab-separated without quoting | the column names |
| ``datasets`` | a Hub dataset id or a local dataset folder, read with `datasets` | the column names |

Several translations of one entry may come on several lines (GATITOS, NusaX) and are all kept. Every reader names
the file and line of a malformed line (a missing tab, a row with the wrong number of fields, broken CSV quoting), or,
with ``skip_malformed=True``, skips and counts malformed GATITOS/MUSE lines (`Lexicon.report`). Blank lines, and
pairs with an empty side (an entry nobody translated), are skipped and counted.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from .errors import CorpusFormatError
from .language_names import language_info, resolve_language
from .lexicon import Lexicon, LexiconReport, compose_lexicons
from .text_reading import iter_csv, iter_lines


logger = logging.getLogger(__name__)

LEXICON_FORMATS = ("gatitos", "muse", "csv", "tsv", "datasets")
"""The formats `load_lexicon` reads."""

_SUFFIX_FORMATS = {".csv": "csv", ".txt": "muse"}
_MUSE_NAME = re.compile(r"^([A-Za-z]{2,3})-([A-Za-z]{2,3})(?:\..*)?$")
_MAX_LISTED_LINES = 20


def _code_from_tag(tag: str) -> str | None:
    """A corpus-schema code from a BCP-47 tag of a file name: ``en`` -> ``eng``, ``lg`` -> ``lug``, ``bjn-Arab`` ->
    ``bjn_Arab``; `None` for a tag with a region (``ar-MA``), which has no such code."""
    base, _, subtag = tag.partition("-")
    info = language_info(base.lower())
    base = info.iso639_3 if info is not None else base.lower()
    if not subtag:
        return base
    if len(subtag) == 4 and subtag.isalpha():
        return f"{base}_{subtag.title()}"
    return None


def _language_from_column(column: str) -> str | None:
    """The code of a column (or file) named after a language hf_lowres knows: ``acehnese`` -> ``ace``, ``en`` ->
    ``eng``; `None` otherwise (``src`` is shaped like a code, but a column so named says nothing of its language)."""
    try:
        code = resolve_language(column, "column")
    except ValueError:
        return None
    info = language_info(code)
    if info is None:
        return None
    return code if "_" in code else info.iso639_3


def _display_name(path: str | os.PathLike) -> str:
    """``gatitos/en_ace.tsv``, ``nusax/lexicon/acehnese.csv``: enough to tell lexicons apart without a local path."""
    path = Path(path).absolute()
    parts = [path.parent.name, path.name]
    if path.parent.name.lower() in ("lexicon", "lexicons") and path.parent.parent.name:
        parts.insert(0, path.parent.parent.name)
    return "/".join(part for part in parts if part)


class _PairReader:
    """Collects pairs from a reader, turning malformed lines into errors or, when asked, into counted skips."""

    def __init__(self, path: str, skip_malformed: bool):
        self.path = path
        self.skip_malformed = skip_malformed
        self.report = LexiconReport()

    def malformed(self, message: str, line: int | None, row: int | None = None) -> None:
        """Raises `CorpusFormatError` at `line`, or counts the skip (listing `line`, or `row` of a dataset)."""
        if not self.skip_malformed:
            raise CorpusFormatError(message, self.path, line)
        self.report.malformed_skipped += 1
        where = line if line is not None else row
        if where is not None and len(self.report.malformed_lines) < _MAX_LISTED_LINES:
            self.report.malformed_lines.append(where)

    def check_pair(self, source, target, line: int | None, row: int | None = None) -> tuple[str, str] | None:
        """The pair, or `None` when a side is empty (counted); a side that is not text is malformed."""
        where = f"row {row}: " if row is not None else ""
        for side, value in (("source", source), ("translation", target)):
            if value is not None and not isinstance(value, str):
                self.malformed(f"{where}the {side} is {value!r}, not text; expected a word or phrase.", line, row)
                return None
        if source is None or target is None or not source.strip() or not target.strip():
            # An entry nobody translated (NusaX's balinese.csv has 31): dropped and counted, as corpus loaders
            # drop pairs with one side empty.
            self.report.empty_pairs += 1
            return None
        return source, target

    def log_skips(self) -> None:
        if self.report.malformed_skipped:
            logger.warning(
                "%s: skipped %d malformed line(s) (skip_malformed=True), first at lines %s.",
                self.path,
                self.report.malformed_skipped,
                self.report.malformed_lines,
            )


def _read_gatitos(reader: _PairReader) -> Iterator[tuple[str, str]]:
    expected = "`source<TAB>translation` lines (GATITOS layout: no header, one pair per line)"
    for number, line in iter_lines(reader.path, expected):
        if not line.strip():
            reader.report.blank_lines += 1
            continue
        fields = line.split("\t")
        if len(fields) != 2:
            reader.malformed(
                f"expected 2 tab-separated fields (`source<TAB>translation`), found {len(fields)}: {line!r}.", number
            )
            continue
        pair = reader.check_pair(fields[0], fields[1], number)
        if pair is not None:
            yield pair


def _read_muse(reader: _PairReader) -> Iterator[tuple[str, str]]:
    expected = "`source translation` lines (MUSE layout: one pair per line, separated by whitespace)"
    for number, line in iter_lines(reader.path, expected):
        fields = line.split()
        if not fields:
            reader.report.blank_lines += 1
            continue
        if len(fields) != 2:
            reader.malformed(
                f"expected 2 whitespace-separated fields (`source translation`), found {len(fields)}: {line!r}.",
                number,
            )
            continue
        yield fields[0], fields[1]


def _choose_columns(
    columns: Sequence[str], source_column: str | None, target_column: str | None, path: str, line: int | None
) -> tuple[str, str]:
    named = [c for c in columns if c and c.strip()]
    if source_column is None or target_column is None:
        if len(named) < 2:
            raise CorpusFormatError(
                f"a lexicon needs two named columns (source and translation), found {list(columns)}.", path, line
            )
        # NusaX: an unnamed index column, then the source and the translation columns.
        source_column = source_column or named[0]
        target_column = target_column or named[-1]
    for column in (source_column, target_column):
        count = list(columns).count(column)
        if count != 1:
            problem = "no column" if count == 0 else f"{count} columns named"
            raise CorpusFormatError(
                f"{problem} {column!r}; columns found: {list(columns)}. Pass `source_column` and `target_column`.",
                path,
                line,
            )
    if source_column == target_column:
        raise ValueError(f"`source_column` and `target_column` are both {source_column!r}.")
    return source_column, target_column


def _read_delimited(reader: _PairReader, delimiter: str, source_column, target_column, columns_out: list):
    # `iter_csv` (the reader of every CSV loader) raises on a record with another number of fields than the header
    # and on broken quoting, naming the line (and column): those are errors even with `skip_malformed`.
    header = None
    for line, fields in iter_csv(reader.path, delimiter, "a header row, then one (source, translation) row each"):
        if not fields:
            reader.report.blank_lines += 1
            continue
        if header is None:
            header = fields
            source_column, target_column = _choose_columns(header, source_column, target_column, reader.path, line)
            columns_out.extend([source_column, target_column])
            positions = header.index(source_column), header.index(target_column)
            continue
        pair = reader.check_pair(fields[positions[0]], fields[positions[1]], line)
        if pair is not None:
            yield pair


def _load_dataset_rows(source: str, split: str):
    import datasets

    if os.path.isdir(source) and (
        os.path.isfile(os.path.join(source, "dataset_info.json"))
        or os.path.isfile(os.path.join(source, "dataset_dict.json"))
    ):
        loaded = datasets.load_from_disk(source)
        if isinstance(loaded, datasets.DatasetDict):
            if split not in loaded:
                raise ValueError(f"{source}: no split {split!r}; splits found: {list(loaded)}.")
            loaded = loaded[split]
        return loaded
    return datasets.load_dataset(source, split=split)


def _read_dataset(reader: _PairReader, split: str, source_column, target_column, columns_out: list):
    dataset = _load_dataset_rows(reader.path, split)
    source_column, target_column = _choose_columns(
        list(dataset.column_names), source_column, target_column, reader.path, None
    )
    columns_out.extend([source_column, target_column])
    for number, (source, target) in enumerate(zip(dataset[source_column][:], dataset[target_column][:]), start=1):
        pair = reader.check_pair(source, target, None, number)
        if pair is not None:
            yield pair


def _detect_format(source: str, source_column, target_column) -> str:
    if os.path.isdir(source):
        return "datasets"
    suffix = os.path.splitext(source)[1].lower()
    if os.path.isfile(source):
        if suffix == ".tsv":
            return "tsv" if (source_column or target_column) else "gatitos"
        return _SUFFIX_FORMATS.get(suffix, "muse")
    if suffix in (".tsv", ".csv", ".txt") or os.path.isabs(source) or source.startswith("."):
        raise FileNotFoundError(f"{source}: no such file.")
    return "datasets"  # a Hub dataset id


def load_lexicon(
    source: str | os.PathLike,
    source_lang: str | None = None,
    target_lang: str | None = None,
    format: str | None = None,
    source_column: str | None = None,
    target_column: str | None = None,
    split: str = "train",
    name: str | None = None,
    lowercase: bool = True,
    strip_notes: bool = True,
    max_translation_words: int | None = None,
    skip_malformed: bool = False,
) -> Lexicon:
    """Reads a bilingual lexicon (see the module docstring for the formats) into a normalized `Lexicon`.

    Args:
        source (`str` or `os.PathLike`): a file, a local dataset folder, or a Hub dataset id.
        source_lang (`str`, *optional*), target_lang (`str`, *optional*): the languages (codes or English names);
            taken from the file name (GATITOS ``en_ace.tsv`` -> ``eng``, ``ace``; MUSE ``en-de.txt``) or the column
            names (NusaX ``indonesian``, ``acehnese``) when not given.
        format (`str`, *optional*): one of `LEXICON_FORMATS`; guessed by default: a folder or Hub id is
            ``datasets``, ``.csv`` is ``csv``, ``.tsv`` is ``gatitos`` (``tsv`` when columns are named), any other
            file is ``muse``.
        source_column (`str`, *optional*), target_column (`str`, *optional*): the columns of a CSV/TSV/dataset;
            the first and the last named column by default (so NusaX's unnamed index column is skipped).
        split (`str`, defaults to `"train"`): the split of a dataset.
        name (`str`, *optional*): the lexicon's name in provenance; ``<folder>/<file>`` or the dataset id by default.
        lowercase (`bool`, defaults to `True`), strip_notes (`bool`, defaults to `True`): normalization (see
            `normalize_entry`); whitespace is always collapsed and text put in NFC.
        max_translation_words (`int`, *optional*): drop (and count) longer translations, which are often
            definitions rather than translations.
        skip_malformed (`bool`, defaults to `False`): skip and count malformed lines of a GATITOS or MUSE file
            (GATITOS' ``en_arn.tsv`` has a line without a tab) and non-text values of a dataset instead of raising.
            A CSV/TSV row with the wrong number of fields or broken quoting always raises.

    Returns:
        `Lexicon`, with the counts of what was read, normalized and skipped in `Lexicon.report`.

    Raises:
        FileNotFoundError: the file does not exist.
        CorpusFormatError: a malformed line (file and line named), a missing column, an empty file.
        ValueError: an unknown format, or languages that are neither given nor found in the name or columns.

    Example:

    ```python
    >>> lexicon = load_lexicon("../shared/data/gatitos/en_ace.tsv")
    >>> lexicon.direction, lexicon["house"]
    ('eng->ace', ('rumoh',))
    >>> load_lexicon("../shared/data/nusax/lexicon/acehnese.csv").direction
    'ind->ace'
    ```
    """
    source = str(source)
    format = format or _detect_format(source, source_column, target_column)
    if format not in LEXICON_FORMATS:
        raise ValueError(f"unknown lexicon format {format!r}; expected one of {list(LEXICON_FORMATS)}.")
    if format != "datasets" and not os.path.isfile(source):
        raise FileNotFoundError(f"{source}: no such file.")
    reader = _PairReader(source, skip_malformed)
    columns: list[str] = []
    if format == "gatitos":
        pairs = list(_read_gatitos(reader))
    elif format == "muse":
        pairs = list(_read_muse(reader))
    elif format in ("csv", "tsv"):
        pairs = list(_read_delimited(reader, "," if format == "csv" else "\t", source_column, target_column, columns))
    else:
        pairs = list(_read_dataset(reader, split, source_column, target_column, columns))
    reader.log_skips()
    inferred = _infer_languages(source, format, columns)
    languages = []
    for given, guess, what in ((source_lang, inferred[0], "source_lang"), (target_lang, inferred[1], "target_lang")):
        if given is None and guess is None:
            where = "column names" if columns else "file name"
            raise ValueError(
                f"{source}: `{what}` was not given and the {where} ({columns or Path(source).name!r}) do not name a "
                f"language; pass `{what}` (e.g. 'eng', 'ace')."
            )
        languages.append(resolve_language(given, what) if given is not None else guess)
    if not pairs:
        raise CorpusFormatError(
            "the lexicon holds no pairs; expected one (source, translation) pair per line.", source
        )
    lexicon_name = name or (source if format == "datasets" and not os.path.isdir(source) else _display_name(source))
    return Lexicon.from_pairs(
        pairs,
        languages[0],
        languages[1],
        name=lexicon_name,
        lowercase=lowercase,
        strip_notes=strip_notes,
        max_translation_words=max_translation_words,
        report=reader.report,
    )


def _infer_languages(source: str, format: str, columns: list[str]) -> tuple[str | None, str | None]:
    if columns:
        return _language_from_column(columns[0]), _language_from_column(columns[1])
    stem = Path(source).stem
    if format == "gatitos" and "_" in stem:
        first, second = stem.split("_", 1)
        return _code_from_tag(first), _code_from_tag(second)
    if format == "muse" and (match := _MUSE_NAME.match(Path(source).name)):
        return _code_from_tag(match.group(1)), _code_from_tag(match.group(2))
    return None, None


def _gatitos_files(directory: Path) -> dict[str, Path]:
    files = {}
    for path in sorted(directory.glob("*_*.tsv")):
        first, second = path.stem.split("_", 1)
        source, target = _code_from_tag(first), _code_from_tag(second)
        if source is not None and target is not None:
            files[(source, target)] = path
    return files


def _nusax_files(directory: Path) -> dict[str, Path]:
    files = {}
    for path in sorted(directory.glob("*.csv")):
        code = _language_from_column(path.stem)
        if code is not None:
            files[code] = path
    return files


def load_lexicon_directory(
    directory: str | os.PathLike,
    source_lang: str | None = None,
    languages: Sequence[str] | None = None,
    skip_missing: bool = False,
    **kwargs,
) -> dict[str, Lexicon]:
    """Reads a folder of lexicons into ``{target language: Lexicon}``, composing through a pivot when needed.

    Two layouts are recognized: GATITOS (``<source>_<target>.tsv``, e.g. ``en_ace.tsv``) and NusaX-Lexicon
    (``<language name>.csv`` with the columns ``indonesian`` and ``<language name>``). When `source_lang` is not the
    folder's source language but the folder holds a lexicon between the two (NusaX's ``english.csv``: Indonesian ->
    English), that lexicon is inverted and composed with each of the others: English -> Indonesian -> Acehnese,
    reported as such in `Lexicon.direction` (``"eng->ind->ace"``).

    Args:
        directory (`str` or `os.PathLike`): the folder (``../shared/data/gatitos`` or ``.../nusax/lexicon``).
        source_lang (`str`, *optional*): the language to translate from; the folder's own by default (``eng`` for
            GATITOS, ``ind`` for NusaX).
        languages (`Sequence[str]`, *optional*): the target languages to read (codes or names); all by default.
            A language the folder cannot provide is an error naming the ones it can.
        skip_missing (`bool`, defaults to `False`): read those of `languages` the folder provides and leave out
            (logging them) the others, e.g. a model's languages of which GATITOS covers some; it is still an error
            when the folder provides none of them.
        kwargs: passed to `load_lexicon` (``lowercase``, ``strip_notes``, ``max_translation_words``,
            ``skip_malformed``).

    Raises:
        FileNotFoundError: no such folder, or no lexicon of a known layout in it.
        ValueError: a requested language or source language the folder cannot provide.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory}: no such folder.")
    wanted = None if languages is None else [resolve_language(lang, "languages") for lang in languages]
    source = None if source_lang is None else resolve_language(source_lang, "source_lang")
    gatitos = _gatitos_files(directory)
    if gatitos:
        sources = sorted({s for s, _ in gatitos})
        source = source or ("eng" if "eng" in sources else sources[0])
        available = {t: path for (s, t), path in gatitos.items() if s == source}
        if not available:
            raise ValueError(f"{directory}: no lexicon from {source!r}; the files translate from {sources}.")
        return {
            lang: load_lexicon(path, source, lang, format="gatitos", **kwargs)
            for lang, path in _select(available, wanted, directory, skip_missing).items()
        }
    nusax = _nusax_files(directory)
    if not nusax:
        raise FileNotFoundError(
            f"{directory}: no lexicon files found; expected GATITOS `<source>_<target>.tsv` files or NusaX-Lexicon "
            "`<language name>.csv` files."
        )
    lexicons = {code: load_lexicon(path, format="csv", **kwargs) for code, path in nusax.items()}
    folder_source = next(iter(lexicons.values())).source_lang
    source = source or folder_source
    targets = {lex.target_lang: lex for lex in lexicons.values() if lex.source_lang == folder_source}
    if source == folder_source:
        return _select(targets, wanted, directory, skip_missing)
    if source not in targets:
        raise ValueError(
            f"{directory}: the lexicons translate from {folder_source!r}, and none links it to {source!r} (for a "
            f"pivot); languages found: {sorted(targets)}."
        )
    bridge = targets.pop(source).invert()
    selected = _select(targets, wanted, directory, skip_missing)
    return {lang: compose_lexicons(bridge, lex) for lang, lex in selected.items()}


def _select(available: dict, wanted: list[str] | None, directory: Path, skip_missing: bool = False) -> dict:
    if wanted is None:
        return dict(sorted(available.items()))
    missing = [lang for lang in wanted if lang not in available]
    if missing and (not skip_missing or len(missing) == len(wanted)):
        raise ValueError(f"{directory}: no lexicon for {missing}; languages available: {sorted(available)}.")
    if missing:
        logger.info("%s: no lexicon for %s, left out", directory, missing)
    return {lang: available[lang] for lang in wanted if lang in available}


__all__ = ["LEXICON_FORMATS", "load_lexicon", "load_lexicon_directory"]
