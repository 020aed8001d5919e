"""benchmarks/lexicon_table.py: the lexicon arms per language, groups apart, beside the published figures."""

import sys

import pytest
from benchmark_modules import load_benchmark


LEXC_GEN = ["ace", "ban", "bbc", "bjn", "bug", "mad", "min"]
TARGETS = ["ind", *LEXC_GEN[:4], "bug", "jav", "mad", "min", "nij", "sun"]


@pytest.fixture(scope="module")
def table():
    module = load_benchmark("lexicon_table")
    yield module
    del sys.modules[module.__name__]


def arm(accuracy: dict, seeds=(0, 1, 2)):
    return {
        "seeds": list(seeds),
        "eng_valid": [0.8, 0.01],
        "per_language": {t: {"selected": [accuracy.get(t, 0.5), 0.02]} for t in TARGETS},
    }


def test_groups_means_gains_and_published_figures(table, tmp_path):
    summary = {
        "date": "2026-12-04 00:00 UTC",
        "protocol": "v2-disjoint",
        "targets": TARGETS,
        "lexc_gen_languages": LEXC_GEN,
        "models": {
            "me5-small": {"arms": {"A": arm({}), "G": arm({t: 0.6 for t in LEXC_GEN}, seeds=(0,)), "D": arm({})}},
            "no-lexicon-model": {"arms": {"A": arm({})}},
        },
    }
    text = table.write(summary, tmp_path).read_text()
    assert "## me5-small" in text and "no-lexicon-model" not in text  # a model without a lexicon arm: no table
    header = next(line for line in text.splitlines() if line.startswith("| language |"))
    assert "A (3 seeds)" in header and "G (1 seed)" in header and "| D " not in header  # only A and lexicon arms
    rows = {line.split(" | ")[0].strip("| *"): line for line in text.splitlines() if line.startswith("| ")}
    # GATITOS languages carry the published XLM-R base figures (bbc: 40.0 zero-shot, 63.4 with word translation).
    assert rows["bbc"] == "| bbc | 50.0 ± 2.0 | 60.0 ± 2.0 | 40.0 | 63.4 |"
    assert rows["mean, LexC-Gen 7"] == "| **mean, LexC-Gen 7** | **50.0** | **60.0 (+20.0%)** | **53.2** | **71.2** |"
    # The targets without a GATITOS lexicon stand apart, with no published column.
    assert rows["jav"] == "| jav | 50.0 ± 2.0 | 50.0 ± 2.0 |  |  |"
    assert rows["mean, without GATITOS"].startswith("| **mean, without GATITOS** | **50.0** | **50.0 (+0.0%)** |")
    # (7 x 60 + 4 x 50) / 11
    assert rows["mean, all 11"].startswith("| **mean, all 11** | **50.0** | **56.4 (+12.7%)** |")
    assert "English valid accuracy (the selection signal): A 80.0; G 80.0." in text
