"""The robustness suite: metric drop per perturbation and language, for sequence and token classification."""

import csv

import pytest
from datasets import ClassLabel, Dataset, Features, List, Value

from hf_lowres.evaluation import RobustnessReport, evaluate_robustness, perturb_dataset


POSITIVE_WORDS = {"suka", "seneng", "bagus", "apik"}


def keyword_classifier(dataset):
    return [int(bool(POSITIVE_WORDS & set(text.split()))) for text in dataset["text"]]


def _datasets():
    return {
        "ind": Dataset.from_dict(
            {"text": ["saya suka ini", "makanan buruk", "film bagus", "saya suka film"], "label": [1, 0, 1, 1]}
        ),
        "jav": Dataset.from_dict({"text": ["aku seneng", "panganan ala", "iki apik"], "label": [1, 0, 1]}),
    }


def test_drop_per_perturbation_and_language(tmp_path):
    report = evaluate_robustness(
        keyword_classifier,
        _datasets(),
        "accuracy",
        [("char_swap", 1.0), "lowercase", ("code_switch", 1.0)],
        lexicons={"ind": {"suka": ["seneng"], "bagus": ["apik"]}},
    )
    assert isinstance(report, RobustnessReport)
    assert report.metric == "accuracy"
    assert report.perturbations == ["char_swap@1", "lowercase", "code_switch@1"]
    # Swapping letters in every word hides the keywords: the positives are lost.
    assert report.drop("ind", "char_swap@1") == pytest.approx(0.75)
    assert report.drop("jav", "char_swap@1") == pytest.approx(2 / 3)
    # Already lowercase; and the Javanese words the lexicon brings in are still keywords.
    assert report.drop("ind", "lowercase") == 0.0
    assert report.drop("ind", "code_switch@1") == 0.0
    # No lexicon for Javanese: left out of code-switching.
    assert [row["language"] for row in report.rows if row["perturbation"] == "code_switch@1"] == ["ind"]
    assert report.mean_drop["char_swap@1"] == pytest.approx((0.75 + 2 / 3) / 2)

    markdown = report.to_markdown()
    assert "| ind | char_swap@1 | 4 | 1.000 | 0.250 | +0.750 | 75.0% |" in markdown
    with open(report.to_csv(tmp_path / "robustness.csv"), newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[-1]["language"] == "macro-avg"
    assert (tmp_path / "r.json").exists() is False and report.to_json(tmp_path / "r.json").stat().st_size > 0


def test_evaluation_is_deterministic_for_a_seed():
    first = evaluate_robustness(keyword_classifier, _datasets(), "accuracy", [("char_delete", 0.5)], seed=7)
    second = evaluate_robustness(keyword_classifier, _datasets(), "accuracy", [("char_delete", 0.5)], seed=7)
    assert first.rows == second.rows


def test_token_classification_keeps_labels_aligned():
    tags = ["O", "B-PER", "B-LOC"]
    features = Features({"tokens": List(Value("string")), "ner_tags": List(ClassLabel(names=tags))})
    dataset = Dataset.from_dict(
        {"tokens": [["Budi", "ke", "Jakarta", "!"], ["Siti", "."]], "ner_tags": [[1, 0, 2, 0], [1, 0]]},
        features=features,
    )
    perturbed = perturb_dataset(
        dataset, "remove_punctuation", rate=1.0, tokens_column="tokens", label_column="ner_tags", text_column=None
    )
    assert perturbed["tokens"] == dataset["tokens"]  # punctuation tokens are kept, never emptied
    swapped = perturb_dataset(dataset, "char_swap", rate=1.0, tokens_column="tokens", label_column="ner_tags")
    assert [len(t) for t in swapped["tokens"]] == [4, 2]
    assert swapped["ner_tags"] == dataset["ner_tags"]

    def capitalised_is_entity(ds):
        # Predicts an entity for capitalised words: indifferent to diacritics, not to lowercasing.
        return [[tags.index("B-PER") if token[:1].isupper() else 0 for token in tokens] for tokens in ds["tokens"]]

    report = evaluate_robustness(
        capitalised_is_entity,
        {"ind": dataset},
        "entity_f1",
        ["strip_diacritics", "lowercase"],
        task="token-classification",
        metric_key="entity_recall",
    )
    assert report.metric == "entity_recall"
    assert report.drop("ind", "lowercase") == pytest.approx(2 / 3)
    assert report.drop("ind", "strip_diacritics") == 0.0
    assert report.rows[0]["clean"] == pytest.approx(2 / 3)  # "Jakarta" is predicted as PER, not LOC
