"""Entity-level F1 for named-entity recognition as an `evaluate` module shipped with hf_lowres (no network)."""

import datasets
import evaluate

from hf_lowres.evaluation.entity_scoring import entity_f1_score


_CITATION = """\
@inproceedings{tjong-kim-sang-de-meulder-2003-introduction,
    title = "Introduction to the {C}o{NLL}-2003 Shared Task: Language-Independent Named Entity Recognition",
    author = "Tjong Kim Sang, Erik F. and De Meulder, Fien",
    booktitle = "Proceedings of the Seventh Conference on Natural Language Learning at {HLT}-{NAACL} 2003",
    year = "2003",
    pages = "142--147",
}
"""

_DESCRIPTION = """\
Micro-averaged entity-level precision, recall and F1 (0-1): an entity is correct only when its type and both
boundaries match, with the chunking rules of the CoNLL `conlleval` script (seqeval's default mode). Implemented in
`hf_lowres.evaluation.entity_scoring`, so it needs neither seqeval nor the network:
`evaluate.load(hf_lowres.evaluation.metric_path("entity_f1"))`.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list[list[str]]`): predicted IOB/IOBES tags, one list per sentence.
    references (`list[list[str]]`): gold tags, aligned with `predictions`.
Returns:
    `entity_precision`, `entity_recall`, `entity_f1`, `token_accuracy` and `per_type` scores.
Examples:
    >>> entity_f1 = evaluate.load(metric_path("entity_f1"))
    >>> entity_f1.compute(predictions=[["B-PER", "I-PER", "O"]], references=[["B-PER", "I-PER", "O"]])["entity_f1"]
    1.0
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class EntityF1(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {
                    "predictions": datasets.Sequence(datasets.Value("string")),
                    "references": datasets.Sequence(datasets.Value("string")),
                }
            ),
            codebase_urls=["https://www.clips.uantwerpen.be/conll2000/chunking/conlleval.txt"],
        )

    def _compute(self, predictions, references):
        return entity_f1_score(predictions, references)
