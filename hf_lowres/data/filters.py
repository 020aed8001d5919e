"""Filters for parallel and synthetic corpora; each reports how many rows it removed.

A filter is a callable object: ``filter(dataset) -> FilterResult(dataset, removed)``. `filter_corpus` runs a chain
of them, logs each one's count and returns a `FilterReport`. A filter can be limited to some origins (e.g. only
``back-translated`` rows): the other rows pass untouched.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import sacrebleu
from datasets import Dataset


logger = logging.getLogger(__name__)


@dataclass
class FilterResult:
    """The kept rows and how many were removed."""

    dataset: Dataset
    removed: int


@dataclass
class FilterReport:
    """Rows before and after a chain of filters, and the rows each filter removed (in the order they ran)."""

    rows_in: int
    rows_out: int
    removed: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        parts = ", ".join(f"{name}: {n}" for name, n in self.removed.items())
        return f"{self.rows_in} rows in, {self.rows_out} out; removed by filter: {parts or 'none'}"


class CorpusFilter:
    """Base class: subclasses implement `keep(row) -> bool` (or override `__call__` for filters that batch).

    Args:
        origins (`Sequence[str]`, *optional*): apply only to rows of these origins; all rows by default.
    """

    name = "filter"

    def __init__(self, origins: Sequence[str] | None = None):
        self.origins = None if origins is None else set(origins)

    def applies(self, row) -> bool:
        return self.origins is None or row["origin"] in self.origins

    def keep(self, row) -> bool:
        raise NotImplementedError

    def keep_mask(self, dataset: Dataset) -> list[bool]:
        return [not self.applies(row) or self.keep(row) for row in dataset]

    def __call__(self, dataset: Dataset) -> FilterResult:
        mask = self.keep_mask(dataset)
        indices = [i for i, keep in enumerate(mask) if keep]
        removed = len(dataset) - len(indices)
        return FilterResult(dataset.select(indices) if removed else dataset, removed)


def _length(text: str, unit: str) -> int:
    return len(text.split()) if unit == "words" else len(text)


class EmptyFilter(CorpusFilter):
    """Removes rows with an empty (or whitespace-only) source or target."""

    name = "empty"

    def keep(self, row) -> bool:
        return bool((row["source_text"] or "").strip()) and bool((row["target_text"] or "").strip())


class LengthRatioFilter(CorpusFilter):
    """Removes pairs whose lengths differ by more than a ratio, or that are too long.

    Args:
        max_ratio (`float`, defaults to 2.0): the largest allowed ``max(len) / min(len)``.
        unit (`str`, defaults to `"words"`): measure length in ``"words"`` or ``"chars"``.
        max_length (`int`, *optional*): also remove pairs with a side longer than this.
        origins: see `CorpusFilter`.
    """

    name = "length_ratio"

    def __init__(self, max_ratio: float = 2.0, unit: str = "words", max_length: int | None = None, origins=None):
        super().__init__(origins)
        if max_ratio < 1:
            raise ValueError(f"`max_ratio` must be at least 1, got {max_ratio}.")
        if unit not in ("words", "chars"):
            raise ValueError(f"`unit` must be 'words' or 'chars', got {unit!r}.")
        self.max_ratio, self.unit, self.max_length = max_ratio, unit, max_length

    def keep(self, row) -> bool:
        a, b = _length(row["source_text"] or "", self.unit), _length(row["target_text"] or "", self.unit)
        if self.max_length is not None and max(a, b) > self.max_length:
            return False
        if min(a, b) == 0:
            return a == b
        return max(a, b) / min(a, b) <= self.max_ratio


class CopyFilter(CorpusFilter):
    """Removes pairs whose source is (nearly) a copy of the target: a failure mode of back-translation models.

    Similarity is `difflib.SequenceMatcher`'s ratio on lowercased, whitespace-normalised text.

    Args:
        threshold (`float`, defaults to 0.9): remove pairs at least this similar (1.0 = exact copies only).
        origins: see `CorpusFilter`.
    """

    name = "copy"

    def __init__(self, threshold: float = 0.9, origins=None):
        super().__init__(origins)
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"`threshold` must be in (0, 1], got {threshold}.")
        self.threshold = threshold

    def keep(self, row) -> bool:
        a = " ".join((row["source_text"] or "").lower().split())
        b = " ".join((row["target_text"] or "").lower().split())
        if not a or not b:
            return True
        return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() < self.threshold


class DuplicateFilter(CorpusFilter):
    """Removes exact repeats of an earlier row (same columns), keeping the first.

    Args:
        columns (`Sequence[str]`, defaults to source and target text): the columns that make two rows the same;
            ``("source_text",)`` removes repeated synthetic sources.
        origins: see `CorpusFilter`.
    """

    name = "duplicate"

    def __init__(self, columns: Sequence[str] = ("source_text", "target_text"), origins=None):
        super().__init__(origins)
        self.columns = tuple(columns)

    def keep_mask(self, dataset: Dataset) -> list[bool]:
        seen, mask = set(), []
        for row in dataset:
            if not self.applies(row):
                mask.append(True)
                continue
            key = tuple(row[c] for c in self.columns)
            mask.append(key not in seen)
            seen.add(key)
        return mask


class RoundTripChrFFilter(CorpusFilter):
    """Removes synthetic pairs whose source, translated back, does not reproduce the target well (chrF).

    The (synthetic) source of each row is translated into the target language by `translate` and scored against
    the real target with sacrebleu's sentence chrF (Popović, 2015). Rows below `threshold` are removed; with
    `store_score=True` the score is written to the ``quality`` column.

    Args:
        translate (`Callable[[list[str]], list[str]]`): source -> target translation, e.g. a `BackTranslator` for
            the forward direction (its `translate` method).
        threshold (`float`, defaults to 30.0): the minimum chrF (0-100).
        batch_size (`int`, defaults to 256): sentences per call to `translate`.
        store_score (`bool`, defaults to `True`): keep the score in the ``quality`` column.
        origins (defaults to the synthetic origins): see `CorpusFilter`.
    """

    name = "round_trip_chrf"

    def __init__(
        self,
        translate: Callable[[list[str]], list[str]],
        threshold: float = 30.0,
        batch_size: int = 256,
        store_score: bool = True,
        origins=("back-translated", "forward-translated", "synthetic"),
    ):
        super().__init__(origins)
        self.translate, self.threshold, self.batch_size, self.store_score = (
            translate,
            threshold,
            batch_size,
            store_score,
        )

    def scores(self, dataset: Dataset) -> list[float | None]:
        """The round-trip chrF of each row it applies to (`None` for the others)."""
        rows = [i for i, row in enumerate(dataset) if self.applies(row)]
        scores: list[float | None] = [None] * len(dataset)
        sources, targets = dataset["source_text"], dataset["target_text"]
        for begin in range(0, len(rows), self.batch_size):
            chunk = rows[begin : begin + self.batch_size]
            back = self.translate([sources[i] for i in chunk])
            if len(back) != len(chunk):
                raise ValueError(f"`translate` returned {len(back)} outputs for {len(chunk)} inputs.")
            for i, hypothesis in zip(chunk, back):
                scores[i] = sacrebleu.sentence_chrf(hypothesis, [targets[i]]).score
        return scores

    def __call__(self, dataset: Dataset) -> FilterResult:
        scores = self.scores(dataset)
        if self.store_score:
            quality = [q if s is None else float(s) for q, s in zip(dataset["quality"], scores)]
            dataset = dataset.remove_columns("quality").add_column(
                "quality", quality, feature=dataset.features["quality"]
            )
        indices = [i for i, s in enumerate(scores) if s is None or s >= self.threshold]
        removed = len(dataset) - len(indices)
        return FilterResult(dataset.select(indices) if removed else dataset, removed)


class LanguageIdFilter(CorpusFilter):
    """Removes rows whose text a language identifier assigns to another language.

    The identifier is pluggable: any callable ``identify(text) -> code`` or ``-> (code, confidence)``, e.g. a
    wrapper around fastText's lid.176, GlotLID or CLD3. Its codes are compared with the row's language code after
    `normalize` (identity by default; use it to map ISO 639-1 answers to ISO 639-3, or to strip ``__label__``).

    Args:
        identify (`Callable[[str], str | tuple[str, float]]`): the language identifier.
        side (`str`, defaults to `"source"`): check ``"source"``, ``"target"`` or ``"both"`` sides.
        min_confidence (`float`, defaults to 0.0): also remove rows identified correctly with lower confidence.
        normalize (`Callable[[str], str]`, *optional*): maps the identifier's codes to the corpus's codes.
        origins: see `CorpusFilter`.
    """

    name = "language_id"

    def __init__(
        self,
        identify: Callable[[str], str | tuple[str, float]],
        side: str = "source",
        min_confidence: float = 0.0,
        normalize: Callable[[str], str] | None = None,
        origins=None,
    ):
        super().__init__(origins)
        if side not in ("source", "target", "both"):
            raise ValueError(f"`side` must be 'source', 'target' or 'both', got {side!r}.")
        self.identify, self.side, self.min_confidence = identify, side, min_confidence
        self.normalize = normalize or (lambda code: code)

    def _matches(self, text: str, expected: str) -> bool:
        answer = self.identify(text)
        code, confidence = answer if isinstance(answer, tuple) else (answer, 1.0)
        return self.normalize(code) == expected and confidence >= self.min_confidence

    def keep(self, row) -> bool:
        sides = ("source", "target") if self.side == "both" else (self.side,)
        return all(self._matches(row[f"{side}_text"], row[f"{side}_lang"]) for side in sides)


def filter_corpus(dataset: Dataset, filters: Sequence[CorpusFilter]) -> tuple[Dataset, FilterReport]:
    """Runs `filters` in order, logging and reporting how many rows each removed.

    Args:
        dataset (`datasets.Dataset`): a corpus (`CORPUS_FEATURES`).
        filters (`Sequence[CorpusFilter]`): e.g. ``[EmptyFilter(), DuplicateFilter(), LengthRatioFilter(),
            CopyFilter(), RoundTripChrFFilter(forward.translate)]``.

    Returns:
        `tuple[datasets.Dataset, FilterReport]`: the kept rows and the counts.
    """
    report = FilterReport(rows_in=len(dataset), rows_out=len(dataset))
    for corpus_filter in filters:
        result = corpus_filter(dataset)
        name = corpus_filter.name
        while name in report.removed:
            name += "'"
        report.removed[name] = result.removed
        logger.info("Filter %s removed %d of %d rows.", name, result.removed, len(dataset))
        dataset = result.dataset
    report.rows_out = len(dataset)
    logger.info("Filtering: %s.", report)
    return dataset, report
