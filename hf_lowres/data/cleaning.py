"""Counting (and by default dropping) empty lines, half-empty pairs and exact duplicates while a corpus is read.

Every row a loader reads is counted in a `CleaningReport`; every row it drops is counted under its reason (empty,
one side empty, exact duplicate), and the counts are logged as a warning whenever a row was dropped or a flagged row
was kept.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import numpy as np

from .errors import CorpusFormatError


logger = logging.getLogger(__name__)


@dataclass
class CleaningReport:
    """What a loader saw and dropped.

    Args:
        name (`str`): the file(s) or dataset read.
        total (`int`): rows (pairs or sentences) read.
        empty (`int`): rows whose every side is empty or whitespace (blank lines, JSON nulls).
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

    @property
    def kept(self) -> int:
        return self.total - self.dropped

    @property
    def with_text(self) -> int:
        """Rows with text on every side (kept or dropped as duplicates)."""
        return self.total - self.empty - self.one_side_empty

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
        """Logs the counts by reason: a warning when a row was dropped or flagged, else at INFO level."""
        flagged = self.empty + self.one_side_empty + self.duplicates
        logger.log(
            logging.WARNING if flagged or self.dropped else logging.INFO,
            "%s: read %d rows; %d empty, %d with one side empty, %d exact duplicates; dropped %d, kept %d.",
            self.name,
            self.total,
            self.empty,
            self.one_side_empty,
            self.duplicates,
            self.dropped,
            self.kept,
        )

    def check_has_text(self, expected: str) -> None:
        """Raises `CorpusFormatError` when no row had text on every side (the loaders' rule for "no rows").

        Args:
            expected (`str`): what the input should hold, for the message.
        """
        if not self.total:
            raise CorpusFormatError(f"no rows; expected {expected}.", self.name)
        if self.with_text == 0:
            counts = f"{self.empty} empty"
            if self.one_side_empty:
                counts += f", {self.one_side_empty} with one side empty"
            raise CorpusFormatError(
                f"no row holds text: {self.total} rows read ({counts}); expected {expected}.", self.name
            )


class _DigestSet:
    """A set of 64-bit digests in an open-addressing table (linear probing, at most half full).

    It costs 16 to 32 bytes a row, against about 90 for a Python `set` of digests, and grows by doubling.
    """

    def __init__(self, capacity: int = 1 << 12):
        self._table = np.zeros(capacity, dtype=np.uint64)
        self._view = memoryview(self._table).cast("B").cast("Q")
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def add(self, key: int) -> bool:
        """Adds a non-zero `key`; whether it was new."""
        view = self._view
        mask = len(view) - 1
        slot = key & mask
        while True:
            current = view[slot]
            if current == key:
                return False
            if current == 0:
                view[slot] = key
                self._size += 1
                if 2 * self._size > len(view):
                    self._grow()
                return True
            slot = (slot + 1) & mask

    def _grow(self) -> None:
        old = self._table
        table = np.zeros(2 * len(old), dtype=np.uint64)
        mask = np.uint64(len(table) - 1)
        # Re-insert in chunks, each vectorized: every pending key takes its slot if free, else probes the next one.
        for start in range(0, len(old), 1 << 16):
            keys = old[start : start + (1 << 16)]
            keys = keys[keys != 0]
            slots = keys & mask
            while len(keys):
                free = table[slots] == 0
                table[slots[free]] = keys[free]
                placed = free.copy()
                placed[free] = table[slots[free]] == keys[free]  # two keys may have claimed the same free slot
                keys, slots = keys[~placed], (slots[~placed] + np.uint64(1)) & mask
        self._table = table
        self._view = memoryview(table).cast("B").cast("Q")


def _digest(texts: list[str]) -> int:
    data = "\x00".join(texts).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little") or 1  # 0 marks a free slot


class RowCleaner:
    """Classifies rows one at a time, updating a `CleaningReport`.

    Texts are compared after stripping surrounding whitespace. Duplicates are remembered by a 64-bit digest in a
    compact table (16 to 32 bytes a distinct row); two different rows share a digest with probability about
    n^2 / 2^65 for n distinct rows (3e-8 for a million rows), in which case the later one is counted as a duplicate.

    Args:
        name (`str`): the file(s) or dataset read, for the report.
        drop_empty (`bool`, defaults to `True`): drop empty rows and pairs with one side empty.
        drop_duplicates (`bool`, defaults to `True`): drop exact repeats of an earlier row.
    """

    def __init__(self, name: str, drop_empty: bool = True, drop_duplicates: bool = True):
        self.report = CleaningReport(name)
        self.drop_empty = drop_empty
        self.drop_duplicates = drop_duplicates
        self._seen = _DigestSet()

    def keep(self, *texts: str) -> bool:
        """Whether to keep a row made of `texts` (one text for monolingual data, two for a pair).

        Raises:
            TypeError: a text is not a string (the loaders turn nulls into ``""`` and reject other types first).
        """
        report = self.report
        report.total += 1
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"{report.name}: row {report.total}: expected text (str), got {type(text).__name__}.")
        stripped = [t.strip() for t in texts]
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
        if not self._seen.add(_digest(stripped)):
            report.duplicates += 1
            if self.drop_duplicates:
                report.dropped += 1
                return False
        return True
