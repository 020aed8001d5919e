"""Reading UTF-8 text files line by line with errors that name the file and line."""

from __future__ import annotations

import os
from collections.abc import Iterator

from .errors import CorpusFormatError


def check_not_empty(path: str | os.PathLike, expected: str = "text") -> None:
    """Raises `CorpusFormatError` when `path` is missing or has no bytes."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such file.")
    if os.path.getsize(path) == 0:
        raise CorpusFormatError(f"the file is empty; expected {expected}.", path)


def iter_lines(path: str | os.PathLike, expected: str = "one sentence per line") -> Iterator[tuple[int, str]]:
    """Yields ``(line_number, line)`` (1-based, newline removed) from a UTF-8 file, lazily.

    A byte-order mark at the start is dropped.

    Raises:
        CorpusFormatError: when the file is empty, or a line is not valid UTF-8 (the line and byte offset are named).
    """
    check_not_empty(path, expected)
    with open(path, "rb") as f:
        for number, raw in enumerate(f, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                bad = raw[e.start : e.start + 4]
                raise CorpusFormatError(
                    f"undecodable bytes {bad!r} at byte {e.start} of the line ({e.reason}); expected UTF-8 text.",
                    path,
                    number,
                ) from None
            if number == 1 and line.startswith("\ufeff"):
                line = line[1:]
            yield number, line.rstrip("\r\n")


class LineTracker:
    """Wraps `iter_lines` for the `csv` module, remembering the number of the last line handed out."""

    def __init__(self, path: str | os.PathLike, expected: str):
        self._lines = iter_lines(path, expected)
        self.line = 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        self.line, text = next(self._lines)
        return text + "\n"
