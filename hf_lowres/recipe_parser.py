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
        with open(path, encoding="utf-8") as f:
            values = yaml.safe_load(f) or {}
        if not isinstance(values, dict):
            raise ValueError(f"--config {path}: expected a mapping of argument names to values at the top level.")
        known = {action.dest: action for action in self._actions}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"--config {path}: unknown arguments {unknown}; see --help for the arguments.")
        for key in values:
            known[key].required = False  # given in the file, so no longer required on the command line
        self.set_defaults(**values)


def _option_value(args: list[str], option: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == option and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(option + "="):
            return arg.split("=", 1)[1]
    return None
