"""Evaluate one model on several languages and report a table with the macro average and deltas."""

from __future__ import annotations

import csv
import inspect
import json
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import torch

from hf_lowres.evaluation.metric_paths import metric_path
from hf_lowres.evaluation.predictors import SequenceClassificationPredictor, TokenClassificationPredictor


TASKS = ("sequence-classification", "token-classification")
MACRO_AVERAGE = "macro-avg"
_DEFAULT_LABEL_COLUMNS = {"sequence-classification": "label", "token-classification": "ner_tags"}


@dataclass
class PerLanguageReport:
    """Metric values per language, their macro average and, when a baseline was given, the deltas against it.

    Args:
        rows (`list[dict]`): one dict per language: ``language``, ``n``, one key per metric value and, with a
            baseline, ``delta_<metric>`` (this run minus the baseline).
        metric_names (`list[str]`): the metric values, in column order.
        macro_average (`dict[str, float]`): the unweighted mean over languages of each metric value (and of each
            delta), so every language counts the same whatever the size of its test set.
        name (`str`, *optional*): the run's name (used in plots).
    """

    rows: list[dict]
    metric_names: list[str]
    macro_average: dict[str, float]
    name: str | None = None
    has_baseline: bool = field(default=False)

    @property
    def languages(self) -> list[str]:
        return [row["language"] for row in self.rows]

    def __getitem__(self, language: str) -> dict:
        for row in self.rows:
            if row["language"] == language:
                return row
        raise KeyError(language)

    @property
    def columns(self) -> list[str]:
        deltas = [f"delta_{metric}" for metric in self.metric_names] if self.has_baseline else []
        return ["language", "n", *self.metric_names, *deltas]

    def _table(self) -> list[dict]:
        total = sum(row["n"] for row in self.rows)
        return [*self.rows, {"language": MACRO_AVERAGE, "n": total, **self.macro_average}]

    def to_markdown(self, digits: int = 3) -> str:
        """A GitHub Markdown table, one row per language and a last row with the macro average.

        Args:
            digits (`int`, defaults to 3): decimals shown.
        """

        def cell(column, value):
            if value is None:
                return "–"
            if column.startswith("delta_"):
                return f"{value:+.{digits}f}"
            if isinstance(value, float):
                return f"{value:.{digits}f}"
            return str(value)

        header = [column.replace("delta_", "Δ ") for column in self.columns]
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
        for row in self._table():
            values = [cell(column, row.get(column)) for column in self.columns]
            if row["language"] == MACRO_AVERAGE:
                values = [f"**{value}**" for value in values]
            lines.append("| " + " | ".join(values) + " |")
        return "\n".join(lines) + "\n"

    def to_csv(self, path: str | PathLike) -> Path:
        """Writes the table (languages, then the macro average) as CSV and returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=self.columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(self._table())
        return path

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "metric_names": list(self.metric_names),
            "has_baseline": self.has_baseline,
            "rows": [dict(row) for row in self.rows],
            "macro_average": dict(self.macro_average),
        }

    def to_json(self, path: str | PathLike) -> Path:
        """Writes the report as JSON (readable back with `PerLanguageReport.from_json`) and returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path

    @classmethod
    def from_dict(cls, data: Mapping) -> PerLanguageReport:
        return cls(
            rows=[dict(row) for row in data["rows"]],
            metric_names=list(data["metric_names"]),
            macro_average=dict(data["macro_average"]),
            name=data.get("name"),
            has_baseline=bool(data.get("has_baseline", False)),
        )

    @classmethod
    def from_json(cls, path: str | PathLike) -> PerLanguageReport:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def _is_score(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, numbers.Integral))


def _resolve_metrics(metrics) -> list[tuple[str, Callable]]:
    """Metric specs -> ``(name, compute(predictions, references) -> dict)``."""
    if not isinstance(metrics, (list, tuple, Mapping)):
        metrics = [metrics]
    items = metrics.items() if isinstance(metrics, Mapping) else [(None, spec) for spec in metrics]
    resolved = []
    for name, spec in items:
        if isinstance(spec, str):
            import evaluate

            try:
                path = metric_path(spec)
            except ValueError:  # not shipped with hf_lowres: a local module directory or script
                path = spec
            module = evaluate.load(path)
            resolved.append((name or spec, _module_compute(module)))
        elif hasattr(spec, "compute") and hasattr(spec, "add_batch"):
            resolved.append((name or spec.name, _module_compute(spec)))
        elif callable(spec):
            resolved.append((name or getattr(spec, "__name__", type(spec).__name__), _callable_compute(spec, name)))
        else:
            raise TypeError(f"a metric must be a name, an evaluate module or a callable, got {spec!r}")
    return resolved


