"""Bilingual word lexicons (such as the ones NusaX ships) for code-switching perturbations.

The reading itself is `hf_lowres.data.load_lexicon`'s (the one lexicon reader of the library); this module keeps the
plain-dict form the perturbations take.
"""

from __future__ import annotations

from os import PathLike

from hf_lowres.data.lexicon_loaders import load_lexicon


def load_bilingual_lexicon(
    path: str | PathLike,
    source_column: str | None = None,
    target_column: str | None = None,
    lowercase: bool = True,
    strip_notes: bool = True,
) -> dict[str, list[str]]:
    """Reads a two-column word lexicon from a CSV file into ``{source word: [translations]}``.

    The NusaX lexicons (Winata et al., 2023, "NusaX: Multilingual Parallel Sentiment Dataset for 10 Indonesian
    Local Languages") have an unnamed index column, then ``indonesian`` and the local language
    (``,indonesian,javanese``). A word may have several translations; order of first appearance is kept. Both
    sides are normalized as `hf_lowres.data.load_lexicon` does (whitespace collapsed, NFC, bracketed translators'
    notes removed, lowercase); duplicates, rows with an empty side and malformed rows are dropped and counted (logged).

    Args:
        path (`str` or `os.PathLike`): the CSV file (any format `load_lexicon` reads works too).
        source_column (`str`, *optional*): the column of the words to replace; defaults to the first named
            column (``indonesian`` in NusaX).
        target_column (`str`, *optional*): the column of their translations; defaults to the last named column.
            Swap the two to code-switch the other way.
        lowercase (`bool`, defaults to `True`): lowercase both sides.
        strip_notes (`bool`, defaults to `True`): remove bracketed notes (``"gedok (raih, sampai)"`` -> ``"gedok"``).

    Returns:
        `dict[str, list[str]]`.

    Raises:
        CorpusFormatError: a missing column (a `ValueError`), malformed CSV quoting, an empty file.

    Example:

    ```python
    >>> lexicon = load_bilingual_lexicon("nusax/lexicon/javanese.csv")
    >>> lexicon["tidak"][:2]
    ['mboten', 'ora']
    ```
    """
    # The languages do not matter for a plain dict: "und" (ISO 639 "undetermined") when the columns name none.
    lexicon = load_lexicon(
        path,
        source_lang="und",
        target_lang="und",
        source_column=source_column,
        target_column=target_column,
        lowercase=lowercase,
        strip_notes=strip_notes,
        skip_malformed=True,
    )
    return lexicon.as_dict()
