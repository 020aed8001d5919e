"""Counting (and by default dropping) empty lines, half-empty pairs and exact duplicates while a corpus is read."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field


logger = logging.getLogger(__name__)


@dataclass
class CleaningReport:
    """What a loader saw and dropped.

    Args:
        name (`str`): the file(s) or dataset read.
        total (`int`): rows (pairs or sentences) read.
        empty (`int`): rows whose every side is empty (blank lines).
        one_side_empty (`int`): pairs with exactly one side empty.
        duplicates (`int`): exact repeats of an earlier non-empty row.
        dropped (`int`): rows removed (0 when dropping was switched off).
    """

    name: str
    total: int = 0
    empty: int = 0
    one_side_empty: int = 0
    duplicates: int = 0
    dropped: int = 0
    _seen: set = field(default_factory=set, repr=False, compare=False)

    @property
    def kept(self) -> int:
        return self.total - self.dropped

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "total": self.total,
            "empty": self.empty,
            "one_side_empty": self.one_side_empty,
            "duplicates": self.duplicates,
            "dropped": self.dropped,
            "kept": self.kept,
        }

    def log(self) -> None:
        """Logs the counts (INFO when nothing suspicious was kept, WARNING when flagged rows were kept)."""
        flagged = self.empty + self.one_side_empty + self.duplicates
        level = logging.WARNING if flagged > self.dropped else logging.INFO
        logger.log(
            level,
            "%s: read %d rows; %d empty, %d with one side empty, %d exact duplicates; dropped %d, kept %d.",
            self.name,
            self.total,
            self.empty,
            self.one_side_empty,
            self.duplicates,
            self.dropped,
            self.kept,
        )


class RowCleaner:
    """Classifies rows one at a time, updating a `CleaningReport`.

    Texts are compared after stripping surrounding whitespace. Duplicates are remembered by a 16-byte digest, so a
    streamed corpus of N distinct rows costs about 16*N bytes plus set overhead.

    Args:
        name (`str`): the file(s) or dataset read, for the report.
        drop_empty (`bool`, defaults to `True`): drop empty rows and pairs with one side empty.
        drop_duplicates (`bool`, defaults to `True`): drop exact repeats of an earlier row.
    """

    def __init__(self, name: str, drop_empty: bool = True, drop_duplicates: bool = True):
        self.report = CleaningReport(name)
        self.drop_empty = drop_empty
        self.drop_duplicates = drop_duplicates

    def keep(self, *texts: str | None) -> bool:
        """Whether to keep a row made of `texts` (one text for monolingual data, two for a pair)."""
        report = self.report
        report.total += 1
        stripped = [(t or "").strip() for t in texts]
        n_empty = sum(1 for t in stripped if not t)
        if n_empty == len(stripped):
            report.empty += 1
            if self.drop_empty:
                report.dropped += 1
                return False
            return True
        if n_empty:
            report.one_side_empty += 1
            if self.drop_empty:
                report.dropped += 1
                return False
            return True
        digest = hashlib.blake2b("\x00".join(stripped).encode("utf-8"), digest_size=16).digest()
        if digest in report._seen:
            report.duplicates += 1
            if self.drop_duplicates:
                report.dropped += 1
                return False
            return True
        report._seen.add(digest)
        return True
