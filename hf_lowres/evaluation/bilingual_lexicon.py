"""Bilingual word lexicons (such as the ones NusaX ships) for code-switching perturbations."""

from __future__ import annotations

import csv
from os import PathLike


def load_bilingual_lexicon(
    path: str | PathLike,
    source_column: str | None = None,
    target_column: str | None = None,
    lowercase: bool = True,
) -> dict[str, list[str]]:
    """Reads a two-column word lexicon from a CSV file into ``{source word: [translations]}``.

    The NusaX lexicons (Winata et al., 2023, "NusaX: Multilingual Parallel Sentiment Dataset for 10 Indonesian
    Local Languages") have an unnamed index column, then ``indonesian`` and the local language
    (``,indonesian,javanese``). A word may have several translations; order of first appearance is kept,
    duplicates and surrounding spaces are dropped.

    Args:
        path (`str` or `os.PathLike`): the CSV file.
        source_column (`str`, *optional*): the column of the words to replace; defaults to the first named
            column (``indonesian`` in NusaX).
        target_column (`str`, *optional*): the column of their translations; defaults to the last named column.
            Swap the two to code-switch the other way.
        lowercase (`bool`, defaults to `True`): lowercase both sides.

    Returns:
        `dict[str, list[str]]`.

    Example:

    ```python
    >>> lexicon = load_bilingual_lexicon("nusax/lexicon/javanese.csv")
    >>> lexicon["tidak"][:2]
    ['mboten', 'ora']
    ```
    """
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        named = [name for name in (reader.fieldnames or []) if name and name.strip()]
        if len(named) < 2:
            raise ValueError(f"{path}: a lexicon needs two named columns, found {reader.fieldnames}")
        source_column = source_column or named[0]
        target_column = target_column or named[-1]
        for column in (source_column, target_column):
            if column not in named:
                raise ValueError(f"{path}: no column {column!r}; columns are {named}")
        lexicon: dict[str, list[str]] = {}
        for row in reader:
            source = (row[source_column] or "").strip()
            target = (row[target_column] or "").strip()
            if lowercase:
                source, target = source.lower(), target.lower()
            if not source or not target:
                continue
            translations = lexicon.setdefault(source, [])
            if target not in translations:
                translations.append(target)
    return lexicon
