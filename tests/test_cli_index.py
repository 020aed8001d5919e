"""The argument index: the CLI's `--help` and usage errors from stored data, identical to the full parsers'."""

import json

import pytest
from import_checks import HEAVY_PACKAGES, imported_modules

from hf_lowres import cli
from hf_lowres.cli_index import INDEX_FILE, build_index, describe_parser, indexed_parser
from hf_lowres.recipe_parser import RecipeParser


TRAIN_TASK_REQUIRED = ["--model_name_or_path", "m", "--languages", "eng", "jav", "--train_file", "t.csv",
                       "--test_files", "jav=j.csv", "--class_names", "negative", "positive"]  # fmt: skip
# (command, arguments) that end in help or in a usage error.
ENDINGS = [
    ("train_task", ["--help"]),
    ("train_task", ["-h"]),
    ("train_task", ["--help-all"]),
    ("train_task", ["--modle_name_or_path", "m", "--languages", "eng", "jav"]),
    ("train_task", ["--languages", "eng"]),
    ("train_task", [*TRAIN_TASK_REQUIRED, "--max_length", "long"]),
    ("train_task", [*TRAIN_TASK_REQUIRED, "--learning_rate", "fast"]),
    ("train_task", [*TRAIN_TASK_REQUIRED, "--push_to_hub", "maybe"]),
    ("train_task", [*TRAIN_TASK_REQUIRED, "--eval_strategy", "sometimes"]),
    ("train_task", ["stray_value", *TRAIN_TASK_REQUIRED]),
    ("train_task", [*TRAIN_TASK_REQUIRED, "--seed"]),
    ("adapt_language", ["--help"]),
    ("adapt_language", ["--help-all"]),
    ("adapt_language", ["--mlm_probabilty", "0.2"]),
    ("back_translate", ["--help"]),
    ("back_translate", ["--num_beams", "2.5"]),
    ("train_translation", ["--help-all"]),
    ("publish", ["--help"]),
    ("publish", []),
    ("predict", ["--help"]),
    ("predict", ["--adapter", "x"]),
]
# Arguments the index lets through to the full parser (which may still refuse them in the dataclasses' checks).
VALID = [
    ("train_task", TRAIN_TASK_REQUIRED),
    ("train_task", [*TRAIN_TASK_REQUIRED, "--push_to_hub", "--eval_strategy", "steps", "--learning_rate", "1e-4",
                    "--no_dataloader_pin_memory", "--gradient_checkpointing", "false", "--seed=3"]),
    ("train_task", ["--config", "run.yaml"]),
    ("train_task", ["--config=run.yaml", "--seed", "1"]),
]  # fmt: skip


@pytest.fixture(autouse=True)
def fixed_width(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")


def ending(call) -> int:
    """The exit status `call` ends with (it must exit: with the help, or with a usage error)."""
    with pytest.raises(SystemExit) as exit_info:
        call()
    return exit_info.value.code


def full_parser_ending(name, args):
    """What the full parser answers, as `hf-lowres` runs it (its ValueErrors become usage errors)."""
    parser = cli.command_parser(name)
    parser.prog = f"hf-lowres {name}"
    try:
        parser.parse_args_and_config(args)
    except ValueError as error:
        parser.error(str(error))


def test_the_stored_index_is_that_of_the_current_parsers():
    stored = json.loads(INDEX_FILE.read_text(encoding="utf-8"))
    assert stored == build_index(), "the argument index is stale: run `make cli-index`"
    assert set(stored["commands"]) == set(cli.RECIPES) | set(cli.TOOLS)


@pytest.mark.parametrize("name, args", ENDINGS, ids=lambda value: " ".join(value) if isinstance(value, list) else "")
@pytest.mark.parametrize("width", ["100", "64"])
def test_the_index_answers_exactly_as_the_full_parser(name, args, width, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", width)
    quick = indexed_parser(name, prog=f"hf-lowres {name}")
    assert quick is not None
    quick_code = ending(lambda: quick.check(list(args)))
    quick_out = capsys.readouterr()
    full_code = ending(lambda: full_parser_ending(name, list(args)))
    full_out = capsys.readouterr()
    assert (quick_code, quick_out.out, quick_out.err) == (full_code, full_out.out, full_out.err)
    assert quick_code in (0, 2) and (quick_out.out or quick_out.err)


@pytest.mark.parametrize("name, args", VALID)
def test_valid_arguments_pass_the_index_to_the_full_parser(name, args, capsys):
    assert indexed_parser(name, prog=f"hf-lowres {name}").check(list(args)) is None
    assert capsys.readouterr() == ("", "")


def test_an_index_built_under_another_transformers_version_is_not_used(tmp_path, monkeypatch, capsys):
    stale = json.loads(INDEX_FILE.read_text(encoding="utf-8"))
    stale["transformers"] = "0.0.1"
    stale_file = tmp_path / "cli_index.json"
    stale_file.write_text(json.dumps(stale))
    assert indexed_parser("train_task", prog="p", index_file=stale_file) is None
    assert indexed_parser("train_task", prog="p", index_file=tmp_path / "missing.json") is None
    assert indexed_parser("no_such_command", prog="p") is None
    # Without the index, `hf-lowres` answers from the full parser, with the same message.
    monkeypatch.setattr(cli.cli_index, "INDEX_FILE", stale_file)
    monkeypatch.setattr(cli.cli_index.indexed_parser, "__defaults__", (stale_file,))
    assert ending(lambda: cli.main(["train_task", "--modle_name_or_path", "m"])) == 2
    assert "did you mean --model_name_or_path?" in capsys.readouterr().err


def test_an_argument_kind_the_index_cannot_mirror_is_refused_when_it_is_built():
    parser = RecipeParser(())
    parser.add_argument("--verbose", "-v", action="count", default=0)
    with pytest.raises(TypeError, match=r"_CountAction \(\['--verbose', '-v'\]\)"):
        describe_parser(parser)


def test_help_and_a_typo_import_neither_torch_nor_transformers():
    modules, result = imported_modules("-m", "hf_lowres.cli", "train_task", "--help-all")
    assert not modules & HEAVY_PACKAGES
    assert "--learning_rate FLOAT" in result.stdout
    modules, result = imported_modules("-m", "hf_lowres.cli", "train_task", "--modle_name_or_path", "m", returncode=2)
    assert not modules & HEAVY_PACKAGES
    assert "did you mean --model_name_or_path?" in result.stderr


def test_mirrored_actions_keep_their_types_and_defaults():
    quick = indexed_parser("train_task", prog="p")
    namespace, _ = quick.parse_known_args([*TRAIN_TASK_REQUIRED, "--max_length", "64", "--push_to_hub"])
    assert namespace.max_length == 64 and namespace.push_to_hub is True
    assert namespace.learning_rate == pytest.approx(5e-05)
    assert namespace.dataloader_pin_memory is True
    namespace, _ = quick.parse_known_args([*TRAIN_TASK_REQUIRED, "--no_dataloader_pin_memory"])
    assert namespace.dataloader_pin_memory is False
