"""The metric modules shipped with hf_lowres: offline loading and agreement with sacrebleu / seqeval."""

import os
import random

import evaluate
import pytest
import sacrebleu

from hf_lowres.evaluation import available_metrics, entity_f1_score, get_entities, load_metric, metric_path


HYPOTHESES = [
    "Saya suka makanan ini, enak sekali.",
    "Filmnya tidak bagus dan terlalu panjang.",
    "Aku seneng banget karo panganan iki.",
    "the cat is on the mat",
]
REFERENCES_A = [
    "Saya suka sekali makanan ini, sangat enak.",
    "Film itu tidak bagus dan terlalu lama.",
    "Aku seneng banget panganan iki.",
    "there is a cat on the mat",
]
REFERENCES_B = [
    "Makanan ini enak, saya suka.",
    "Filmnya jelek dan panjang sekali.",
    "Panganan iki enak banget, aku seneng.",
    "the cat sat on the mat",
]


@pytest.fixture(scope="module")
def metrics():
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    return {name: evaluate.load(metric_path(name)) for name in available_metrics()}


def test_every_shipped_module_loads_offline(metrics):
    assert set(metrics) == {"accuracy", "bleu", "chrf", "chrf_plus_plus", "entity_f1", "macro_f1", "ter"}
    for module in metrics.values():
        assert isinstance(module, evaluate.EvaluationModule)


def test_metric_path_aliases_and_unknown_names():
    assert metric_path("chrf++") == metric_path("chrf_plus_plus")
    assert metric_path("sacrebleu") == metric_path("bleu")
    assert os.path.isfile(os.path.join(metric_path("ter"), "ter.py"))
    with pytest.raises(ValueError, match="ships no metric"):
        metric_path("rouge")


def test_bleu_equals_sacrebleu(metrics):
    result = metrics["bleu"].compute(predictions=HYPOTHESES, references=[[a] for a in REFERENCES_A])
    expected = sacrebleu.corpus_bleu(HYPOTHESES, [REFERENCES_A])
    assert result["bleu"] == pytest.approx(expected.score, abs=1e-9)
    assert result["precisions"] == pytest.approx(expected.precisions)
    assert 0 < result["bleu"] < 100
    # A plain list of strings means one reference each.
    assert metrics["bleu"].compute(predictions=HYPOTHESES, references=REFERENCES_A)["bleu"] == result["bleu"]


def test_bleu_with_two_references_and_options_equals_sacrebleu(metrics):
    references = [[a, b] for a, b in zip(REFERENCES_A, REFERENCES_B)]
    result = metrics["bleu"].compute(predictions=HYPOTHESES, references=references, lowercase=True, tokenize="char")
    expected = sacrebleu.corpus_bleu(HYPOTHESES, [REFERENCES_A, REFERENCES_B], lowercase=True, tokenize="char")
    assert result["bleu"] == pytest.approx(expected.score, abs=1e-9)
    assert "nrefs:2" in result["signature"]


def test_chrf_and_chrf_plus_plus_equal_sacrebleu(metrics):
    chrf = metrics["chrf"].compute(predictions=HYPOTHESES, references=REFERENCES_A)["chrf"]
    chrfpp = metrics["chrf_plus_plus"].compute(predictions=HYPOTHESES, references=REFERENCES_A)["chrf++"]
    assert chrf == pytest.approx(sacrebleu.corpus_chrf(HYPOTHESES, [REFERENCES_A]).score, abs=1e-9)
    assert chrfpp == pytest.approx(sacrebleu.corpus_chrf(HYPOTHESES, [REFERENCES_A], word_order=2).score, abs=1e-9)
    assert chrf != chrfpp


def test_ter_equals_sacrebleu(metrics):
    result = metrics["ter"].compute(predictions=HYPOTHESES, references=REFERENCES_A)
    assert result["ter"] == pytest.approx(sacrebleu.corpus_ter(HYPOTHESES, [REFERENCES_A]).score, abs=1e-9)
    assert metrics["ter"].compute(predictions=REFERENCES_A, references=REFERENCES_A)["ter"] == 0.0


