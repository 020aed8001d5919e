"""CoNLL-style token classification files (``token TAG`` per line, a blank line between sentences), e.g. MasakhaNER."""

from __future__ import annotations

import os
from pathlib import Path

from datasets import ClassLabel, Dataset, DatasetDict, Features, List, Value

from .errors import CorpusFormatError
from .language_names import resolve_language
from .text_reading import iter_lines


MASAKHANER_TAGS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-DATE", "I-DATE"]
"""MasakhaNER 1.0's BIO tags over PER/ORG/LOC/DATE, in the order of the Hub's `masakhaner` dataset."""

MASAKHANER_LANGUAGES = ("amh", "hau", "ibo", "kin", "lug", "luo", "pcm", "swa", "wol", "yor")

MASAKHANER_SPLITS = {"train": "train", "validation": "dev", "test": "test"}


def conll_features(tag_names: list[str]) -> Features:
    """Features of a token-classification dataset: ``id``, ``tokens``, ``ner_tags`` (ClassLabel list), ``lang``."""
    return Features(
        {
            "id": Value("string"),
            "tokens": List(Value("string")),
            "ner_tags": List(ClassLabel(names=list(tag_names))),
            "lang": Value("string"),
        }
    )


def load_conll(
    path: str | os.PathLike,
    lang: str,
    tag_names: list[str] | None = None,
    tag_column: int = -1,
) -> Dataset:
    """Loads a CoNLL file into tokens and NER tags.

    Each non-blank line is ``token [other columns] TAG`` separated by whitespace; a blank line ends a sentence;
    ``-DOCSTART-`` lines are skipped.

    Args:
        path (`str` or `os.PathLike`): the UTF-8 file.
        lang (`str`): the language code of the text (stored in the ``lang`` column).
        tag_names (`list[str]`, *optional*): the tag set, in ClassLabel order. By default the tags seen, ``O``
            first, then sorted by entity type and B before I. Give it so that splits share ids.
        tag_column (`int`, defaults to -1): the column of the tag.

    Raises:
        CorpusFormatError: a line with a single field, a tag outside `tag_names`, an empty file or one without a
            sentence (only blank lines: the "no rows" rule of every loader), undecodable bytes or a NUL character
            (file and line named).
    """
    lang = resolve_language(lang, "lang")
    path = str(path)
    sentences, tags, current_tokens, current_tags = [], [], [], []
    for number, line in iter_lines(path, "CoNLL lines `token TAG` with a blank line between sentences"):
        fields = line.split()
        if not fields:
            if current_tokens:
                sentences.append(current_tokens)
                tags.append(current_tags)
                current_tokens, current_tags = [], []
            continue
        if fields[0] == "-DOCSTART-":
            continue
        if len(fields) < 2:
            raise CorpusFormatError(f"expected `token TAG`, found {line!r}.", path, number)
        tag = fields[tag_column]
        if tag_names is not None and tag not in tag_names:
            raise CorpusFormatError(f"unknown tag {tag!r}; expected one of {list(tag_names)}.", path, number)
        current_tokens.append(fields[0])
        current_tags.append(tag)
    if current_tokens:
        sentences.append(current_tokens)
        tags.append(current_tags)
    if not sentences:
        raise CorpusFormatError("no sentences found; expected `token TAG` lines.", path)
    if tag_names is None:
        seen = {t for sentence in tags for t in sentence}
        tag_names = sorted(seen, key=lambda t: (t != "O", t[2:], t[:2]))
    ids = {name: i for i, name in enumerate(tag_names)}
    return Dataset.from_dict(
        {
            "id": [str(i) for i in range(len(sentences))],
            "tokens": sentences,
            "ner_tags": [[ids[t] for t in sentence] for sentence in tags],
            "lang": [lang] * len(sentences),
        },
        features=conll_features(tag_names),
    )


def load_masakhaner(data_dir: str | os.PathLike, language: str, split: str | None = None):
    """Loads MasakhaNER 1.0 (Adelani et al., 2021) for one language, tags in `MASAKHANER_TAGS` order.

    Args:
        data_dir (`str` or `os.PathLike`): the ``masakhaner`` folder (with ``<lang>/{train,dev,test}.txt``) or the
            folder holding it (e.g. ``../shared/data``).
        language (`str`): one of `MASAKHANER_LANGUAGES` (ISO 639-3) or its English name.
        split (`str`, *optional*): ``train``, ``validation`` (the ``dev.txt`` file) or ``test``; all three in a
            `DatasetDict` by default.

    Note: MasakhaNER 1.0 is CC BY-NC 4.0 (non-commercial use only).
    """
    lang = resolve_language(language, "language")
    if lang not in MASAKHANER_LANGUAGES:
        raise ValueError(f"{language!r} is not a MasakhaNER 1.0 language; expected one of {MASAKHANER_LANGUAGES}.")
    base = Path(data_dir)
    root = base / "masakhaner" if (base / "masakhaner").is_dir() else base
    if split is not None and split not in MASAKHANER_SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {list(MASAKHANER_SPLITS)}.")
    splits = {split: MASAKHANER_SPLITS[split]} if split else MASAKHANER_SPLITS
    result = {name: load_conll(root / lang / f"{stem}.txt", lang, MASAKHANER_TAGS) for name, stem in splits.items()}
    return result[split] if split is not None else DatasetDict(result)
