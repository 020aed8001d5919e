"""``benchmarks/nusa_backtranslation.py`` without a model: the monolingual text it back-translates, the check that the
reverse model read the forward system's pairs, and the summary the issue's goal reads."""

import json

import pytest
from benchmark_modules import load_benchmark
from datasets import Dataset


@pytest.fixture(scope="module")
def bt():
    return load_benchmark("nusa_backtranslation")


def test_monolingual_text_drops_valid_test_and_repeated_sentences(bt):
    data = {"other_targets": ["Aku mangan.", "KOWE NGOMBE.", "aku mangan.", "Udan deres.", ""],
            "forbidden": {"kowe ngombe."}}  # fmt: skip
    texts, source = bt.monolingual_text(data, "unused", "jav", real_pairs=1000)
    assert texts == ["Aku mangan.", "Udan deres."]
    assert source == {"source": source["source"], "read": 5, "kept": 2} and "train rows" in source["source"]


def test_full_n_reads_native_paragraph_sentences_capped(bt, tmp_path, monkeypatch):
    native = [f"Ukara {i}." for i in range(10)] + ["Ukara 3.", "Tes ukara."]
    monkeypatch.setattr(bt.translation, "native_sentences", lambda data_dir, language: native)
    monkeypatch.setitem(bt.SETTINGS, "monolingual_sentences", 4)
    data = {"other_targets": ["never read"], "forbidden": {"ukara 1."}}
    texts, source = bt.monolingual_text(data, str(tmp_path), "jav", real_pairs=bt.FULL_TRAIN)
    assert texts == ["Ukara 0.", "Ukara 2.", "Ukara 3.", "Ukara 4."] and "NusaParagraph" in source["source"]


def test_reverse_model_must_read_the_forward_pairs_swapped(bt):
    forward = {"train": Dataset.from_dict({"source_text": ["a", "b"], "target_text": ["x", "y"]})}
    bt.check_same_real_pairs(forward, {"train": Dataset.from_dict({"source_text": ["x", "y"],
                                                                   "target_text": ["a", "b"]})})  # fmt: skip
    with pytest.raises(RuntimeError, match="not the forward system's pairs"):
        bt.check_same_real_pairs(forward, {"train": Dataset.from_dict({"source_text": ["y", "x"],
                                                                       "target_text": ["b", "a"]})})  # fmt: skip


def run(seed, real_bleu, bt_bleu, tagged_bleu):
    def system(bleu):
        return {"scores": {"NusaTranslation test": {"model": {"bleu": bleu, "chrf": 10 * bleu},
                                                    "copy": {"bleu": 23.4, "chrf": 43.4}}}}  # fmt: skip

    systems = {"real": system(real_bleu), "bt": system(bt_bleu), "bt_tagged": system(tagged_bleu)}
    return {"language": "jav", "real_pairs": 1000, "seed": seed, "back_translation": {"generated": 9, "kept": 8},
            "systems": systems}  # fmt: skip


def test_summary_carries_the_deciding_setting_with_mean_std_and_gain(bt, tmp_path, monkeypatch):
    monkeypatch.setattr(bt, "RESULTS_DIR", tmp_path)
    monkeypatch.setattr(bt, "RUNS_DIR", tmp_path / "runs")
    (tmp_path / "runs").mkdir()
    for seed, scores in enumerate([(4.0, 4.0, 5.0), (6.0, 5.0, 7.0)]):
        (tmp_path / "runs" / f"jav__n1000__e3__seed{seed}.json").write_text(json.dumps(run(seed, *scores)))
    summary = bt.report("test")
    row = summary["settings"][0]["sets"]["NusaTranslation test"]
    assert row["real"]["bleu"] == pytest.approx([5.0, 2**0.5])
    assert row["bt_tagged"]["bleu_gain"] == pytest.approx(0.2) and row["bt"]["bleu_gain"] == pytest.approx(-0.1)
    written = json.loads((tmp_path / "nusa_backtranslation.json").read_text())
    assert written["systems"]["real_only"]["bleu"] == pytest.approx([5.0, 2**0.5])
    assert written["systems"]["real_plus_bt"]["bleu"] == pytest.approx([6.0, 2**0.5])
    assert "+20.0%" in (tmp_path / "nusa_backtranslation.md").read_text()


def test_full_n_is_a_real_pairs_count_every_language_has(bt):
    # 6,496-6,506 NusaTranslation train pairs per language remain once those shared with a valid/test set are dropped.
    assert bt.FULL_TRAIN == bt.translation.FULL_REAL_PAIRS <= 6496


def test_a_system_that_has_not_trained_is_named_with_its_folder(bt, tmp_path, monkeypatch):
    monkeypatch.setattr(bt.translation, "ADAPTERS_DIR", tmp_path)
    with pytest.raises(FileNotFoundError, match=r"ind-jav__n1000__e3__seed4.*no trained adapter for ind-jav N=1000"):
        bt.translation.load_trained_system("ind-jav", 1000, 4, str(tmp_path))
