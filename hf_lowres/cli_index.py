"""The argument index: every command's arguments stored as data, so that `--help` and usage errors come back at once.

A recipe's parser is built from dataclasses that import transformers, torch and the recipe's own dependencies:
seconds of start-up before argparse can say anything. `cli_index.json` stores what those parsers hold (each
argument's names, type, default, help, and the help's sections), and `IndexedCommandParser` rebuilds an
argparse mirror of a parser from it with the standard library alone. The `hf-lowres` command asks the mirror
first: it prints `--help` and `--help-all`, and refuses unknown options, missing required ones and values of the
wrong type with the full parser's exact messages, then hands valid arguments to the full parser.

The index is generated, never edited by hand:

    make cli-index   # = python -m hf_lowres.cli_index, after changing a recipe's arguments

It records the transformers version it was built with: under another version (whose `TrainingArguments` may
differ) it is not used, and the full parser answers as before.
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib import metadata
from pathlib import Path

from .parser_help import CompactHelpFormatter, HelpAllAction, ReadableHelpMixin, asks_for_help


INDEX_FILE = Path(__file__).with_name("cli_index.json")
_TYPES = {"int": int, "float": float}


def string_to_bool(value):
    """The conversion `HfArgumentParser` gives boolean fields (same name: the help shows `BOOL` for it)."""
    if isinstance(value, bool):
        return value
    if value.lower() in ("yes", "true", "t", "y", "1"):
        return True
    if value.lower() in ("no", "false", "f", "n", "0"):
        return False
    raise argparse.ArgumentTypeError(
        f"Truthy value expected: got {value} but expected one of yes/no, true/false, t/f, y/n, 1/0 (case insensitive)."
    )


class IndexedCommandParser(ReadableHelpMixin, argparse.ArgumentParser):
    """The argparse mirror of a command's parser, rebuilt from its entry in the argument index.

    It formats the same help and usage, and refuses the same unknown options, missing arguments and ill-typed
    values, as the parser it was stored from; it does not run the dataclasses' own checks (`__post_init__`) or
    read `--config`, which stay with the full parser.
    """

    def __init__(self, entry: dict, prog: str):
        super().__init__(
            prog=prog,
            description=entry["description"],
            epilog=entry["epilog"],
            formatter_class=CompactHelpFormatter,
            allow_abbrev=False,
            add_help=False,
        )
        for stored in entry["actions"]:
            self._add_stored_action(stored)
        self._sections = [
            (title, description, [self._actions[i] for i in indices])
            for title, description, indices in entry["sections"]
        ]
        self._trainer_title = entry["trainer_title"]
        self._trainer = [self._actions[i] for i in entry["trainer_actions"]]

    def _add_stored_action(self, stored: dict) -> None:
        names, kind = stored["option_strings"], stored["kind"]
        if kind == "help":
            self.add_argument(*names, action="help", help=stored["help"])
        elif kind == "help_all":
            self.add_argument(*names, action=HelpAllAction, help=stored["help"])
        elif kind == "store_false":
            self.add_argument(
                *names, action="store_false", dest=stored["dest"], default=stored["default"], help=stored["help"]
            )
        else:
            kwargs = {"type": string_to_bool if stored["type"] == "bool" else _TYPES.get(stored["type"])}
            if stored["nargs"] is not None:
                kwargs["nargs"] = stored["nargs"]
            if stored["const"] is not None:
                kwargs["const"] = stored["const"]
            if stored["choices"] is not None:
                kwargs["choices"] = stored["choices"]
            self.add_argument(
                *names,
                dest=stored["dest"],
                default=stored["default"],
                required=stored["required"],
                help=stored["help"],
                **kwargs,
            )

    def _help_sections(self):
        return self._sections, self._trainer_title, self._trainer

    def check(self, args: list[str]) -> None:
        """Prints the help and exits for `--help`/`--help-all`; exits with the usage error the full parser would
        give for an unknown option, a missing required argument or a value of the wrong type; else returns."""
        if not asks_for_help(args):
            try:
                self._check_known_options(args)
            except ValueError as error:
                self.error(str(error))
        if "--config" in args or any(arg.startswith("--config=") for arg in args):
            # The file may give the required arguments: the full parser reads it.
            for action in self._actions:
                action.required = False
        _, remaining = self.parse_known_args(args)
        remaining = [arg for arg in remaining if arg]
        if remaining:
            self.error(f"unknown arguments {remaining}; see --help for the arguments this recipe takes.")


def describe_parser(parser: ReadableHelpMixin) -> dict:
    """The index entry of a parser: its actions in order, its help sections and its Trainer arguments by position."""
    position = {id(action): i for i, action in enumerate(parser._actions)}
    sections, trainer_title, trainer = parser._help_sections()
    return {
        "description": parser.description,
        "epilog": parser.epilog,
        "actions": [_describe_action(action) for action in parser._actions],
        "sections": [
            [title, description, [position[id(action)] for action in actions]]
            for title, description, actions in sections
        ],
        "trainer_title": trainer_title,
        "trainer_actions": [position[id(action)] for action in trainer],
    }


def _describe_action(action: argparse.Action) -> dict:
    if isinstance(action, argparse._HelpAction):
        kind = "help"
    elif isinstance(action, HelpAllAction):
        kind = "help_all"
    elif isinstance(action, argparse._StoreFalseAction):
        kind = "store_false"
    elif type(action) is argparse._StoreAction:
        kind = "store"
    else:
        raise TypeError(f"the argument index cannot store {type(action).__name__} ({action.option_strings}).")
    type_name = getattr(action.type, "__name__", None)
    return {
        "option_strings": list(action.option_strings),
        "dest": action.dest,
        "kind": kind,
        "nargs": action.nargs if kind == "store" else None,
        "const": action.const if kind == "store" else None,
        "default": action.default if kind in ("store", "store_false") else None,
        # int, float and bool are checked by the mirror; other conversions (enums, dicts) by the full parser.
        "type": {"int": "int", "float": "float", "string_to_bool": "bool"}.get(type_name),
        "choices": [str(choice) for choice in action.choices] if action.choices is not None else None,
        "required": action.required,
        "help": action.help,
    }


def build_index() -> dict:
    """Imports every command and stores its parser (the import is the slow part this index spares the CLI)."""
    from .cli import COMMAND_PARSERS, command_parser

    return {
        "transformers": metadata.version("transformers"),
        "commands": {name: describe_parser(command_parser(name)) for name in COMMAND_PARSERS},
    }


def indexed_parser(name: str, prog: str, index_file: Path = INDEX_FILE) -> IndexedCommandParser | None:
    """The mirror of command `name`'s parser, or None when the index lacks it, is missing, or was built with
    another transformers version."""
    try:
        index = json.loads(index_file.read_text(encoding="utf-8"))
        version = metadata.version("transformers")
    except (OSError, ValueError, metadata.PackageNotFoundError):
        return None
    if index.get("transformers") != version or name not in index.get("commands", {}):
        return None
    return IndexedCommandParser(index["commands"][name], prog=prog)


def write_index(index_file: Path = INDEX_FILE) -> None:
    index_file.write_text(json.dumps(build_index(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else INDEX_FILE
    write_index(target)
    print(f"wrote {target}")
