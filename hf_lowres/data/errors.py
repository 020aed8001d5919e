"""The error raised for malformed corpus files."""

from __future__ import annotations

import os


class CorpusFormatError(ValueError):
    """A corpus file or dataset does not have the expected shape.

    The message always names the file (or dataset), the line or row and the column when there is one, and what was
    expected, so that the user can open the file at the right place.

    Args:
        message (`str`): what is wrong and what was expected.
        path (`str` or `os.PathLike`, *optional*): the file or dataset the problem was found in.
        line (`int`, *optional*): the 1-based line (or row) number.
        column (`int`, *optional*): the 1-based character position in that line.
    """

    def __init__(
        self,
        message: str,
        path: str | os.PathLike | None = None,
        line: int | None = None,
        column: int | None = None,
    ):
        self.path = None if path is None else str(path)
        self.line = line
        self.column = column
        where = ""
        if self.path is not None:
            where = f"{self.path}"
            if line is not None:
                where += f", line {line}"
                if column is not None:
                    where += f", column {column}"
            where += ": "
        super().__init__(where + message)
