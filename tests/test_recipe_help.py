"""The recipes' `--help`, `--help-all` and usage errors, and what `hf-lowres --help` imports."""

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
from import_checks import HEAVY_PACKAGES, imported_modules
from transformers import TrainingArguments

from hf_lowres.cli import main as cli_main


REPO_ROOT = Path(__file__).resolve().parents[1]
# A recipe whose parser holds its own dataclasses and the Trainer's ~114 arguments.
REQUIRED = ["--model_name_or_path", "m", "--languages", "eng", "jav", "--train_file", "t.csv", "--test_files",
            "jav=j.csv", "--class_names", "negative", "positive"]  # fmt: skip


@pytest.fixture(autouse=True)
def fixed_width(monkeypatch):
    """argparse and the compact listing wrap at the terminal width: fix it (`COLUMNS`)."""
    monkeypatch.setenv("COLUMNS", "100")


def run_help(argv, capsys) -> list[str]:
    with pytest.raises(SystemExit) as exit_info:
        cli_main(argv)
    assert exit_info.value.code == 0
    return capsys.readouterr().out.splitlines()


def run_error(argv, capsys) -> list[str]:
    with pytest.raises(SystemExit) as exit_info:
        cli_main(argv)
    assert exit_info.value.code == 2
    return capsys.readouterr().err.splitlines()


def index_of(lines, prefix) -> int:
    return next(i for i, line in enumerate(lines) if line.startswith(prefix))


def test_help_shows_the_recipes_own_arguments_first_and_is_short(capsys):
    lines = run_help(["train_task", "--help"], capsys)
    assert index_of(lines, "  --model_name_or_path VALUE") < 30
    assert index_of(lines, "  --class_names VALUE [...]") < 40
    assert index_of(lines, "  --adversarial_weight FLOAT") > index_of(lines, "  --unlabeled_files")
    # Without --help-all, no Trainer argument is listed; the help says how many there are and how to see them.
    assert not any(
        line.lstrip().startswith(("--learning_rate", "--warmup_steps", "--eval_strategy")) for line in lines
    )
    assert "hf-lowres train_task --help-all" in " ".join(lines[-5:])
    assert len(lines) < 150  # was 754 lines with every TrainingArguments field


def test_help_all_lists_every_trainer_argument_one_line_each_by_topic(capsys):
    lines = run_help(["train_task", "--help-all"], capsys)
    text = "\n".join(lines)
    trainer_fields = [f.name for f in dataclasses.fields(TrainingArguments) if f.init]
    listed = {line.split()[0] for line in lines[index_of(lines, "Trainer arguments") :] if line.startswith("    --")}
    assert listed == {f"--{name}" for name in trainer_fields}
    assert index_of(lines, "  --model_name_or_path") < index_of(lines, "    --learning_rate FLOAT")
    assert "  Evaluation:" in lines and "  Hub:" in lines
    assert max(len(line) for line in lines[index_of(lines, "Trainer arguments") :]) <= 100
    assert "--learning_rate FLOAT" in text and "(5e-05)" in text


def test_a_misspelt_required_flag_is_named_with_the_closest_valid_one(capsys):
    lines = run_error(["train_task", "--modle_name_or_path", "m", "--languages", "eng", "jav"], capsys)
    err = "\n".join(lines)
    assert "--modle_name_or_path is not an argument; did you mean --model_name_or_path?" in err
    assert "unknown arguments ['--modle_name_or_path', 'm']" in err
    assert "required" not in err  # reported before argparse's "the following arguments are required"
    assert lines[0].startswith("usage: hf-lowres train_task --model_name_or_path VALUE")
    assert len(lines) <= 5


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--languages", "eng"], "error: the following arguments are required: --model_name_or_path"),
        ([*REQUIRED, "--max_length", "long"], "error: argument --max_length/--max-length: invalid int value: 'long'"),
    ],
)
def test_a_usage_error_is_the_short_usage_and_the_error(capsys, argv, expected):
    lines = run_error(["train_task", *argv], capsys)
    assert lines[0].startswith("usage: hf-lowres train_task --model_name_or_path VALUE --languages VALUE [...]")
    assert lines[-1] == "(`hf-lowres train_task --help` lists the arguments.)"
    assert any(expected in line for line in lines)
    assert len(lines) <= 5  # argparse's own usage of this parser is ~160 lines


def test_a_misspelt_key_in_a_config_file_is_named_with_the_closest(tmp_path, capsys):
    config = tmp_path / "run.yaml"
    config.write_text("modle_name_or_path: m\nlerning_rate: 0.001\n")
    err = "\n".join(run_error(["train_task", "--config", str(config)], capsys))
    assert "unknown arguments ['lerning_rate', 'modle_name_or_path']" in err
    assert "lerning_rate: did you mean learning_rate?" in err
    assert "modle_name_or_path: did you mean model_name_or_path?" in err


def test_command_help_imports_neither_torch_nor_transformers():
    script = Path(sys.executable).parent / "hf-lowres"
    runs = [["-m", "hf_lowres.cli", "--help"]] + ([[str(script), "--help"]] if script.is_file() else [])
    for argv in runs:
        modules, result = imported_modules(*argv)
        assert "hf_lowres" in modules
        assert not modules & HEAVY_PACKAGES, argv
        assert "predict" in result.stdout and "train_task" in result.stdout


def test_predict_help_does_not_import_torch():
    modules, result = imported_modules("-m", "hf_lowres.cli", "predict", "--help")
    assert "torch" not in modules and "peft" not in modules
    assert "--adapters VALUE" in result.stdout
    assert "--help-all" not in result.stdout  # no Trainer arguments to show


def test_importing_the_package_elsewhere_still_registers_the_auto_classes():
    code = "import hf_lowres, transformers; print(type(transformers.AutoConfig.for_model('lowres')).__name__)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "LowResConfig"
