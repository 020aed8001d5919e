"""Corpus TER through sacrebleu's Python API, as an `evaluate` module that needs no network."""

import datasets
import evaluate
from sacrebleu.metrics import TER


_CITATION = """\
@inproceedings{snover-etal-2006-study,
    title = "A Study of Translation Edit Rate with Targeted Human Annotation",
    author = "Snover, Matthew and Dorr, Bonnie and Schwartz, Rich and Micciulla, Linnea and Makhoul, John",
    booktitle = "Proceedings of the 7th Conference of the Association for Machine Translation in the Americas",
    year = "2006",
    pages = "223--231",
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
Corpus-level Translation Edit Rate (Snover et al., 2006) computed by sacrebleu, on a 0-100+ scale where lower is
better. Shipped with hf_lowres so that it loads offline: `evaluate.load(hf_lowres.evaluation.metric_path("ter"))`.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list[str]`): system outputs.
    references (`list[str]` or `list[list[str]]`): one reference per prediction, or the same number of references
        for every prediction.
    normalized (`bool`, defaults to `False`): basic tokenization and normalization of punctuation.
    no_punct (`bool`, defaults to `False`): remove punctuation.
    asian_support (`bool`, defaults to `False`): tokenization for Asian scripts.
    case_sensitive (`bool`, defaults to `False`): score case-sensitively.
Returns:
    `ter` (lower is better), `num_edits`, `ref_length` (mean over references) and sacrebleu's `signature`.
Examples:
    >>> ter = evaluate.load(metric_path("ter"))
    >>> ter.compute(predictions=["the cat sat"], references=["the cat sat"])["ter"]
    0.0
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
class Ter(evaluate.Metric):
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
            reference_urls=["https://aclanthology.org/2006.amta-papers.25"],
        )

    def _compute(
        self, predictions, references, normalized=False, no_punct=False, asian_support=False, case_sensitive=False
    ):
        metric = TER(
            normalized=normalized, no_punct=no_punct, asian_support=asian_support, case_sensitive=case_sensitive
        )
        score = metric.corpus_score(list(predictions), _reference_streams(references))
        return {
            "ter": float(score.score),
            "num_edits": int(round(score.num_edits)),
            "ref_length": float(score.ref_length),
            "signature": str(metric.get_signature()),
        }
