"""Argument parsing for the recipes: dataclasses on the command line, in a YAML file, or both."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

import yaml
from transformers import HfArgumentParser


class RecipeParser(HfArgumentParser):
    """An `HfArgumentParser` that also reads `--config file.yaml`.

    Values in the YAML file become defaults; the command line overrides them. Unknown keys in the file are an
    error naming them (a misspelt argument never passes silently), as are unknown command-line arguments.

    Example:

    ```python
    >>> parser = RecipeParser((ScriptArguments, CrossLingualTrainingArguments))
    >>> script_args, training_args = parser.parse_args_and_config(["--config", "run.yaml", "--seed", "3"])
    ```
    """

    def __init__(self, dataclass_types, **kwargs):
        # No abbreviations: `--num_beam` must fail rather than quietly mean `--num_beams`.
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(dataclass_types, **kwargs)
        self.add_argument("--config", default=None, help="a YAML file of arguments; the command line overrides it")

    def parse_args_and_config(self, args: Sequence[str] | None = None) -> tuple:
        """Parses `args` (default: `sys.argv[1:]`) after applying the defaults from `--config`, if given."""
        args = list(sys.argv[1:] if args is None else args)
        config_path = _option_value(args, "--config")
        if config_path is not None:
            self._apply_config(config_path)
        *outputs, remaining = self.parse_args_into_dataclasses(args=args, return_remaining_strings=True)
        remaining = [arg for arg in remaining if arg]
        if remaining:
            raise ValueError(f"unknown arguments {remaining}; see --help for the arguments this recipe takes.")
        # The `--config` value comes back as an extra namespace: only the dataclasses are the recipe's arguments.
        return tuple(output for output in outputs if not isinstance(output, argparse.Namespace))

    def _apply_config(self, path: str) -> None:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"--config {path}: no such file.")
        try:
            with open(path, encoding="utf-8") as f:
                values = yaml.safe_load(f) or {}
        except UnicodeDecodeError as e:
            raise ValueError(f"--config {path}: undecodable bytes at byte {e.start}; expected UTF-8 YAML.") from None
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            problem = getattr(e, "problem", None) or str(e)
            context, start = getattr(e, "context", None), getattr(e, "context_mark", None)
            if context and start is not None:
                problem += f", {context} that starts at line {start.line + 1}, column {start.column + 1}"
            raise ValueError(
                f"--config {path}{where}: not valid YAML ({problem}); expected `argument_name: value` lines."
            ) from None
        if not isinstance(values, dict):
            raise ValueError(f"--config {path}: expected a mapping of argument names to values at the top level.")
        known = {action.dest: action for action in self._actions}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"--config {path}: unknown arguments {unknown}; see --help for the arguments.")
        for key, value in values.items():
            _check_config_value(path, known[key], value)
            known[key].required = False  # given in the file, so no longer required on the command line
        self.set_defaults(**values)

    def error(self, message: str):
        """Exits with status 2 after one line naming the error (argparse's default first prints the whole usage,
        hundreds of lines with `TrainingArguments`)."""
        self.exit(2, f"{self.prog}: error: {message}\n(`{self.prog} --help` lists the arguments.)\n")


def _check_config_value(path: str, action: argparse.Action, value) -> None:
    """Refuses a YAML value of the wrong shape or type, which argparse would hand to the dataclass unconverted.

    argparse converts only string defaults: a list for a single-valued argument, or a mapping, would otherwise reach
    the recipe as they are, and fail there (or not at all).
    """
    where = f"--config {path}: `{action.dest}`"
    many = action.nargs in ("+", "*") or isinstance(action.nargs, int)
    if isinstance(value, dict):
        raise ValueError(f"{where} is a mapping; expected {'a list of values' if many else 'a single value'}.")
    if isinstance(value, list) and not many:
        raise ValueError(f"{where} is a list {value}; expected a single value.")
    if value is None:
        if action.required:
            raise ValueError(f"{where} is empty (null); the argument is required.")
        return
    converter = action.type if callable(action.type) else None
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, (list, dict)):
            raise ValueError(f"{where} holds {item!r}; expected plain values.")
        if converter is int and isinstance(item, float):
            raise ValueError(f"{where} is {item!r}; expected an integer.")
        if converter in (int, float) and isinstance(item, bool):
            raise ValueError(f"{where} is {item!r}; expected a number.")
        if converter is not None and not isinstance(item, str):
            try:
                converter(item)
            except (TypeError, ValueError):
                kind = getattr(converter, "__name__", "value")
                raise ValueError(f"{where} is {item!r}, which is not a valid {kind}.") from None
        if action.choices is not None and item not in action.choices and str(item) not in map(str, action.choices):
            raise ValueError(f"{where} is {item!r}; expected one of {list(action.choices)}.")


def _option_value(args: list[str], option: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == option and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(option + "="):
            return arg.split("=", 1)[1]
    return None
