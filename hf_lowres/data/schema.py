"""The corpus schema: parallel and synthetic (back-translated) sentence pairs as a `datasets.Dataset`.

Every loader and generator in `hf_lowres.data` returns rows of this shape, so real and synthetic data can be
concatenated, filtered, mixed and published without conversion:

| column | type | meaning |
|---|---|---|
| `source_text` | string | the source sentence (for a back-translated row, the model's output) |
| `target_text` | string | the target sentence (for a back-translated row, the real monolingual sentence) |
| `source_lang` | string | language code of `source_text` (ISO 639-3 preferred, e.g. ``ind``) |
| `target_lang` | string | language code of `target_text` (e.g. ``jav``) |
| `origin` | string | ``real``, ``back-translated``, ``forward-translated`` or ``synthetic`` (any other generator) |
| `provenance` | struct or null | synthetic rows: `model`, `direction`, `decoding` (JSON), `date`; else null |
| `quality` | float32 or null | an optional quality score (e.g. round-trip chrF) |

The provenance `model` is the generating model's name or path, `direction` is ``<from>-><to>`` (``jav->ind``),
`decoding` the generation settings as JSON and `date` an ISO 8601 date.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

from datasets import Dataset, Features, Value

from hf_lowres.models.language_codes import is_valid_language_code

from .errors import CorpusFormatError


ORIGINS = ("real", "back-translated", "forward-translated", "synthetic")
"""Allowed values of the `origin` column."""

SYNTHETIC_ORIGINS = ORIGINS[1:]

PROVENANCE_FEATURES = {
    "model": Value("string"),
    "direction": Value("string"),
    "decoding": Value("string"),
    "date": Value("string"),
}

CORPUS_FEATURES = Features(
    {
        "source_text": Value("string"),
        "target_text": Value("string"),
        "source_lang": Value("string"),
        "target_lang": Value("string"),
        "origin": Value("string"),
        "provenance": PROVENANCE_FEATURES,
        "quality": Value("float32"),
    }
)
"""`datasets.Features` of a parallel corpus (see the module docstring for the meaning of each column)."""

CORPUS_COLUMNS = tuple(CORPUS_FEATURES)

MONOLINGUAL_FEATURES = Features({"text": Value("string"), "lang": Value("string")})
"""`datasets.Features` of monolingual text: one sentence per row and its language code."""


@dataclass(frozen=True)
class Provenance:
    """Where a synthetic row comes from.

    Args:
        model (`str`): the model's Hub name or local path.
        direction (`str`): the direction the model translated, ``"<from>-><to>"`` (``"jav->ind"`` for
            Javanese monolingual text back-translated into Indonesian).
        decoding (`dict`): the generation settings (beam size, sampling, noise, seed ...); stored as JSON.
        date (`str`): ISO 8601 date of generation.
    """

    model: str
    direction: str
    decoding: Mapping
    date: str

    def to_row(self) -> dict:
        row = asdict(self)
        row["decoding"] = json.dumps(dict(self.decoding), sort_keys=True)
        return row


def corpus_row(
    source_text: str,
    target_text: str,
    source_lang: str,
    target_lang: str,
    origin: str = "real",
    provenance: Provenance | Mapping | None = None,
    quality: float | None = None,
) -> dict:
    """One row of the corpus schema, as a dict (provenance given as `Provenance` or a dict of its fields)."""
    if isinstance(provenance, Provenance):
        provenance = provenance.to_row()
    return {
        "source_text": source_text,
        "target_text": target_text,
        "source_lang": source_lang,
        "target_lang": target_lang,
        "origin": origin,
        "provenance": None if provenance is None else dict(provenance),
        "quality": quality,
    }


def corpus_from_rows(rows: Iterable[Mapping]) -> Dataset:
    """A `datasets.Dataset` with `CORPUS_FEATURES` from rows made by `corpus_row` (an empty list gives 0 rows)."""
    columns = {name: [] for name in CORPUS_COLUMNS}
    for row in rows:
        for name in CORPUS_COLUMNS:
            columns[name].append(row.get(name))
    return Dataset.from_dict(columns, features=CORPUS_FEATURES)


def corpus_from_pairs(
    sources: list[str], targets: list[str], source_lang: str, target_lang: str, origin: str = "real"
) -> Dataset:
    """A corpus of `origin` rows (real by default) from two aligned lists of sentences."""
    if len(sources) != len(targets):
        raise ValueError(f"got {len(sources)} source sentences but {len(targets)} target sentences.")
    n = len(sources)
    return Dataset.from_dict(
        {
            "source_text": list(sources),
            "target_text": list(targets),
            "source_lang": [source_lang] * n,
            "target_lang": [target_lang] * n,
            "origin": [origin] * n,
            "provenance": [None] * n,
            "quality": [None] * n,
        },
        features=CORPUS_FEATURES,
    )


def validate_corpus(dataset, name: str = "corpus", max_rows: int | None = None) -> None:
    """Checks that a dataset follows the corpus schema: columns, language codes and origins.

    Args:
        dataset (`datasets.Dataset` or `datasets.IterableDataset`): the corpus.
        name (`str`): how errors refer to it (a file name or repo id).
        max_rows (`int`, *optional*): check the values of at most this many rows (all by default).

    Raises:
        CorpusFormatError: a missing column (the columns found are listed), an ill-formed language code or an
            unknown origin (the row is named).
    """
    columns = list(dataset.column_names or [])
    missing = [c for c in CORPUS_COLUMNS if c not in columns]
    if missing:
        raise CorpusFormatError(
            f"missing corpus column(s) {missing}; columns found: {columns}. "
            f"Expected the columns {list(CORPUS_COLUMNS)}.",
            name,
        )
    for i, row in enumerate(dataset):
        if max_rows is not None and i >= max_rows:
            break
        for column in ("source_lang", "target_lang"):
            if not is_valid_language_code(row[column]):
                raise CorpusFormatError(
                    f"row {i}: {column} {row[column]!r} is an ill-formed language code; expected ISO 639-3 "
                    "(e.g. 'jav'), ISO 639-1 (e.g. 'id') or FLORES-200 style (e.g. 'jav_Latn').",
                    name,
                )
        if row["origin"] not in ORIGINS:
            raise CorpusFormatError(f"row {i}: origin {row['origin']!r} is not one of {list(ORIGINS)}.", name)