def test_uneven_reference_counts_are_refused(metrics):
    with pytest.raises(ValueError, match="same number of references"):
        metrics["chrf"].compute(predictions=HYPOTHESES[:2], references=[["a"], ["b", "c"]])


def test_accuracy_and_macro_f1_on_known_values(metrics):
    predictions, references = [0, 1, 1, 0, 2], [0, 1, 0, 0, 1]
    assert metrics["accuracy"].compute(predictions=predictions, references=references)["accuracy"] == 0.6
    result = metrics["macro_f1"].compute(predictions=predictions, references=references)
    # class 0: 2TP/(2TP+FP+FN) = 4/5; class 1: 2/4; class 2: 0 (predicted, never true).
    assert result["per_class_f1"] == {0: pytest.approx(0.8), 1: pytest.approx(0.5), 2: 0.0}
    assert result["macro_f1"] == pytest.approx((0.8 + 0.5 + 0.0) / 3)
    strings = metrics["macro_f1"].compute(predictions=["pos", "neg"], references=["pos", "pos"])
    assert strings["macro_f1"] == pytest.approx((2 / 3 + 0.0) / 2)


def test_macro_f1_matches_scikit_learn(metrics):
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = random.Random(0)
    predictions = [rng.randrange(4) for _ in range(200)]
    references = [rng.randrange(4) for _ in range(200)]
    ours = metrics["macro_f1"].compute(predictions=predictions, references=references)["macro_f1"]
    assert ours == pytest.approx(sklearn_metrics.f1_score(references, predictions, average="macro"))


def test_get_entities_follows_conlleval_rules():
    assert get_entities(["B-PER", "I-PER", "O", "B-LOC"]) == [("PER", 0, 1), ("LOC", 3, 3)]
    # An I- tag with no B- starts an entity (IOB1); a type change ends one.
    assert get_entities(["I-ORG", "I-ORG", "I-LOC"]) == [("ORG", 0, 1), ("LOC", 2, 2)]
    assert get_entities(["S-PER", "B-LOC", "E-LOC"]) == [("PER", 0, 0), ("LOC", 1, 2)]
    assert get_entities([]) == []


def test_entity_f1_counts_exact_spans_only(metrics):
    references = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG"]]
    predictions = [["B-PER", "O", "O", "B-LOC"], ["O", "B-ORG"]]
    result = metrics["entity_f1"].compute(predictions=predictions, references=references)
    # 3 gold entities, 3 predicted, 2 exact matches (the truncated PER span is wrong).
    assert result["entity_precision"] == pytest.approx(2 / 3)
    assert result["entity_recall"] == pytest.approx(2 / 3)
    assert result["entity_f1"] == pytest.approx(2 / 3)
    assert result["token_accuracy"] == pytest.approx(5 / 6)
    assert result["per_type"]["PER"]["f1"] == 0.0
    assert result["per_type"]["LOC"]["f1"] == 1.0


def test_entity_f1_agrees_with_seqeval_on_random_tags():
    seqeval_metrics = pytest.importorskip("seqeval.metrics")
    rng = random.Random(0)
    tags = ["O", "O", "B-PER", "I-PER", "B-LOC", "I-LOC", "I-ORG"]
    for _ in range(50):
        lengths = [rng.randint(1, 12) for _ in range(6)]
        references = [[rng.choice(tags) for _ in range(n)] for n in lengths]
        predictions = [[rng.choice(tags) for _ in range(n)] for n in lengths]
        ours = entity_f1_score(predictions, references)
        assert ours["entity_f1"] == pytest.approx(seqeval_metrics.f1_score(references, predictions))
        assert ours["entity_precision"] == pytest.approx(seqeval_metrics.precision_score(references, predictions))
        assert ours["entity_recall"] == pytest.approx(seqeval_metrics.recall_score(references, predictions))


def test_entity_f1_refuses_misaligned_sentences():
    with pytest.raises(ValueError, match="predicted tags"):
        entity_f1_score([["O"]], [["O", "B-PER"]])


def test_load_metric_is_evaluate_load_on_the_shipped_path():
    assert load_metric("chrf++").compute(predictions=["a b c"], references=["a b c"])["chrf++"] == 100.0
