"""``benchmarks/language_adapter_curve.py`` on a tiny data folder: its MLM text (P plus native NusaParagraph
sentences) never holds a sentence of L or of a valid or test set, nor a held-out sentence, and its check stops a run
that would."""

import csv
import sys

import pytest
import torch
from benchmark_modules import load_benchmark
from protocol_v2_data import build_data

from hf_lowres.data.overlap import SentenceOverlapError


# Four Javanese paragraphs of two sentences; the third holds a NusaX test sentence (in capitals: the comparison is
# case-folded), which the curve must drop from its MLM text.
PARAGRAPHS = [
    ("p1", "Aku mangan sega. Kowe ngombe teh.", "food & beverages"),
    ("p2", "Pasar rame banget. Aku tuku klambi.", "business"),
    ("p3", "Aku seneng bal-balan! JAV TEST SENTENCE T1", "sports"),
    ("p4", "Simbah ana ing omah. Udan deres wingi.", "slice of life"),
]


@pytest.fixture(scope="module")
def curve():
    transfer = load_benchmark("nusax_transfer")
    transfer.SETTINGS.update(labeled_rows=10, ood_pairs_per_language=4)
    module = load_benchmark("language_adapter_curve")
    module.transfer = transfer  # the private copy with the tiny settings
    module.mlm_head_warmup.HELD_OUT_PARAGRAPHS = 1
    yield module
    for name in (module.__name__, transfer.__name__):
        del sys.modules[name]


@pytest.fixture(scope="module")
def data(curve, tmp_path_factory):
    root, _ = build_data(tmp_path_factory.mktemp("data"), curve.transfer)
    for split, rows in (("train", PARAGRAPHS), ("valid", PARAGRAPHS[:1]), ("test", PARAGRAPHS[:1])):
        with (root / "nusawrites" / f"nusa_alinea-topic-jav-{split}.csv").open("w", newline="") as handle:
            csv.writer(handle).writerows([("id", "text", "label"), *rows])
    return root, curve.transfer.protocol_data(str(root))


def test_mlm_text_is_p_plus_native_sentences_without_shared_or_held_out_ones(curve, data):
    root, protocol = data
    text, held_out, dropped = curve.adapter_text(protocol, str(root), ["jav"], seed=0)
    assert set(text) == {"eng", "jav"} and set(held_out) == {"jav"}
    p_sentences = [t for _, t in protocol.parallel_text["jav"]]
    assert text["jav"][: len(p_sentences)] == p_sentences
    assert text["eng"] == [t for _, t in protocol.parallel_text["eng"]]
    native = text["jav"][len(p_sentences) :]
    assert "JAV TEST SENTENCE T1" not in native + held_out["jav"] and dropped == {"eng": 0, "jav": 1}
    # One paragraph held out, the rest is MLM text: 4 paragraphs x 2 sentences, less the one dropped.
    assert len(held_out["jav"]) + len(native) == 7 and len(held_out["jav"]) in (1, 2)
    assert not set(native) & set(held_out["jav"])
    assert curve.check_overlap(protocol, text, held_out)["total"] == 0


def test_overlap_check_stops_mlm_text_that_shares_a_test_or_held_out_sentence(curve, data):
    root, protocol = data
    text, held_out, _ = curve.adapter_text(protocol, str(root), ["jav"], seed=0)
    with pytest.raises(SentenceOverlapError, match="MLM text jav"):
        curve.check_overlap(protocol, {**text, "jav": [*text["jav"], "Jav Test Sentence T1"]}, held_out)
    with pytest.raises(RuntimeError, match="jav: a held-out sentence is also MLM text"):
        curve.check_overlap(protocol, {**text, "jav": [*text["jav"], held_out["jav"][0]]}, held_out)


def test_default_budget_is_chosen_on_english_valid_never_on_test(curve):
    rows = [
        {"budget": 30, "B": {"english_valid": (0.70, 0.01), "test_mean": 0.60}},
        {"budget": 300, "B": {"english_valid": (0.72, 0.01), "test_mean": 0.55}},
        {"budget": 3000, "B": {"english_valid": (0.69, 0.01), "test_mean": 0.65}},
    ]
    assert curve.chosen_budget(rows) == 300


def test_warmed_head_is_trained_once_and_loaded_back_for_every_budget(curve, tmp_path):
    from transformers import BertModel

    from hf_lowres import LowResForMaskedLM
    from hf_lowres.adapters import lm_head_parameters
    from hf_lowres.testing_utils import tiny_backbone_config, tiny_tokenizer

    BertModel(tiny_backbone_config("bert")).save_pretrained(tmp_path / "plain")
    tokenizer, texts = tiny_tokenizer(), {"eng": ["the cat sat on the mat"] * 16, "jav": ["kucing lungguh"] * 8}
    curve.SETTINGS.update(head_warmup_learning_rate=5e-2, head_warmup_batch_size=8)
    warmed = LowResForMaskedLM.from_backbone(tmp_path / "plain", ["eng", "jav"])
    fresh = {name: p.detach().clone() for name, p in lm_head_parameters(warmed).items()}
    report = curve.warm_head(warmed, tokenizer, texts, 4, tmp_path / "head")
    trained = {name: p.detach().clone() for name, p in lm_head_parameters(warmed).items()}
    assert report["steps"] == 4 and any(not torch.equal(fresh[n], trained[n]) for n in fresh)

    # A second budget's model: the cached head is loaded, not trained again (the report is the first one's).
    other = LowResForMaskedLM.from_backbone(tmp_path / "plain", ["eng", "jav"])
    assert curve.warm_head(other, tokenizer, {"eng": ["never read"]}, 4, tmp_path / "head") == report
    assert all(torch.equal(p, trained[n]) for n, p in lm_head_parameters(other).items())


def test_only_the_mad_x_arms_route_auxiliary_rows_through_each_language_adapter(curve, tmp_path):
    transfer = curve.transfer
    for arm, spec in transfer.ARMS.items():
        args = transfer.task_arguments(spec, 0, str(tmp_path))
        assert args.auxiliary_language_adapters == (arm in ("E", "F")), arm
        assert (args.adversarial_weight > 0) == spec["adversarial"], arm
        assert (args.alignment_weight > 0) == bool(spec["alignment"]), arm


def test_budget_runs_train_on_the_curve_adapters_and_model_in_the_budget_folder(curve, tmp_path, monkeypatch):
    calls = []

    def run_one(model_name, arm, seed, data_dir, adapters_dir=None, model_path=None):
        calls.append((arm, seed, adapters_dir, model_path, curve.transfer.RUNS_DIR))
        return {"seed": seed}

    monkeypatch.setattr(curve.transfer, "run_one", run_one)
    for name in ("RESULTS_DIR", "RUNS_DIR", "ADAPTER_CACHE"):  # restored after the test
        monkeypatch.setattr(curve.transfer, name, getattr(curve.transfer, name))
    runs = curve.budget_runs(300, tmp_path / "adapters", tmp_path / "model", [0, 1], "data", tmp_path, arm="E")
    assert runs == [{"seed": 0}, {"seed": 1}]
    runs_dir = tmp_path / "budget300" / "nusax_transfer_runs"
    assert calls == [("E", s, str(tmp_path / "adapters"), str(tmp_path / "model"), runs_dir) for s in (0, 1)]
