"""Reading UTF-8 text, CSV/TSV and JSON values with errors that name the file, line and column.

Every loader of `hf_lowres.data` reads files through these functions, so they all apply the same rules:

- Line ends are ``\\n``, ``\\r\\n`` and a lone ``\\r`` (universal newlines, as Python's text mode reads them). Lines
  ended by a lone ``\\r`` (old Mac files, some exports) are counted and the count is logged as a warning.
- A byte-order mark at the start of the file is dropped.
- Undecodable bytes and NUL characters are errors that name the line (and the column of a NUL): they mean a file in
  another encoding (UTF-16 shows a NUL after every ASCII character) or a corrupted file.
- CSV is parsed strictly: a quote that is never closed, or text after a closing quote, is an error naming the line
  and column where the field starts; a record with another number of fields than the header is an error naming the
  line where the record starts.
"""

from __future__ import annotations

import csv
import json
import logging
import os
from collections.abc import Iterable, Iterator

from .errors import CorpusFormatError


logger = logging.getLogger(__name__)

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_CR, _LF = 13, 10
_BLOCK = 1 << 20


def check_not_empty(path: str | os.PathLike, expected: str = "text") -> None:
    """Raises `CorpusFormatError` when `path` is missing or has no bytes."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such file.")
    if os.path.getsize(path) == 0:
        raise CorpusFormatError(f"the file is empty; expected {expected}.", path)


def _decode(raw: bytes, path, number: int) -> str:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        if number == 1 and raw.startswith(_UTF16_BOMS):
            raise CorpusFormatError(
                "the file starts with a UTF-16 byte-order mark; expected UTF-8 text (convert it, e.g. "
                "`iconv -f UTF-16 -t UTF-8`).",
                path,
                number,
            ) from None
        bad = raw[e.start : e.start + 4]
        raise CorpusFormatError(
            f"undecodable bytes {bad!r} at byte {e.start} of the line ({e.reason}); expected UTF-8 text.",
            path,
            number,
        ) from None
    if "\x00" in line:
        raise CorpusFormatError(
            "a NUL character (\\x00); expected text without NUL characters (a UTF-16 file read as UTF-8 shows one "
            "after every ASCII character: convert it to UTF-8).",
            path,
            number,
            line.index("\x00") + 1,
        )
    return line


def _split_lines(f) -> Iterator[tuple[bytes, bool]]:
    """Yields ``(line, ended_by_lone_cr)`` from a binary file, line ends removed.

    Reads at most a block at a time, so that a file whose lines all end with a lone CR (no LF at all) is not read
    into memory as one line. (Bytes are tested as integers, ``13 in chunk``: several times faster than ``b"\\r"``.)
    """
    parts = []  # the pieces read so far of a line longer than a block, or cut by a CR
    pending_cr = False  # the last block ended with a CR: a lone CR, or the first half of a CRLF
    readline = f.readline
    while True:
        chunk = readline(_BLOCK)
        if pending_cr:
            pending_cr = False
            if chunk[:1] != b"\n":
                yield b"".join(parts), True
                parts = []
        if not chunk:
            break
        complete = chunk[-1] == _LF
        if complete and not parts and _CR not in chunk:  # the common case: a whole line ended by LF
            yield chunk[:-1], False
            continue
        if complete:
            chunk = chunk[:-2] if chunk.endswith(b"\r\n") else chunk[:-1]
        elif chunk[-1] == _CR:
            chunk, pending_cr = chunk[:-1], True
        if _CR in chunk:
            pieces = chunk.split(b"\r")
            parts.append(pieces[0])
            yield b"".join(parts), True
            yield from ((piece, True) for piece in pieces[1:-1])
            parts = [pieces[-1]]
        else:
            parts.append(chunk)
        if complete:
            yield b"".join(parts), False
            parts = []
    if any(parts):
        yield b"".join(parts), False


def iter_lines(path: str | os.PathLike, expected: str = "one sentence per line") -> Iterator[tuple[int, str]]:
    """Yields ``(line_number, line)`` (1-based, line end removed) from a UTF-8 file, lazily.

    ``\\n``, ``\\r\\n`` and a lone ``\\r`` all end a line; how many lines a lone ``\\r`` ended is logged as a warning
    once the file has been read. A byte-order mark at the start is dropped.

    Raises:
        CorpusFormatError: when the file is empty, a line is not valid UTF-8 (the line and byte offset are named) or
            holds a NUL character (the line and column are named).
    """
    check_not_empty(path, expected)
    lone_cr = 0
    with open(path, "rb") as f:
        for number, (raw, ended_by_cr) in enumerate(_split_lines(f), start=1):
            lone_cr += ended_by_cr
            line = _decode(raw, path, number)
            if number == 1 and line.startswith("\ufeff"):
                line = line[1:]
            yield number, line
    if lone_cr:
        logger.warning(
            "%s: %d line(s) ended with a lone carriage return (\\r) and were read as separate lines "
            "(universal newlines).",
            path,
            lone_cr,
        )


class _RecordLines:
    """Feeds `iter_lines` to the `csv` module, keeping the lines of the record being parsed (for error positions)."""

    def __init__(self, path, expected: str):
        self._lines = iter_lines(path, expected)
        self.record: list[tuple[int, str]] = []

    def __iter__(self):
        return self

    def __next__(self) -> str:
        number, text = next(self._lines)
        self.record.append((number, text))
        return text + "\n"


def _quote_problem(record: list[tuple[int, str]], delimiter: str) -> tuple[str, int, int] | None:
    """Where the quoting of a CSV record goes wrong: ``("unclosed" | "after_close", line, column)``, or None."""
    in_quotes = after_close = False
    field_start = True
    opened = (0, 0)
    for number, text in record:
        i, n = 0, len(text)
        while i < n:
            char = text[i]
            if in_quotes:
                if char == '"':
                    if i + 1 < n and text[i + 1] == '"':
                        i += 2
                        continue
                    in_quotes, after_close = False, True
            elif after_close:
                if char != delimiter:
                    return "after_close", number, i + 1
                after_close, field_start = False, True
            elif char == delimiter:
                field_start = True
            elif char == '"' and field_start:
                in_quotes, opened = True, (number, i + 1)
            else:
                field_start = False
            i += 1
        if not in_quotes:  # the record ends with the line; inside quotes the field goes on
            return None
    return ("unclosed", *opened) if in_quotes else None


def _csv_error(error: csv.Error, record: list[tuple[int, str]], path, delimiter: str) -> CorpusFormatError:
    problem = _quote_problem(record, delimiter) if delimiter != "\t" else None
    quote_rule = 'a quote inside a quoted field is written `""`'
    if problem is not None and problem[0] == "after_close":
        return CorpusFormatError(
            f"unexpected text after the closing quote of a field; expected {delimiter!r} or the end of the line "
            f"({quote_rule}).",
            path,
            problem[1],
            problem[2],
        )
    if problem is not None and "field limit" in str(error):
        return CorpusFormatError(
            f"the quoted field that opens here is longer than the csv module's limit of {csv.field_size_limit()} "
            "characters; expected a closing quote (an unclosed quote makes the rest of the file one field).",
            path,
            problem[1],
            problem[2],
        )
    if problem is not None:
        return CorpusFormatError(
            "a quoted field opens here and is never closed, so the rest of the file would be read into it; "
            f'expected a closing `"` ({quote_rule}).',
            path,
            problem[1],
            problem[2],
        )
    return CorpusFormatError(f"malformed CSV ({error}).", path, record[0][0] if record else None)


def iter_csv(
    path: str | os.PathLike, delimiter: str = ",", expected: str = "a header row then one row per sentence"
) -> Iterator[tuple[int, list[str]]]:
    """Yields ``(line, fields)`` for every record of a UTF-8 CSV/TSV file, the header first, lazily.

    `line` is the line the record starts on (a quoted field may span lines). A blank line comes as an empty list.
    Tab-separated files are read without quoting; other delimiters with CSV quoting, strictly.

    Raises:
        CorpusFormatError: an empty file, a blank first line, a record whose number of fields differs from the
            header's (the line is named), a quote that is never closed or text after a closing quote (line and
            column of the field), undecodable bytes or NUL characters.
    """
    lines = _RecordLines(path, expected)
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    reader = csv.reader(lines, delimiter=delimiter, quoting=quoting, strict=True)
    width = None
    while True:
        lines.record = []
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise _csv_error(e, lines.record, path, delimiter) from None
        start = lines.record[0][0]
        if width is None:
            if not row:
                raise CorpusFormatError(f"the first line is blank; expected {expected}.", path, 1)
            width = len(row)
        elif row and len(row) != width:
            raise CorpusFormatError(f"expected {width} fields (one per header column), found {len(row)}.", path, start)
        yield start, row


def read_csv_header(path: str | os.PathLike, delimiter: str, expected: str = "a header row") -> list[str]:
    """The header row of a CSV/TSV file, checked for emptiness and decodability."""
    for _, header in iter_csv(path, delimiter, expected):
        return header
    raise CorpusFormatError(f"the file has no header row; expected {expected}.", path)


def column_position(header: list[str], name: str, path: str | os.PathLike) -> int:
    """The 0-based position of the column `name` in a CSV header.

    Raises:
        CorpusFormatError: the column is missing (the columns found are listed) or named more than once.
    """
    positions = [i for i, column in enumerate(header) if column == name]
    if not positions:
        raise CorpusFormatError(f"missing column {name!r}; columns found: {header}.", path, 1)
    if len(positions) > 1:
        raise CorpusFormatError(
            f"{len(positions)} header columns are named {name!r} (fields {[p + 1 for p in positions]}); expected "
            "each column name once. Rename the others.",
            path,
            1,
        )
    return positions[0]


def _json_kind(value) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "a list" if isinstance(value, list) else "an object"


def json_text(value, path: str | os.PathLike, line: int | None, field: str) -> str:
    """The text of a JSON field: the string itself, or ``""`` for null (then counted as empty by the cleaning).

    Raises:
        CorpusFormatError: the value is a number, boolean, list or object (``0`` or ``false`` is not an empty text),
            or a string holding a NUL character; the file, line and field are named.
    """
    if isinstance(value, str):
        if "\x00" in value:
            raise CorpusFormatError(
                f"field {field!r} holds a NUL character (\\u0000) at character {value.index(chr(0)) + 1}; expected "
                "text without NUL characters.",
                path,
                line,
            )
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as e:
            raise CorpusFormatError(
                f"field {field!r} holds an unpaired surrogate ({value[e.start]!r}) at character {e.start + 1}; "
                "expected valid Unicode text.",
                path,
                line,
            ) from None
        return value
    if value is None:
        return ""
    shown = json.dumps(value, ensure_ascii=False)
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    raise CorpusFormatError(
        f"field {field!r} holds {_json_kind(value)} ({shown}), not a string; expected a JSON string (or null for no "
        "text).",
        path,
        line,
    )


class JsonLines:
    """The JSON values of JSON Lines text, ``(line_number, value)`` per non-blank line; counts the blank ones.

    Args:
        lines (`Iterable[tuple[int, str]]`): numbered lines, as `iter_lines` yields them.
        path (`str` or `os.PathLike`): the file, named in errors.

    Raises:
        `CorpusFormatError`: while iterating, on a line that is not valid JSON (file, line and column named).
    """

    def __init__(self, lines: Iterable[tuple[int, str]], path: str | os.PathLike):
        self.lines, self.path, self.blank_lines = lines, path, 0

    def __iter__(self) -> Iterator[tuple[int, object]]:
        for number, line in self.lines:
            if not line.strip():
                self.blank_lines += 1
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as e:
                raise CorpusFormatError(
                    f"not valid JSON ({e.msg} at column {e.colno}); expected one JSON object per line.",
                    self.path,
                    number,
                ) from None
            yield number, value
