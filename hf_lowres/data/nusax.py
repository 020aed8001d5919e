"""NusaX (Winata et al., 2023): 12-way parallel MT and 3-class sentiment in Indonesian local languages.

The files are read from a local copy of the dataset's ``datasets/`` folder (``mt/{train,valid,test}.csv`` and
``sentiment/<language>/{train,valid,test}.csv``); nothing is downloaded.
"""

from __future__ import annotations

import os
from pathlib import Path

from datasets import ClassLabel, DatasetDict, Features, Value

from .labeled_text_csv import read_labeled_text_csv
from .language_names import LANGUAGES, resolve_language
from .parallel_loaders import load_multiway_csv
from .split_names import SPLIT_FILE_STEMS, selected_splits


NUSAX_LANGUAGES = {
    "indonesian": "ind",
    "acehnese": "ace",
    "banjarese": "bjn",
    "english": "eng",
    "madurese": "mad",
    "ngaju": "nij",
    "sundanese": "sun",
    "balinese": "ban",
    "buginese": "bug",
    "javanese": "jav",
    "minangkabau": "min",
    "toba_batak": "bbc",
}
"""NusaX's column/folder names -> ISO 639-3 codes."""

NUSAX_SPLITS = SPLIT_FILE_STEMS
"""Split name returned -> NusaX's file stem."""

SENTIMENT_LABELS = ["negative", "neutral", "positive"]

NUSAX_SENTIMENT_FEATURES = Features(
    {
        "id": Value("string"),
        "text": Value("string"),
        "label": ClassLabel(names=SENTIMENT_LABELS),
        "lang": Value("string"),
    }
)


def _find_dir(data_dir, marker: str, *candidates: str) -> Path:
    """The first of `candidates` under `data_dir` that holds `marker` (a file or folder NusaX has there)."""
    base = Path(data_dir)
    for candidate in candidates:
        if (base / candidate / marker).exists():
            return base / candidate
    raise FileNotFoundError(
        f"{base}: no NusaX folder found; looked for {[str(base / c) for c in candidates]}. Pass the folder that holds "
        "NusaX's `mt/` and `sentiment/` (e.g. ../shared/data/nusax)."
    )


def _nusax_name(language: str) -> str:
    code = resolve_language(language, "language")
    for name, nusax_code in NUSAX_LANGUAGES.items():
        if nusax_code == code:
            return name
    raise ValueError(f"{language!r} is not a NusaX language; expected one of {sorted(NUSAX_LANGUAGES.values())}.")


def load_nusax_mt(
    data_dir: str | os.PathLike,
    source_lang: str = "ind",
    target_lang: str = "jav",
    split: str | None = None,
    drop_empty: bool = True,
    drop_duplicates: bool = True,
):
    """Loads one language pair of NusaX-MT into the corpus schema.

    Args:
        data_dir (`str` or `os.PathLike`): NusaX's ``mt`` folder, the ``nusax`` folder above it, or the folder
            holding ``nusax/`` (e.g. ``../shared/data``).
        source_lang, target_lang (`str`): ISO 639-3 codes (or NusaX names) of two of the 12 languages
            (`NUSAX_LANGUAGES`).
        split (`str`, *optional*): ``train`` (500 rows), ``validation`` (100) or ``test`` (400); all three in a
            `DatasetDict` by default.
        drop_empty, drop_duplicates: see `build_corpus`.

    Raises:
        CorpusFormatError: see `load_multiway_csv` (a split without a pair with text on both sides raises).
    """
    source_name, target_name = _nusax_name(source_lang), _nusax_name(target_lang)
    mt_dir = _find_dir(data_dir, "train.csv", "nusax/mt", "mt", ".")
    codes = {NUSAX_LANGUAGES[source_name]: source_name, NUSAX_LANGUAGES[target_name]: target_name}
    result = {}
    for name, stem in selected_splits(split, "NusaX").items():
        result[name] = load_multiway_csv(
            mt_dir / f"{stem}.csv",
            NUSAX_LANGUAGES[source_name],
            NUSAX_LANGUAGES[target_name],
            columns=codes,
            drop_empty=drop_empty,
            drop_duplicates=drop_duplicates,
        )
    return result[split] if split is not None else DatasetDict(result)


def load_nusax_sentiment(
    data_dir: str | os.PathLike, language: str, split: str | None = None, drop_empty: bool = True
):
    """Loads NusaX-Senti for one language: ``id``, ``text``, ``label`` (negative/neutral/positive), ``lang``.

    A row with an empty (or whitespace-only) text is counted and logged as a warning and,
    by default, dropped; a file without a row holding text raises (the "no rows" rule of every loader).

    Args:
        data_dir (`str` or `os.PathLike`): NusaX's ``sentiment`` folder, the ``nusax`` folder or the folder holding
            ``nusax/``.
        language (`str`): ISO 639-3 code or NusaX name (``"jav"`` or ``"javanese"``).
        split (`str`, *optional*): ``train``, ``validation`` or ``test``; all three in a `DatasetDict` by default.
        drop_empty (`bool`, defaults to `True`): drop rows whose text is empty (they are counted either way).

    Raises:
        CorpusFormatError: a missing column or one named twice, an unknown label, an id used twice (both lines
            named), a blank line, a header without rows or no row with text, a malformed CSV record (file and line
            named).
    """
    name = _nusax_name(language)
    sentiment_dir = _find_dir(data_dir, "indonesian", "nusax/sentiment", "sentiment", ".")
    lang = NUSAX_LANGUAGES[name]
    result = {
        s: read_labeled_text_csv(
            sentiment_dir / name / f"{stem}.csv", lang, SENTIMENT_LABELS, NUSAX_SENTIMENT_FEATURES, drop_empty
        )
        for s, stem in selected_splits(split, "NusaX").items()
    }
    return result[split] if split is not None else DatasetDict(result)


assert all(code in LANGUAGES for code in NUSAX_LANGUAGES.values())
