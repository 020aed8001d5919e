"""Robustness of a model to perturbed input, per perturbation and language (Manafi & Krishnaswamy, 2024)."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

from hf_lowres.evaluation.per_language_report import MACRO_AVERAGE, _resolve_metrics, evaluate_per_language
from hf_lowres.evaluation.perturbations import perturb, perturb_tokens


DEFAULT_PERTURBATIONS = (
    "char_swap",
    "char_delete",
    "char_insert",
    "strip_diacritics",
    "lowercase",
    "remove_punctuation",
)
_COLUMNS = ["language", "perturbation", "n", "clean", "perturbed", "drop", "relative_drop"]


@dataclass
class RobustnessReport:
    """A metric on clean and perturbed input, per perturbation and language.

    Args:
        rows (`list[dict]`): ``language``, ``perturbation``, ``n``, ``clean``, ``perturbed``, ``drop``
            (``clean - perturbed``: positive when the score fell; for TER, where lower is better, read the sign the
            other way) and ``relative_drop`` (``drop / clean``).
        metric (`str`): the metric value compared.
    """

    rows: list[dict]
    metric: str

    @property
    def perturbations(self) -> list[str]:
        return list(dict.fromkeys(row["perturbation"] for row in self.rows))

    @property
    def mean_drop(self) -> dict[str, float]:
        """Perturbation -> drop averaged over languages."""
        result = {}
        for perturbation in self.perturbations:
            drops = [row["drop"] for row in self.rows if row["perturbation"] == perturbation]
            result[perturbation] = sum(drops) / len(drops)
        return result

    def drop(self, language: str, perturbation: str) -> float:
        for row in self.rows:
            if row["language"] == language and row["perturbation"] == perturbation:
                return row["drop"]
        raise KeyError((language, perturbation))

    def _table(self) -> list[dict]:
        table = list(self.rows)
        for perturbation in self.perturbations:
            rows = [row for row in self.rows if row["perturbation"] == perturbation]
            average = {key: sum(row[key] for row in rows) / len(rows) for key in ("clean", "perturbed", "drop")}
            relative = [row["relative_drop"] for row in rows if row["relative_drop"] is not None]
            table.append(
                {
                    "language": MACRO_AVERAGE,
                    "perturbation": perturbation,
                    "n": sum(row["n"] for row in rows),
                    **average,
                    "relative_drop": sum(relative) / len(relative) if relative else None,
                }
            )
        return table

    def to_markdown(self, digits: int = 3) -> str:
        """A Markdown table: every language and perturbation, then the macro average per perturbation."""
        header = [
            "language",
            "perturbation",
            "n",
            f"clean {self.metric}",
            f"perturbed {self.metric}",
            "drop",
            "rel. drop",
        ]
        lines = ["| " + " | ".join(header) + " |", "|---|---|" + "---:|" * (len(header) - 2)]
        for row in self._table():
            relative = "–" if row["relative_drop"] is None else f"{100 * row['relative_drop']:.1f}%"
            cells = [
                row["language"],
                row["perturbation"],
                str(row["n"]),
                f"{row['clean']:.{digits}f}",
                f"{row['perturbed']:.{digits}f}",
                f"{row['drop']:+.{digits}f}",
                relative,
            ]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"

    def to_csv(self, path: str | PathLike) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=_COLUMNS)
            writer.writeheader()
            writer.writerows(self._table())
        return path

    def to_dict(self) -> dict:
        return {"metric": self.metric, "rows": [dict(row) for row in self.rows], "mean_drop": self.mean_drop}

    def to_json(self, path: str | PathLike) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path


def _perturbation_specs(perturbations) -> list[tuple[str, str, float | None]]:
    """``"char_swap"`` or ``("char_swap", 0.2)`` -> ``(column name, kind, rate)``."""
    specs = []
    for spec in perturbations:
        kind, rate = (spec, None) if isinstance(spec, str) else tuple(spec)
        specs.append((kind if rate is None else f"{kind}@{rate:g}", kind, rate))
    return specs


def perturb_dataset(
    dataset,
    kind: str,
    rate: float | None = None,
    seed: int = 0,
    lexicon: Mapping[str, Sequence[str]] | None = None,
    text_column: str | None = "text",
    tokens_column: str | None = None,
    label_column: str | None = None,
):
    """A copy of a `datasets.Dataset` with its text (or tokens) column perturbed by `perturb` (or `perturb_tokens`).

    Args:
        dataset (`datasets.Dataset`): the evaluation set.
        kind, rate, seed, lexicon: see `perturb`.
        text_column (`str`, defaults to `"text"`): the column perturbed for sequence tasks.
        tokens_column (`str`, *optional*): set for token classification: this column is perturbed token by token,
            and `label_column` checked to stay aligned.
        label_column (`str`, *optional*): the per-token labels of token classification.

    Returns:
        `datasets.Dataset`.
    """

    def apply(example):
        if tokens_column is not None:
            labels = example[label_column] if label_column else None
            tokens, labels = perturb_tokens(example[tokens_column], labels, kind, rate, seed, lexicon)
            return {tokens_column: tokens, **({label_column: labels} if label_column else {})}
        return {text_column: perturb(example[text_column], kind, rate, seed, lexicon)}

    # keep_in_memory: perturbed copies are throwaway, never worth a cache file.
    return dataset.map(apply, keep_in_memory=True, load_from_cache_file=False, desc=f"perturb {kind}")


def evaluate_robustness(
    model_or_predict_fn,
    datasets: Mapping[str, object],
    metric,
    perturbations: Sequence = DEFAULT_PERTURBATIONS,
    *,
    seed: int = 0,
    lexicons: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    metric_key: str | None = None,
    task: str = "sequence-classification",
    text_column: str = "text",
    tokens_column: str = "tokens",
    label_column: str | None = None,
    **evaluate_kwargs,
) -> RobustnessReport:
    """Evaluates a model on clean and perturbed copies of each language's test set and reports the drop.

    The robustness suite of Manafi & Krishnaswamy (2024), "Cross-Lingual Transfer Robustness to Lower-Resource
    Languages on Adversarial Datasets": typos (character swaps, deletions, insertions), stripped diacritics,
    casing, removed punctuation and code-switching through a bilingual lexicon, each seeded and deterministic.
    For token classification the tokens are perturbed one by one and the labels stay aligned.

    Args:
        model_or_predict_fn: as in `evaluate_per_language`.
        datasets (`Mapping[str, datasets.Dataset]`): language -> clean test set.
        metric: one metric spec as in `evaluate_per_language` (e.g. ``"macro_f1"`` or ``"entity_f1"``).
        perturbations (`Sequence`): kinds (see `PERTURBATION_KINDS`), or ``(kind, rate)`` pairs.
        seed (`int`, defaults to 0): perturbation seed.
        lexicons (`Mapping[str, Mapping]`, *optional*): language -> bilingual lexicon (see
            `load_bilingual_lexicon`) for ``"code_switch"``; languages without one are left out of that
            perturbation.
        metric_key (`str`, *optional*): the metric value compared; defaults to the first one the metric returns.
        task, text_column, tokens_column, label_column: as in `evaluate_per_language`.
        **evaluate_kwargs: passed to `evaluate_per_language` (`tokenizer`, `batch_size`, `label_names`, ...).

    Returns:
        `RobustnessReport`.

    Example:

    ```python
    >>> lexicons = {"ind": load_bilingual_lexicon("nusax/lexicon/javanese.csv")}
    >>> report = evaluate_robustness(model, {"ind": ind_test}, "macro_f1", ["char_swap", ("code_switch", 0.5)],
    ...                              tokenizer=tokenizer, lexicons=lexicons)
    >>> report.mean_drop
    ```
    """
    kwargs = dict(task=task, text_column=text_column, tokens_column=tokens_column, label_column=label_column)
    kwargs.update(evaluate_kwargs)
    token_level = task == "token-classification"
    label_column_resolved = label_column or ("ner_tags" if token_level else "label")
    # Load the metric once for the clean run and every perturbation.
    metric = dict(_resolve_metrics(metric))
    clean = evaluate_per_language(model_or_predict_fn, datasets, metric, **kwargs)
    metric_key = metric_key or clean.metric_names[0]
    if metric_key not in clean.metric_names:
        raise ValueError(f"metric value {metric_key!r} not among {clean.metric_names}")

    rows = []
    for name, kind, rate in _perturbation_specs(perturbations):
        perturbed_sets = {}
        for language, dataset in datasets.items():
            lexicon = (lexicons or {}).get(language)
            if kind == "code_switch" and lexicon is None:
                continue
            perturbed_sets[language] = perturb_dataset(
                dataset,
                kind,
                rate,
                seed,
                lexicon,
                text_column=text_column,
                tokens_column=tokens_column if token_level else None,
                label_column=label_column_resolved if token_level else None,
            )
        if not perturbed_sets:
            continue
        perturbed = evaluate_per_language(model_or_predict_fn, perturbed_sets, metric, **kwargs)
        for row in perturbed.rows:
            before, after = clean[row["language"]][metric_key], row[metric_key]
            rows.append(
                {
                    "language": row["language"],
                    "perturbation": name,
                    "n": row["n"],
                    "clean": before,
                    "perturbed": after,
                    "drop": before - after,
                    "relative_drop": (before - after) / before if before else None,
                }
            )
    return RobustnessReport(rows=rows, metric=metric_key)