def _module_compute(module):
    def compute(predictions, references):
        return module.compute(predictions=predictions, references=references)

    return compute


def _callable_compute(function, name):
    def compute(predictions, references):
        value = function(predictions, references)
        return value if isinstance(value, Mapping) else {name or getattr(function, "__name__", "metric"): value}

    return compute


def _compute_scores(resolved, predictions, references) -> dict[str, float]:
    scores: dict[str, float] = {}
    for metric_name, compute in resolved:
        for key, value in compute(predictions, references).items():
            if not _is_score(value):
                continue  # signatures, counts, per-class breakdowns
            column = key if key not in scores else f"{metric_name}/{key}"
            scores[column] = float(value)
    return scores


def _label_names(dataset, label_column: str, model=None, label_names=None) -> list[str] | None:
    if label_names is not None:
        return list(label_names)
    feature = getattr(dataset, "features", {}).get(label_column) if hasattr(dataset, "features") else None
    feature = getattr(feature, "feature", feature)  # List(ClassLabel) / Sequence(ClassLabel) for token tags
    if getattr(feature, "names", None):
        return list(feature.names)
    id2label = getattr(getattr(model, "config", None), "id2label", None)
    if id2label:
        return [id2label[i] for i in sorted(id2label)]
    return None


def _to_names(values, names):
    if isinstance(values, (list, tuple)):
        return [_to_names(value, names) for value in values]
    return names[values] if isinstance(values, numbers.Integral) and names is not None else values


def _first_leaf(values):
    while isinstance(values, (list, tuple)) and values:
        values = values[0]
    return values


def _align_label_types(predictions, references, names, task):
    """Metrics need predictions and references of one type: ids -> names when one side is strings, and always
    for token classification (entity-level F1 reads the tag strings)."""
    pred_leaf, ref_leaf = _first_leaf(predictions), _first_leaf(references)
    if names is None:
        return predictions, references
    if task == "token-classification" or isinstance(pred_leaf, str) or isinstance(ref_leaf, str):
        return _to_names(predictions, names), _to_names(references, names)
    return predictions, references


def _build_predict_fn(model_or_predict_fn, tokenizer, task, **kwargs):
    if tokenizer is None:
        if isinstance(model_or_predict_fn, torch.nn.Module):
            raise ValueError("pass the model's `tokenizer`, or a predict function instead of the model")
        return model_or_predict_fn
    if task == "sequence-classification":
        names = {"text_column", "text_pair_column", "batch_size", "max_length", "device", "language_inputs"}
        return SequenceClassificationPredictor(
            model_or_predict_fn, tokenizer, **{k: v for k, v in kwargs.items() if k in names}
        )
    names = {"tokens_column", "batch_size", "max_length", "device", "language_inputs"}
    return TokenClassificationPredictor(
        model_or_predict_fn, tokenizer, **{k: v for k, v in kwargs.items() if k in names}
    )


def _call_predict_fn(predict_fn, dataset, language):
    try:
        accepts_language = "language" in inspect.signature(predict_fn).parameters
    except (TypeError, ValueError):
        accepts_language = False
    return predict_fn(dataset, language=language) if accepts_language else predict_fn(dataset)


