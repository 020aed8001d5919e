"""Macro-averaged F1 as an `evaluate` module shipped with hf_lowres (no network, no scikit-learn)."""

import datasets
import evaluate


_DESCRIPTION = """\
The unweighted mean over classes of the per-class F1 score, on a 0-1 scale: every class counts the same however
rare, which is what matters for the skewed label distributions of low-resource test sets. The classes are those
given in `labels`, else every label seen in the references or the predictions (as scikit-learn's
`f1_score(average="macro")`); a class never predicted nor present scores 0. Shipped with hf_lowres so that it loads
offline: `evaluate.load(hf_lowres.evaluation.metric_path("macro_f1"))`.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list[int]` or `list[str]`): predicted labels.
    references (`list[int]` or `list[str]`): gold labels.
    labels (`list`, *optional*): the classes to average over.
Returns:
    `macro_f1` (0-1) and `per_class_f1` (class -> F1).
Examples:
    >>> macro_f1 = evaluate.load(metric_path("macro_f1"))
    >>> macro_f1.compute(predictions=[0, 1, 1, 0], references=[0, 1, 0, 0])["macro_f1"]
    0.7333333333333334
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class MacroF1(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=[
                datasets.Features({"predictions": datasets.Value("int64"), "references": datasets.Value("int64")}),
                datasets.Features({"predictions": datasets.Value("string"), "references": datasets.Value("string")}),
            ],
        )

    def _compute(self, predictions, references, labels=None):
        if len(references) == 0:
            raise ValueError("macro-F1 of an empty set is undefined")
        classes = list(labels) if labels is not None else sorted(set(references) | set(predictions))
        per_class = {}
        for label in classes:
            tp = sum(1 for p, r in zip(predictions, references) if p == label and r == label)
            fp = sum(1 for p, r in zip(predictions, references) if p == label and r != label)
            fn = sum(1 for p, r in zip(predictions, references) if p != label and r == label)
            # F1 = 2TP / (2TP + FP + FN); 0 when the class is absent from both (scikit-learn's zero_division=0).
            denominator = 2 * tp + fp + fn
            per_class[label] = 2 * tp / denominator if denominator else 0.0
        return {"macro_f1": sum(per_class.values()) / len(per_class), "per_class_f1": per_class}
