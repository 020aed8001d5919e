"""Per-language reports: predict functions and real (tiny) models, baselines, Markdown/CSV/JSON writers."""

import csv
import json

import pytest
import torch
from datasets import ClassLabel, Dataset, Features, List, Value
from transformers import AutoModelForSequenceClassification, AutoModelForTokenClassification

from hf_lowres.evaluation import (
    PerLanguageReport,
    SequenceClassificationPredictor,
    TokenClassificationPredictor,
    evaluate_per_language,
)
from hf_lowres.testing_utils import tiny_backbone_config, tiny_tokenizer


POSITIVE_WORDS = {"suka", "seneng", "like", "bagus", "apik"}


def keyword_classifier(dataset):
    """1 when the sentence holds a positive word: a model whose scores are known in advance."""
    return [int(bool(POSITIVE_WORDS & set(text.split()))) for text in dataset["text"]]


def _datasets():
    return {
        "ind": Dataset.from_dict(
            {"text": ["saya suka ini", "makanan buruk", "film bagus", "tidak enak"], "label": [1, 0, 1, 1]}
        ),
        "jav": Dataset.from_dict({"text": ["aku seneng", "panganan ala", "iki apik"], "label": [1, 0, 1]}),
    }


def test_predict_fn_report_values_and_macro_average():
    report = evaluate_per_language(keyword_classifier, _datasets(), ["accuracy", "macro_f1"])
    assert report.languages == ["ind", "jav"]
    assert report.metric_names == ["accuracy", "macro_f1"]
    assert report["ind"]["n"] == 4
    assert report["ind"]["accuracy"] == pytest.approx(0.75)
    assert report["jav"]["accuracy"] == 1.0
    # The macro average weighs languages equally, whatever their size.
    assert report.macro_average["accuracy"] == pytest.approx((0.75 + 1.0) / 2)
    assert report["ind"]["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2)


def test_baseline_deltas_from_report_mapping_and_json(tmp_path):
    datasets = _datasets()
    baseline = evaluate_per_language(lambda ds: [0] * len(ds), datasets, "accuracy", name="baseline")
    report = evaluate_per_language(keyword_classifier, datasets, "accuracy", baseline=baseline)
    assert report["ind"]["delta_accuracy"] == pytest.approx(0.75 - 0.25)
    assert report["jav"]["delta_accuracy"] == pytest.approx(1.0 - 1 / 3)
    assert report.macro_average["delta_accuracy"] == pytest.approx((0.5 + 2 / 3) / 2)
    from_json = evaluate_per_language(
        keyword_classifier, datasets, "accuracy", baseline=baseline.to_json(tmp_path / "b.json")
    )
    assert from_json.rows == report.rows
    partial = evaluate_per_language(keyword_classifier, datasets, "accuracy", baseline={"ind": {"accuracy": 0.5}})
    assert partial["ind"]["delta_accuracy"] == pytest.approx(0.25)
    assert partial["jav"]["delta_accuracy"] is None


def test_writers(tmp_path):
    baseline = {"ind": {"accuracy": 0.5}, "jav": {"accuracy": 0.5}}
    report = evaluate_per_language(keyword_classifier, _datasets(), "accuracy", baseline=baseline, name="adapted")
    markdown = report.to_markdown()
    lines = markdown.strip().splitlines()
    assert lines[0] == "| language | n | accuracy | Δ accuracy |"
    assert lines[2] == "| ind | 4 | 0.750 | +0.250 |"
    assert lines[-1] == "| **macro-avg** | **7** | **0.875** | **+0.375** |"

    with open(report.to_csv(tmp_path / "out" / "report.csv"), newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["language"] for row in rows] == ["ind", "jav", "macro-avg"]
    assert float(rows[1]["accuracy"]) == 1.0 and float(rows[2]["delta_accuracy"]) == pytest.approx(0.375)

    path = report.to_json(tmp_path / "report.json")
    assert json.loads(path.read_text())["macro_average"]["accuracy"] == pytest.approx(0.875)
    reloaded = PerLanguageReport.from_json(path)
    assert reloaded.rows == report.rows and reloaded.name == "adapted" and reloaded.has_baseline


def test_callable_and_generation_metrics():
    datasets = {"jav": Dataset.from_dict({"source": ["a"], "target": ["aku seneng banget"]})}
    report = evaluate_per_language(
        lambda ds: ["aku seneng"] * len(ds),
        datasets,
        {"chrF": "chrf", "exact": lambda p, r: float(p == r)},
        label_column="target",
    )
    assert report.metric_names == ["chrf", "exact"]
    assert 0 < report["jav"]["chrf"] < 100
    assert report["jav"]["exact"] == 0.0


def test_auto_model_for_sequence_classification_with_string_labels():
    torch.manual_seed(0)
    config = tiny_backbone_config("bert", num_labels=3, id2label={0: "negative", 1: "neutral", 2: "positive"})
    model = AutoModelForSequenceClassification.from_config(config)
    tokenizer = tiny_tokenizer()
    datasets = {
        "ind": Dataset.from_dict(
            {"text": ["saya suka ini", "buruk", "ini itu"], "label": ["positive", "negative", "neutral"]}
        )
    }
    predictions = SequenceClassificationPredictor(model, tokenizer, batch_size=2)(datasets["ind"])
    assert len(predictions) == 3 and all(p in (0, 1, 2) for p in predictions)
    report = evaluate_per_language(model, datasets, "accuracy", tokenizer=tokenizer, batch_size=2)
    # Ids are mapped to the model's label names to meet the string references.
    expected = sum(config.id2label[p] == r for p, r in zip(predictions, datasets["ind"]["label"])) / 3
    assert report["ind"]["accuracy"] == pytest.approx(expected)
    with pytest.raises(ValueError, match="tokenizer"):
        evaluate_per_language(model, datasets, "accuracy")


def test_token_classification_model_and_entity_f1():
    torch.manual_seed(0)
    tags = ["O", "B-PER", "I-PER", "B-LOC"]
    model = AutoModelForTokenClassification.from_config(tiny_backbone_config("bert", num_labels=len(tags)))
    tokenizer = tiny_tokenizer()
    features = Features({"tokens": List(Value("string")), "ner_tags": List(ClassLabel(names=tags))})
    dataset = Dataset.from_dict(
        {
            "tokens": [["budi", "makan", "nasi"], ["aku", "seneng", "banget", "jakarta"]],
            "ner_tags": [[1, 0, 0], [0, 0, 0, 3]],
        },
        features=features,
    )
    predictions = TokenClassificationPredictor(model, tokenizer)(dataset)
    assert [len(p) for p in predictions] == [3, 4]
    report = evaluate_per_language(
        model, {"jav": dataset}, "entity_f1", tokenizer=tokenizer, task="token-classification"
    )
    assert set(report.metric_names) == {"entity_precision", "entity_recall", "entity_f1", "token_accuracy"}

    # A predict function returning the gold ids scores 1.0; ids become tag names through the ClassLabel feature.
    perfect = evaluate_per_language(
        lambda ds: ds["ner_tags"], {"jav": dataset}, "entity_f1", task="token-classification"
    )
    assert perfect["jav"]["entity_f1"] == 1.0


def test_predict_fn_receives_the_language_when_it_asks():
    seen = []

    def predict(dataset, language):
        seen.append(language)
        return [1] * len(dataset)

    evaluate_per_language(predict, _datasets(), "accuracy")
    assert seen == ["ind", "jav"]
