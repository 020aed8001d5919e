"""NusaWrites (Cahyawijaya et al., IJCNLP-AACL 2023): NusaParagraph, paragraphs written by native speakers of
Indonesian local languages with a topic label, and NusaTranslation, Indonesian <-> local-language human translations.

The files are read from a local copy of the repository's ``data/`` folder (``nusa_alinea-topic-<lang>-<split>.csv``,
``id,text,label``; ``nusa_kalimat-mt-<lang>-<split>.csv``, ``id,ind_text,tgt_text``); nothing is downloaded.
NusaParagraph is the largest native (not translated) text here for jav, sun, min, mad, btk, bew and mak: monolingual
text for language adapters (`sentences=True` splits each paragraph into sentences) and a topic task.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

from .labeled_text_csv import read_labeled_text_csv
from .language_names import resolve_language
from .parallel_loaders import load_multiway_csv
from .split_names import selected_splits


NUSA_PARAGRAPH_LANGUAGES = ("bew", "btk", "bug", "jav", "mad", "mak", "min", "mui", "rej", "sun")
NUSA_TRANSLATION_LANGUAGES = ("abs", "bew", "bhp", "btk", "jav", "mad", "mak", "min", "mui", "rej", "sun")
NUSA_PARAGRAPH_TOPICS = [
    "business", "culture & heritage", "food & beverages", "leisures", "religion", "slice of life", "sports",
    "technology",
]  # fmt: skip
NUSA_PARAGRAPH_FEATURES = Features(
    {
        "id": Value("string"),
        "text": Value("string"),
        "label": ClassLabel(names=NUSA_PARAGRAPH_TOPICS),
        "lang": Value("string"),
    }
)
# A sentence ends at . ! ? (and a closing quote or bracket, kept) before whitespace and an upper-case letter, a digit
# or an opening quote: "Pak Rudi teka. Dheweke ..." splits, "jam 7.30" and "dll. lan" do not.
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"'”’)\]]))\s+(?=[\"'“‘(\[]?[A-Z0-9])")


def split_sentences(paragraph: str) -> list[str]:
    """Splits a paragraph into sentences at `.`, `!` or `?` followed by a space and a capital letter or digit.

    Example:

    ```python
    >>> split_sentences("Aku seneng. Kowe piye? Apik!")
    ['Aku seneng.', 'Kowe piye?', 'Apik!']
    ```
    """
    return [s.strip() for s in _SENTENCE_END.split(" ".join(paragraph.split())) if s.strip()]


def _folder(data_dir: str | os.PathLike, marker: str) -> Path:
    base = Path(data_dir)
    for candidate in (base / "nusawrites", base):
        if (candidate / marker).is_file():
            return candidate
    raise FileNotFoundError(
        f"{base}: no NusaWrites file {marker} found in {base / 'nusawrites'} or {base}. Pass the folder that holds "
        "`nusawrites/` (e.g. ../shared/data) or the `nusawrites` folder itself."
    )


def _language(language: str, available: tuple[str, ...], corpus: str) -> str:
    code = resolve_language(language, "language")
    if code not in available:
        raise ValueError(f"{corpus} has no {language!r}; expected one of {list(available)}.")
    return code


def load_nusa_paragraph(
    data_dir: str | os.PathLike, language: str, split: str | None = None, sentences: bool = False
) -> Dataset | DatasetDict:
    """Loads NusaParagraph topic classification for one language: ``id``, ``text``, ``label`` (8 topics), ``lang``.

    Args:
        data_dir (`str` or `os.PathLike`): the folder holding ``nusawrites/`` (e.g. ``../shared/data``) or the
            ``nusawrites`` folder itself.
        language (`str`): ISO 639-3 code or name, one of `NUSA_PARAGRAPH_LANGUAGES` (``"jav"`` or ``"javanese"``).
        split (`str`, *optional*): ``train``, ``validation`` or ``test``; all three in a `DatasetDict` by default.
        sentences (`bool`, defaults to `False`): one row per sentence (`split_sentences`) instead of per paragraph,
            with ids ``<paragraph id>-<k>`` and the paragraph's label: text for masked-LM at short lengths.

    Raises:
        ValueError: an unknown language or split.
        FileNotFoundError: the folder or a split's file is missing.
        CorpusFormatError: see `read_labeled_text_csv` (file and line named).
    """
    code = _language(language, NUSA_PARAGRAPH_LANGUAGES, "NusaParagraph")
    folder = _folder(data_dir, f"nusa_alinea-topic-{code}-train.csv")
    result = {}
    for name, stem in selected_splits(split, "NusaWrites").items():
        dataset = read_labeled_text_csv(
            folder / f"nusa_alinea-topic-{code}-{stem}.csv", code, NUSA_PARAGRAPH_TOPICS, NUSA_PARAGRAPH_FEATURES
        )
        result[name] = _by_sentence(dataset) if sentences else dataset
    return result[split] if split is not None else DatasetDict(result)


def _by_sentence(paragraphs: Dataset) -> Dataset:
    columns = {"id": [], "text": [], "label": [], "lang": []}
    for row in paragraphs:
        for k, sentence in enumerate(split_sentences(row["text"])):
            columns["id"].append(f"{row['id']}-{k}")
            columns["text"].append(sentence)
            columns["label"].append(row["label"])
            columns["lang"].append(row["lang"])
    return Dataset.from_dict(columns, features=NUSA_PARAGRAPH_FEATURES)


def load_nusa_translation(
    data_dir: str | os.PathLike,
    language: str,
    split: str | None = None,
    reverse: bool = False,
    drop_empty: bool = True,
    drop_duplicates: bool = True,
) -> Dataset | DatasetDict:
    """Loads NusaTranslation for one language into the corpus schema: Indonesian source, `language` target
    (`reverse=True`: the other way round).

    Args:
        data_dir (`str` or `os.PathLike`): the folder holding ``nusawrites/`` or that folder itself.
        language (`str`): one of `NUSA_TRANSLATION_LANGUAGES` (jav, sun, min, mad, btk, bew, mak: 6,600 / 849 /
            2,000 pairs; abs, bhp, mui, rej: 1,000 / ~175 / 400).
        split (`str`, *optional*): ``train``, ``validation`` or ``test``; all three in a `DatasetDict` by default.
        reverse (`bool`): `language` -> Indonesian instead of Indonesian -> `language`.
        drop_empty, drop_duplicates: see `build_corpus`.

    Raises:
        ValueError: an unknown language or split.
        FileNotFoundError: the folder or a split's file is missing.
        CorpusFormatError: see `load_multiway_csv`.
    """
    code = _language(language, NUSA_TRANSLATION_LANGUAGES, "NusaTranslation")
    folder = _folder(data_dir, f"nusa_kalimat-mt-{code}-train.csv")
    source, target = (code, "ind") if reverse else ("ind", code)
    columns = {"ind": "ind_text", code: "tgt_text"}
    result = {
        name: load_multiway_csv(
            folder / f"nusa_kalimat-mt-{code}-{stem}.csv",
            source,
            target,
            columns=columns,
            drop_empty=drop_empty,
            drop_duplicates=drop_duplicates,
        )  # fmt: skip
        for name, stem in selected_splits(split, "NusaWrites").items()
    }
    return result[split] if split is not None else DatasetDict(result)
