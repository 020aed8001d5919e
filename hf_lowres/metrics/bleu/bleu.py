"""Corpus BLEU through sacrebleu's Python API, as an `evaluate` module that needs no network."""

import datasets
import evaluate
from sacrebleu.metrics import BLEU


_CITATION = """\
@inproceedings{papineni-etal-2002-bleu,
    title = "{B}leu: a Method for Automatic Evaluation of Machine Translation",
    author = "Papineni, Kishore and Roukos, Salim and Ward, Todd and Zhu, Wei-Jing",
    booktitle = "Proceedings of the 40th Annual Meeting of the Association for Computational Linguistics",
    year = "2002",
    pages = "311--318",
}
@inproceedings{post-2018-call,
    title = "A Call for Clarity in Reporting {BLEU} Scores",
    author = "Post, Matt",
    booktitle = "Proceedings of the Third Conference on Machine Translation: Research Papers",
    year = "2018",
    pages = "186--191",
}
"""

_DESCRIPTION = """\
Corpus-level BLEU (Papineni et al., 2002) computed by sacrebleu (Post, 2018), on a 0-100 scale. Shipped with
hf_lowres so that it loads offline: `evaluate.load(hf_lowres.evaluation.metric_path("bleu"))`.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list[str]`): system outputs.
    references (`list[str]` or `list[list[str]]`): one reference per prediction, or the same number of references
        for every prediction.
    tokenize (`str`, *optional*): sacrebleu tokenizer (`"13a"` by default, `"flores200"`, `"char"`, `"none"`, ...).
    lowercase (`bool`, defaults to `False`): lowercase before scoring.
    smooth_method (`str`, defaults to `"exp"`): `"none"`, `"floor"`, `"add-k"` or `"exp"`.
    smooth_value (`float`, *optional*): the value for `"floor"` and `"add-k"` smoothing.
    effective_order (`bool`, defaults to `False`): sentence-BLEU style effective n-gram order.
Returns:
    `bleu` (0-100), `precisions` (n-gram precisions), `counts`, `totals`, `sys_len`, `ref_len` and sacrebleu's
    `signature` for reproducible reporting.
Examples:
    >>> bleu = evaluate.load(metric_path("bleu"))
    >>> bleu.compute(predictions=["the cat sat on the mat"], references=[["the cat sat on the mat"]])["bleu"]
    100.00000000000004
"""


# Repeated in each metric module on purpose: `evaluate.load(path)` copies one file, so no shared import.
def _reference_streams(references):
    """sacrebleu wants one stream per reference position: ``[[r1, r2], ...]`` -> ``[[r1, ...], [r2, ...]]``."""
    references = [[ref] if isinstance(ref, str) else list(ref) for ref in references]
    counts = {len(refs) for refs in references}
    if len(counts) > 1:
        raise ValueError(f"every prediction needs the same number of references, got {sorted(counts)}")
    return [list(stream) for stream in zip(*references)]


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Bleu(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=[
                datasets.Features(
                    {
                        "predictions": datasets.Value("string"),
                        "references": datasets.Sequence(datasets.Value("string")),
                    }
                ),
                datasets.Features({"predictions": datasets.Value("string"), "references": datasets.Value("string")}),
            ],
            codebase_urls=["https://github.com/mjpost/sacrebleu"],
            reference_urls=["https://aclanthology.org/W18-6319"],
        )

    def _compute(
        self,
        predictions,
        references,
        tokenize=None,
        lowercase=False,
        smooth_method="exp",
        smooth_value=None,
        effective_order=False,
    ):
        metric = BLEU(
            lowercase=lowercase,
            tokenize=tokenize,
            smooth_method=smooth_method,
            smooth_value=smooth_value,
            effective_order=effective_order,
        )
        score = metric.corpus_score(list(predictions), _reference_streams(references))
        return {
            "bleu": float(score.score),
            "precisions": [float(p) for p in score.precisions],
            "counts": list(score.counts),
            "totals": list(score.totals),
            "sys_len": int(score.sys_len),
            "ref_len": int(score.ref_len),
            "signature": str(metric.get_signature()),
        }
