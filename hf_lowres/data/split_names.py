"""The split names the loaders return and the file stems NusaX and NusaWrites store them under."""

from __future__ import annotations


SPLIT_FILE_STEMS = {"train": "train", "validation": "valid", "test": "test"}
"""Split name returned -> the file stem of NusaX and NusaWrites (``valid.csv``, ``...-valid.csv``)."""


def selected_splits(split: str | None, corpus: str) -> dict[str, str]:
    """`{split name: file stem}` for `split`, or for all three splits when it is None.

    Raises:
        ValueError: an unknown split, naming `corpus` and the valid names.
    """
    if split is None:
        return dict(SPLIT_FILE_STEMS)
    if split not in SPLIT_FILE_STEMS:
        raise ValueError(f"unknown {corpus} split {split!r}; expected one of {list(SPLIT_FILE_STEMS)}.")
    return {split: SPLIT_FILE_STEMS[split]}
