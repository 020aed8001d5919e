"""Tests for ``benchmarks/run_all.py``'s time budget: it is read from the times the result files recorded."""

import json

import pytest
from benchmark_modules import load_benchmark


@pytest.fixture
def run_all(tmp_path, monkeypatch):
    module = load_benchmark("run_all")
    monkeypatch.setattr(module, "TRANSFER_RUNS", tmp_path / "transfer")
    monkeypatch.setattr(module, "BACKTRANSLATION_RUNS", tmp_path / "bt")
    monkeypatch.setattr(module, "ADAPTER_CACHE", tmp_path / "adapters")
    (tmp_path / "transfer").mkdir()
    (tmp_path / "bt").mkdir()
    return module


def write_run(run_all, model, arm, seed, total, adapters):
    path = run_all.transfer_run_path(model, arm, seed)
    seconds = {"total": total, "language_adapters_or_load": adapters}
    path.write_text(json.dumps({"model": model, "arm": arm, "seed": seed, "seconds": seconds}))


def test_measured_seconds_take_the_median_and_keep_adapter_training_apart(run_all):
    write_run(run_all, "minilm-en", "B", 0, total=700.0, adapters=500.0)  # this run trained the adapters
    write_run(run_all, "minilm-en", "B", 1, total=210.0, adapters=1.0)
    write_run(run_all, "minilm-en", "B", 2, total=260.0, adapters=1.0)
    write_run(run_all, "me5-small", "D_ood", 0, total=300.0, adapters=1.0)
    write_run(run_all, "me5-small", "A", 0, total=400.0, adapters=90.0)  # a slow data load, no adapters
    (run_all.TRANSFER_RUNS / "me5-small__raw_backbone.json").write_text(json.dumps({"seconds": 120.0}))
    (run_all.BACKTRANSLATION_RUNS / "seed0.json").write_text(json.dumps({"seconds": {"total": 100.0}}))
    seconds = run_all.measured_seconds()
    assert seconds[("minilm-en", "B")] == 209.0  # median of 200, 209, 259
    assert seconds[("minilm-en", "language_adapters")] == 500.0
    assert seconds[("me5-small", "D_ood")] == 299.0
    assert seconds[("me5-small", "A")] == 310.0
    assert seconds[("me5-small", "language_adapters")] == run_all.FALLBACK_SECONDS[("me5-small", "language_adapters")]
    assert seconds[("me5-small", "raw_backbone")] == 120.0
    assert seconds[("bt", "seed")] == 100.0
    # Nothing measured: the fallback.
    assert seconds[("minilm-en", "A")] == run_all.FALLBACK_SECONDS[("minilm-en", "A")]
    assert seconds[("minilm-en", "raw_backbone")] == run_all.FALLBACK_SECONDS[("minilm-en", "raw_backbone")]


def test_budget_counts_only_what_the_cache_lacks(run_all):
    seconds = {key: 10.0 for key in run_all.FALLBACK_SECONDS}
    # A, B, C, D, D_ood, E, F, T, the lexicon arms G, H, G+D, G_nusax and G's control A_steps
    assert len(run_all.ARMS) == 13
    scratch, left, _ = run_all.budget(["minilm-en"], run_all.ARMS, [0, 1], seconds)
    # The raw backbone, 2 adapter sets, 13 arms x 2 seeds, then 2 back-translation seeds.
    assert scratch == 10.0 * (1 + 2 + 26 + 2)
    assert left == scratch
    for arm in run_all.ARMS:
        for seed in (0, 1):
            if (arm, seed) != ("F", 1):
                write_run(run_all, "minilm-en", arm, seed, total=10.0, adapters=1.0)
    (run_all.TRANSFER_RUNS / "minilm-en__raw_backbone.json").write_text(json.dumps({"seconds": 10.0}))
    (run_all.BACKTRANSLATION_RUNS / "seed0.json").write_text(json.dumps({"seconds": {"total": 10.0}}))
    scratch_again, left, lines = run_all.budget(["minilm-en"], run_all.ARMS, [0, 1], seconds)
    assert scratch_again == scratch
    # F seed 1 needs its adapter set (none trained yet), and back-translation seed 1 is missing.
    assert left == 10.0 * (1 + 1 + 1)
    assert "1 not in the cache" in lines[0]
    vocabulary_adapters = run_all.ADAPTER_CACHE / "minilm-en" / "seed0-vocabulary"
    vocabulary_adapters.mkdir(parents=True)
    (vocabulary_adapters / "done.json").write_text("{}")
    assert run_all.budget(["minilm-en"], run_all.ARMS, [0, 1], seconds)[1] == 10.0 * (1 + 1)


def test_make_bench_arms_need_no_language_adapters_and_t_brings_a(run_all):
    seconds = {key: 10.0 for key in run_all.FALLBACK_SECONDS}
    seconds[("me5-small", "G+D")] = 100.0
    assert run_all.BENCH_MODELS == ["me5-small"] and run_all.BENCH_ARMS == ["A", "G+D"]
    scratch, left, lines = run_all.budget(["me5-small"], run_all.BENCH_ARMS, [0, 1, 2], seconds)
    # The raw backbone, A x 3 seeds, G+D x 3 seeds, 3 back-translation seeds; no language adapter set.
    assert scratch == left == 10.0 * (1 + 3 + 3) + 100.0 * 3
    assert "arms A G+D x 3 seeds = 6 runs" in lines[0]
    # T alone still runs A first (its pseudo-labels) and charges it.
    assert run_all.arms_to_run(["T"]) == ["A", "T"]
    assert run_all.budget(["me5-small"], ["T"], [0], seconds)[0] == 10.0 * (1 + 1 + 1 + 1)  # + back-translation
    # B brings the plain adapter set, F the extended one.
    assert run_all.budget(["me5-small"], ["B", "F"], [0], seconds)[0] == 10.0 * (1 + 2 + 2 + 1)


def test_rerun_deletes_exactly_the_selected_result_files(run_all):
    files = run_all.selected_result_files(["me5-small"], run_all.ARMS, [2])
    names = sorted(path.name for path in files)
    assert names == sorted(
        [f"me5-small__{arm}__seed2.json" for arm in run_all.ARMS]
        + ["me5-small__raw_backbone.json", "me5-small__F_vocabulary.json", "seed2.json"]
    )
    names = sorted(path.name for path in run_all.selected_result_files(["me5-small"], ["A", "T"], [0]))
    assert names == [
        "me5-small__A__seed0.json",
        "me5-small__T__seed0.json",
        "me5-small__raw_backbone.json",
        "seed0.json",
    ]
