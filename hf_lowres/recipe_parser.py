"""Argument parsing for the recipes: dataclasses on the command line, in a YAML file, or both."""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import os
import sys
from collections.abc import Sequence

import yaml
from transformers import HfArgumentParser

from .parser_help import CompactHelpFormatter, HelpAllAction, ReadableHelpMixin, asks_for_help


class RecipeParser(ReadableHelpMixin, HfArgumentParser):
    """An `HfArgumentParser` that also reads `--config file.yaml`, with help and errors sized for a person.

    Values in the YAML file become defaults; the command line overrides them. Unknown keys in the file are an
    error naming them (a misspelt argument never passes silently), as are unknown command-line arguments, which are
    reported first (before a required argument that the misspelling left missing) with the closest valid name.

    `--help` lists the recipe's own arguments (those of its dataclasses other than the Trainer's) and says how to see
    the rest; `--help-all` adds the Trainer's arguments (`transformers.TrainingArguments`), one line each, grouped by
    topic. A usage error prints a short usage line (the required arguments only) and the error.

    Example:

    ```python
    >>> parser = RecipeParser((ScriptArguments, CrossLingualTrainingArguments))
    >>> script_args, training_args = parser.parse_args_and_config(["--config", "run.yaml", "--seed", "3"])
    ```
    """

    def __init__(self, dataclass_types, **kwargs):
        # No abbreviations: `--num_beam` must fail rather than quietly mean `--num_beams`.
        kwargs.setdefault("allow_abbrev", False)
        kwargs.setdefault("formatter_class", CompactHelpFormatter)
        super().__init__(dataclass_types, **kwargs)
        self.add_argument("--config", default=None, help="a YAML file of arguments; the command line overrides it")
        if any(_transformers_base(dtype) is not None for dtype in self.dataclass_types):
            self.add_argument(
                "--help-all", action=HelpAllAction, help="show this help and the Trainer's arguments too, then exit"
            )

    def parse_args_and_config(self, args: Sequence[str] | None = None) -> tuple:
        """Parses `args` (default: `sys.argv[1:]`) after applying the defaults from `--config`, if given."""
        args = list(sys.argv[1:] if args is None else args)
        if not asks_for_help(args):
            self._check_known_options(args)
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
        known = {action.dest: action for action in self._actions if action.dest != argparse.SUPPRESS}
        unknown = sorted(set(values) - set(known))
        if unknown:
            hints = []
            for key in unknown:
                match = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.6)
                if match:
                    hints.append(f"{key}: did you mean {match[0]}?")
            hint = f" ({' '.join(hints)})" if hints else ""
            raise ValueError(f"--config {path}: unknown arguments {unknown}{hint}; see --help for the arguments.")
        for key, value in values.items():
            _check_config_value(path, known[key], value)
            known[key].required = False  # given in the file, so no longer required on the command line
        self.set_defaults(**values)

    def _help_sections(self) -> tuple[list[tuple[str, str | None, list[argparse.Action]]], str | None, list]:
        """`(title, description, actions)` per dataclass of the recipe's own (the Trainer's own fields excluded),
        then the general options; the Trainer's arguments, titled by the transformers class they come from."""
        trainer_base = None
        owner: dict[str, type] = {}
        for dtype in self.dataclass_types:
            base = _transformers_base(dtype)
            base_fields = {f.name for f in dataclasses.fields(base)} if base is not None else set()
            trainer_base = trainer_base or base
            for f in dataclasses.fields(dtype):
                if f.init and f.name not in base_fields:
                    owner[f.name] = dtype
        sections, placed = [], set()
        for dtype in self.dataclass_types:
            actions = [a for a in self._actions if owner.get(a.dest) is dtype]
            if actions:
                sections.append((dtype.__name__, _summary(dtype), actions))
                placed.update(id(a) for a in actions)
        known_dests = {f.name for dtype in self.dataclass_types for f in dataclasses.fields(dtype)}
        general = [a for a in self._actions if id(a) not in placed and a.dest not in known_dests]
        sections.append(("General options", "Every --name_with_underscores is also --name-with-hyphens.", general))
        if trainer_base is None:
            return sections, None, []
        return (
            sections,
            f"Trainer arguments (transformers.{trainer_base.__name__})",
            self._trainer_actions(trainer_base),
        )

    def _trainer_actions(self, trainer_base: type) -> list[argparse.Action]:
        names = {f.name for f in dataclasses.fields(trainer_base) if f.init}
        # The `--no_<flag>` complement of a boolean shares its dest: list the flag once.
        seen, actions = set(), []
        for action in self._actions:
            if action.dest in names and action.dest not in seen:
                seen.add(action.dest)
                actions.append(action)
        return actions


def _transformers_base(dtype: type) -> type | None:
    """The most derived transformers class a dataclass inherits its fields from (`TrainingArguments`, ...)."""
    for klass in dtype.__mro__:
        if klass.__module__.split(".")[0] == "transformers" and dataclasses.is_dataclass(klass):
            return klass
    return None


def _summary(dtype: type) -> str | None:
    """The first paragraph of a dataclass's docstring (not the signature `dataclass` writes when it has none)."""
    doc = (dtype.__doc__ or "").strip()
    if not doc or doc.startswith(f"{dtype.__name__}("):
        return None
    return " ".join(doc.split("\n\n", 1)[0].split())


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
