"""`make demo` (recipes/demo.py): its argument errors, its summary table, and (slow) the whole run on minilm-en."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hf_lowres.recipes import demo


ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT.parent / "shared" / "data"


def write_report(folder: Path, rows: dict, source: float) -> None:
    folder.mkdir(parents=True)
    report = [{"language": lang, "n": 400, "accuracy": acc} for lang, acc in rows.items()]
    mean = sum(rows.values()) / len(rows)
    (folder / "results.json").write_text(json.dumps({"rows": report, "macro_average": {"accuracy": mean}}))
    source_rows = [{"language": "eng", "n": 400, "accuracy": source}]
    (folder / "source_results.json").write_text(json.dumps({"rows": source_rows, "macro_average": {}}))


def test_summary_table_puts_english_first_and_marks_languages_without_a_lexicon(tmp_path):
    write_report(tmp_path / "baseline", {"bug": 0.5, "jav": 0.6}, source=0.8)
    write_report(tmp_path / "adapted", {"bug": 0.6, "jav": 0.65}, source=0.85)
    table = demo.summary_table(tmp_path / "baseline", tmp_path / "adapted", ["bug"]).splitlines()
    assert table[2:] == [
        "| language | test n | English only | + lexicon translations | delta |",
        "|---|---:|---:|---:|---:|",
        "| eng (in-language) | 400 | 0.800 | 0.850 | +0.050 |",
        "| bug | 400 | 0.500 | 0.600 | +0.100 |",
        "| jav (no lexicon) | 400 | 0.600 | 0.650 | +0.050 |",
        "| **zero-shot mean** |  | 0.550 | 0.625 | +0.075 |",
    ]


@pytest.mark.skipif(not (DATA_DIR / "gatitos").is_dir(), reason=f"needs the shared data ({DATA_DIR})")
def test_argument_errors_name_what_is_expected(tmp_path):
    with pytest.raises(SystemExit, match="NusaX not found under"):
        demo.check_arguments(tmp_path, ["bug"])
    with pytest.raises(SystemExit, match=r"--languages \['xyz'\]: expected NusaX target languages"):
        demo.check_arguments(DATA_DIR, ["bug", "xyz"])
    with pytest.raises(SystemExit, match="none has a GATITOS lexicon"):
        demo.check_arguments(DATA_DIR, ["jav", "sun"])
    demo.check_arguments(DATA_DIR, ["bug", "jav"])


@pytest.mark.slow
def test_the_demo_runs_end_to_end_on_minilm(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    out = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, str(ROOT / "recipes" / "demo.py"), "--model", "minilm-en", "--max_steps", "2",
         "--languages", "bug", "jav", "--data_dir", str(DATA_DIR), "--output_dir", str(out)],
        capture_output=True, text=True, timeout=1200, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "| eng (in-language) | 400 |" in result.stdout and "| jav (no lexicon) | 400 |" in result.stdout
    assert "50/50 predictions identical to the local model" in result.stdout
    for path in ("adapted/results.png", "adapted/adapters/README.md", "baseline/source_results.json"):
        assert (out / path).is_file(), path
