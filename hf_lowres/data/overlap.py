"""Sentence overlap between training signals and the sets a model is selected or judged on.

A zero-shot result is only clean if no training signal (labeled rows, unlabeled text, parallel pairs, vocabulary
text, pseudo-labeled rows) shares a sentence with a valid or test set, and an auxiliary signal that is meant to be
disjoint from the labeled set (e.g. parallel pairs that are not translations of the labeled sentences) shares none
with it either. `find_overlaps` counts such sentences per (signal, reference) by normalized exact match, and
`OverlapReport.raise_if_any` stops a run that has any, naming the offending sentences.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


def normalize_sentence(text: str) -> str:
    """The form two sentences are compared in: Unicode NFKC, case-folded, runs of whitespace collapsed to one space
    and stripped at both ends.

    Example:

    ```python
    >>> normalize_sentence("  Ｔhe  FOOD\\twas great ")
    'the food was great'
    ```
    """
    if not isinstance(text, str):
        raise TypeError(f"normalize_sentence expects a str, got {type(text).__name__}: {text!r}.")
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


class SentenceOverlapError(ValueError):
    """A training signal shares sentences with a set it must be disjoint from (see `OverlapReport.raise_if_any`)."""


@dataclass(frozen=True)
class OverlapMatch:
    """One training sentence that also occurs in a reference set.

    Args:
        signal (`str`): name of the training signal.
        index (`int`): position of the sentence in that signal (0-based, in the order it was given).
        text (`str`): the sentence as it appears in the signal.
        reference (`str`): name of the reference set it was found in.
    """

    signal: str
    index: int
    text: str
    reference: str


@dataclass
class OverlapReport:
    """What `find_overlaps` found.

    Args:
        counts (`dict[str, dict[str, int]]`): per signal, per reference checked, the number of the signal's sentences
            (counted with repetition) whose normalized form occurs in the reference. A pair that was skipped is absent.
        sizes (`dict[str, int]`): the number of non-empty sentences each signal held.
        examples (`list[OverlapMatch]`): up to `max_examples` matches per (signal, reference), in signal order.
    """

    counts: dict[str, dict[str, int]]
    sizes: dict[str, int]
    examples: list[OverlapMatch] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Number of (sentence, reference) matches over every signal; 0 for disjoint data."""
        return sum(sum(per_reference.values()) for per_reference in self.counts.values())

    def per_signal(self) -> dict[str, int]:
        """Matches per signal, over all the references it was checked against."""
        return {signal: sum(per_reference.values()) for signal, per_reference in self.counts.items()}

    def to_dict(self) -> dict:
        return {
            "total": self.total,
            "per_signal": self.per_signal(),
            "counts": self.counts,
            "sizes": self.sizes,
            "examples": [vars(match) for match in self.examples],
        }

    def summary(self) -> str:
        """One line: the total and the count of every signal, e.g. ``overlap check: 0 shared sentences (pairs 0 of
        2,750, labeled 0 of 250)``."""
        parts = ", ".join(f"{signal} {n} of {self.sizes[signal]:,}" for signal, n in self.per_signal().items())
        return f"overlap check: {self.total} shared sentences ({parts})"

    def raise_if_any(self, what: str = "the training data") -> None:
        """Raises `SentenceOverlapError` naming every signal, reference and example sentence if `total > 0`."""
        if self.total == 0:
            return
        lines = [
            f"{what}: {self.total} training sentence(s) also occur in a set they must be disjoint from "
            "(normalized exact match: NFKC, case-folded, whitespace collapsed):"
        ]
        for signal, per_reference in self.counts.items():
            for reference, n in per_reference.items():
                if n:
                    lines.append(f"  {signal} vs {reference}: {n}")
        lines.append("examples:")
        lines += [f"  {m.signal}[{m.index}] in {m.reference}: {m.text!r}" for m in self.examples]
        raise SentenceOverlapError("\n".join(lines))


def find_overlaps(
    signals: Mapping[str, Iterable[str]],
    references: Mapping[str, Iterable[str]],
    skip: Iterable[tuple[str, str]] = (),
    max_examples: int = 5,
) -> OverlapReport:
    """Counts the sentences of each training signal that also occur in each reference set.

    Sentences are compared by `normalize_sentence`; a sentence that is empty after normalization is not a sentence
    and never matches (it is not counted in `sizes` either).

    Args:
        signals (`Mapping[str, Iterable[str]]`): name -> the sentences a training signal feeds the model (for
            parallel pairs, pass each side as its own signal or both sides together).
        references (`Mapping[str, Iterable[str]]`): name -> the sentences of a set the signals must not share any
            sentence with (valid and test sets; the labeled training set for auxiliary signals).
        skip (`Iterable[tuple[str, str]]`, *optional*): (signal, reference) pairs not to check, e.g. the labeled rows
            against the labeled set they are.
        max_examples (`int`, defaults to 5): how many matches to keep per (signal, reference) for the report.

    Returns:
        `OverlapReport`: counts per signal and reference, and example matches.

    Example:

    ```python
    >>> report = find_overlaps({"pairs": ["A good film.", "Bad service"]}, {"test": ["a  good FILM."]})
    >>> report.counts, report.total
    ({'pairs': {'test': 1}}, 1)
    ```
    """
    skipped = set(skip)
    unknown = {name for name, _ in skipped if name not in signals} | {
        name for _, name in skipped if name not in references
    }
    if unknown:
        raise ValueError(
            f"find_overlaps: `skip` names {sorted(unknown)}, which are neither signals ({sorted(signals)}) nor "
            f"references ({sorted(references)})."
        )
    normalized_references = {}
    for name, texts in references.items():
        normalized_references[name] = {normalize_sentence(t) for t in texts} - {""}
    counts: dict[str, dict[str, int]] = {}
    sizes: dict[str, int] = {}
    examples: list[OverlapMatch] = []
    for signal, texts in signals.items():
        checked = {name: ref for name, ref in normalized_references.items() if (signal, name) not in skipped}
        counts[signal] = dict.fromkeys(checked, 0)
        sizes[signal] = 0
        for index, text in enumerate(texts):
            normalized = normalize_sentence(text)
            if not normalized:
                continue
            sizes[signal] += 1
            for name, reference in checked.items():
                if normalized in reference:
                    counts[signal][name] += 1
                    if counts[signal][name] <= max_examples:
                        examples.append(OverlapMatch(signal, index, text, name))
    return OverlapReport(counts=counts, sizes=sizes, examples=examples)
