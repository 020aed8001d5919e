"""Corpus chrF++ (chrF plus word bigrams) through sacrebleu's API, as an `evaluate` module that needs no network."""

import datasets
import evaluate
from sacrebleu.metrics import CHRF


_CITATION = """\
@inproceedings{popovic-2015-chrf,
    title = "chr{F}: character n-gram {F}-score for automatic {MT} evaluation",
    author = "Popovi{\\'c}, Maja",
    booktitle = "Proceedings of the Tenth Workshop on Statistical Machine Translation",
    year = "2015",
    pages = "392--395",
}
@inproceedings{popovic-2017-chrf,
    title = "chr{F}++: words helping character n-grams",
    author = "Popovi{\\'c}, Maja",
    booktitle = "Proceedings of the Second Conference on Machine Translation",
    year = "2017",
    pages = "612--618",
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
Corpus-level chrF++ (Popović, 2017): the character n-gram F-score of chrF (Popović, 2015) plus word unigrams and
bigrams, computed by sacrebleu on a 0-100 scale. Shipped with hf_lowres so that it loads offline:
`evaluate.load(hf_lowres.evaluation.metric_path("chrf_plus_plus"))` (or `metric_path("chrf++")`).
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list[str]`): system outputs.
    references (`list[str]` or `list[list[str]]`): one reference per prediction, or the same number of references
        for every prediction.
    char_order (`int`, defaults to 6): character n-gram order.
    word_order (`int`, defaults to 2): word n-gram order (0 gives plain chrF).
    beta (`int`, defaults to 2): weight of recall against precision.
    lowercase (`bool`, defaults to `False`): lowercase before scoring.
    whitespace (`bool`, defaults to `False`): keep whitespace in character n-grams.
    eps_smoothing (`bool`, defaults to `False`): the smoothing of chrF++.py/NLTK/Moses instead of sacrebleu's.
Returns:
    `chrf++` (0-100) and sacrebleu's `signature`.
Examples:
    >>> chrfpp = evaluate.load(metric_path("chrf_plus_plus"))
    >>> chrfpp.compute(predictions=["the cat sat"], references=["the cat sat"])["chrf++"]
    100.0
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
class ChrfPlusPlus(evaluate.Metric):
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
            reference_urls=["https://aclanthology.org/W17-4770"],
        )

    def _compute(
        self,
        predictions,
        references,
        char_order=6,
        word_order=2,
        beta=2,
        lowercase=False,
        whitespace=False,
        eps_smoothing=False,
    ):
        metric = CHRF(
            char_order=char_order,
            word_order=word_order,
            beta=beta,
            lowercase=lowercase,
            whitespace=whitespace,
            eps_smoothing=eps_smoothing,
        )
        score = metric.corpus_score(list(predictions), _reference_streams(references))
        return {"chrf++": float(score.score), "signature": str(metric.get_signature())}