def evaluate_per_language(
    model_or_predict_fn,
    datasets: Mapping[str, object],
    metrics,
    baseline: PerLanguageReport | Mapping[str, Mapping[str, float]] | str | PathLike | None = None,
    *,
    tokenizer=None,
    task: str = "sequence-classification",
    text_column: str = "text",
    tokens_column: str = "tokens",
    label_column: str | None = None,
    label_names: Sequence[str] | None = None,
    batch_size: int = 32,
    max_length: int | None = None,
    device: str | torch.device | None = None,
    language_inputs: Callable[[str], Mapping] | None = None,
    name: str | None = None,
) -> PerLanguageReport:
    """Evaluates one model on a test set per language and returns a table with the macro average.

    Reporting every language and the unweighted macro average, rather than one pooled score, follows the practice
    of XTREME (Hu et al., 2020) and NusaX (Winata et al., 2023): a pooled score hides the languages that fail.

    Args:
        model_or_predict_fn: a model with ``logits`` in its output (pass `tokenizer` too), or a function
            ``predict_fn(dataset[, language=...]) -> predictions`` returning one prediction per row: a class id or
            label for sequence classification, a list of tag ids or tags per sentence for token classification,
            a string for generation metrics (BLEU, chrF).
        datasets (`Mapping[str, datasets.Dataset]`): language -> test set.
        metrics: a shipped metric name (``"accuracy"``, ``"macro_f1"``, ``"entity_f1"``, ``"chrf"``, ...), a local
            `evaluate` module path, a loaded `evaluate.EvaluationModule`, a callable
            ``(predictions, references) -> float | dict``, a list of those, or a ``{name: spec}`` mapping. Every
            float the metrics return becomes a column.
        baseline (`PerLanguageReport`, `Mapping`, path, *optional*): an earlier run (a report, its JSON file, or
            ``{language: {metric: value}}``); adds ``delta_<metric>`` columns (this run minus the baseline).
        tokenizer (*optional*): the model's tokenizer, when a model is passed.
        task (`str`, defaults to `"sequence-classification"`): or ``"token-classification"``; picks the predictor
            built around a model and how labels are read.
        text_column (`str`, defaults to `"text"`): input column of sequence classification.
        tokens_column (`str`, defaults to `"tokens"`): input column of token classification.
        label_column (`str`, *optional*): the references; defaults to ``"label"`` or ``"ner_tags"`` by task.
        label_names (`Sequence[str]`, *optional*): id -> label name; defaults to the dataset's `ClassLabel` names,
            else the model's ``id2label``. Used when predictions and references differ in type, and always for
            token classification.
        batch_size, max_length, device, language_inputs: passed to the predictor built around a model.
        name (`str`, *optional*): a name for the run.

    Returns:
        `PerLanguageReport`.

    Example:

    ```python
    >>> report = evaluate_per_language(model, {"jav": jav_test, "sun": sun_test}, ["accuracy", "macro_f1"],
    ...                                tokenizer=tokenizer, baseline="runs/xlmr/report.json")
    >>> print(report.to_markdown())
    ```
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {TASKS}")
    if not datasets:
        raise ValueError("`datasets` is empty")
    label_column = label_column or _DEFAULT_LABEL_COLUMNS[task]
    predict_fn = _build_predict_fn(
        model_or_predict_fn,
        tokenizer,
        task,
        text_column=text_column,
        tokens_column=tokens_column,
        batch_size=batch_size,
        max_length=max_length,
        device=device,
        language_inputs=language_inputs,
    )
    model = model_or_predict_fn if tokenizer is not None else getattr(model_or_predict_fn, "model", None)
    resolved = _resolve_metrics(metrics)
    baseline_rows = _baseline_rows(baseline)

    rows, metric_names = [], None
    for language, dataset in datasets.items():
        references = list(dataset[label_column])
        predictions = list(_call_predict_fn(predict_fn, dataset, language))
        if len(predictions) != len(references):
            raise ValueError(f"{language}: {len(predictions)} predictions for {len(references)} rows")
        names = _label_names(dataset, label_column, model, label_names)
        predictions, references = _align_label_types(predictions, references, names, task)
        scores = _compute_scores(resolved, predictions, references)
        metric_names = metric_names or list(scores)
        row = {"language": language, "n": len(references), **scores}
        if baseline_rows is not None:
            reference_row = baseline_rows.get(language, {})
            for metric in metric_names:
                previous = reference_row.get(metric)
                row[f"delta_{metric}"] = scores[metric] - previous if previous is not None else None
        rows.append(row)

    columns = list(metric_names) + ([f"delta_{m}" for m in metric_names] if baseline_rows is not None else [])
    macro_average = {}
    for column in columns:
        values = [row[column] for row in rows if row.get(column) is not None]
        macro_average[column] = sum(values) / len(values) if values else None
    return PerLanguageReport(
        rows=rows,
        metric_names=list(metric_names),
        macro_average=macro_average,
        name=name,
        has_baseline=baseline_rows is not None,
    )


def _baseline_rows(baseline) -> dict[str, Mapping[str, float]] | None:
    if baseline is None:
        return None
    if isinstance(baseline, (str, PathLike)):
        baseline = PerLanguageReport.from_json(baseline)
    if isinstance(baseline, PerLanguageReport):
        return {row["language"]: row for row in baseline.rows}
    return {language: dict(values) for language, values in baseline.items()}
