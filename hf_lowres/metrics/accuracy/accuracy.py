"""Classification accuracy as an `evaluate` module shipped with hf_lowres (no network)."""

import datasets
import evaluate


_DESCRIPTION = """\
The fraction of predictions equal to their reference, on a 0-1 scale. Labels may be integer ids or strings.
Shipped with hf_lowres so that it loads offline: `evaluate.load(hf_lowres.evaluation.metric_path("accuracy"))`.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list[int]` or `list[str]`): predicted labels.
    references (`list[int]` or `list[str]`): gold labels.
Returns:
    `accuracy` (0-1).
Examples:
    >>> accuracy = evaluate.load(metric_path("accuracy"))
    >>> accuracy.compute(predictions=[0, 1, 1, 0], references=[0, 1, 0, 0])
    {'accuracy': 0.75}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Accuracy(evaluate.Metric):
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

    def _compute(self, predictions, references):
        if len(references) == 0:
            raise ValueError("accuracy of an empty set is undefined")
        correct = sum(int(p == r) for p, r in zip(predictions, references))
        return {"accuracy": correct / len(references)}
