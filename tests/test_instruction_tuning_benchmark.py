"""``benchmarks/instruction_tuning.py``'s summary without a model: means over seeds of the base model and the tuned
one, and the goal's checks (held-out gain on jav and sun, English kept, target-language instructions better)."""

import pytest
from benchmark_modules import load_benchmark


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("instruction_tuning")


def report(accuracies: dict) -> dict:
    return {"rows": [{"language": lang, "n": 100, "accuracy": value} for lang, value in accuracies.items()]}


def run(arm, seed, before, after):
    return {"arm": arm, "seed": seed, "before": {"sentiment": report(before)}, "after": {"sentiment": report(after)}}


def test_goal_reads_the_held_out_gain_of_eng_ind_and_the_english_change(bench):
    base = {"eng": 0.70, "jav": 0.40, "sun": 0.40}
    runs = [
        run("eng_ind", 0, base, {"eng": 0.69, "jav": 0.52, "sun": 0.49}),
        run("eng_ind", 1, base, {"eng": 0.67, "jav": 0.50, "sun": 0.53}),
        run("with_target", 0, base, {"eng": 0.69, "jav": 0.55, "sun": 0.50}),
    ]
    summary = bench.summarize(runs)
    scores = summary["arms"]["eng_ind"]["scores"]
    assert scores["sentiment/jav/accuracy"]["after"] == pytest.approx([0.51, 0.0141421], abs=1e-6)
    assert summary["goal"]["held_out_gain_points"]["sentiment/sun/accuracy"] == pytest.approx(11.0)
    assert summary["goal"]["held_out_gain_met"] is True
    assert (
        summary["goal"]["english_change_points"] == pytest.approx(-2.0) and summary["goal"]["english_within_2_points"]
    )
    better = summary["goal"]["with_target_better_on"]
    assert better == {"sentiment/jav/accuracy": True, "sentiment/sun/accuracy": False}


def test_a_gain_below_ten_points_or_a_larger_english_drop_fails_the_goal(bench):
    base = {"eng": 0.70, "jav": 0.40, "sun": 0.40}
    summary = bench.summarize([run("eng_ind", 0, base, {"eng": 0.60, "jav": 0.55, "sun": 0.45})])
    assert summary["goal"]["held_out_gain_met"] is False and summary["goal"]["english_within_2_points"] is False
