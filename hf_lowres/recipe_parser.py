"""Argument parsing for the recipes: dataclasses on the command line, in a YAML file, or both."""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import os
import shutil
import sys
import textwrap
from collections.abc import Sequence

import yaml
from transformers import HfArgumentParser


# The Trainer's arguments by topic, for `--help-all`: an argument goes to the first topic one of whose prefixes its
# name starts with, else to "Other".
TRAINER_TOPICS = {
    "Steps, batches and optimizer": (
        "per_device_train_batch_size", "num_train_epochs", "max_steps", "learning_rate", "lr_scheduler", "warmup",
        "optim", "weight_decay", "adam_", "gradient_accumulation", "average_tokens", "max_grad_norm",
        "label_smoothing", "neftune", "auto_find_batch_size",
    ),
    "Evaluation": (
        "eval_", "per_device_eval", "prediction_loss_only", "include_for_metrics", "batch_eval_metrics",
        "load_best_model_at_end", "metric_for_best_model", "greater_is_better", "do_eval", "do_predict",
        "predict_with_generate", "generation_",
    ),
    "Saving and resuming": (
        "output_dir", "overwrite_output_dir", "save_", "enable_jit_checkpoint", "resume_from_checkpoint",
        "ignore_data_skip", "restore_callback_states",
    ),
    "Logging": (
        "logging_", "log_", "include_num_input_tokens_seen", "disable_tqdm", "report_to", "run_name", "project",
        "trackio_", "skip_memory_metrics", "debug",
    ),
    "Hub": ("push_to_hub", "hub_"),
    "Precision, memory and speed": (
        "bf16", "fp16", "tf32", "activation_checkpointing", "gradient_checkpointing", "torch_compile", "liger_kernel",
        "use_liger_kernel", "use_cache", "torch_empty_cache_steps",
    ),
    "Data loading and seeds": (
        "dataloader_", "remove_unused_columns", "label_names", "train_sampling_strategy", "length_column_name",
        "group_by_length", "seed", "data_seed", "full_determinism",
    ),
    "Devices and distributed training": (
        "use_cpu", "accelerator_config", "parallelism_config", "ddp_", "fsdp", "deepspeed", "local_rank", "do_train",
    ),
}  # fmt: skip
# Shown by name in `--help`, which does not list the Trainer's arguments.
COMMON_TRAINER_ARGUMENTS = (
    "--output_dir", "--learning_rate", "--num_train_epochs", "--max_steps", "--per_device_train_batch_size",
    "--seed", "--use_cpu",
)  # fmt: skip
_MAX_WIDTH = 119


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """One entry per argument under its canonical name (`--max_length INT`, not also `--max-length MAX_LENGTH`),
    its help beside it, the default after the help unless it is None; descriptions (a recipe's docstring, with its
    example) kept as written."""

    def __init__(self, prog, indent_increment=2, max_help_position=38, width=None, **kwargs):
        super().__init__(prog, indent_increment, max_help_position, width or _terminal_width(), **kwargs)

    def _format_action_invocation(self, action):
        if not action.option_strings:
            return super()._format_action_invocation(action)
        names = [name for name in action.option_strings if not _is_hyphen_alias(name, action.option_strings)]
        if action.nargs == 0:
            return ", ".join(names)
        return f"{', '.join(names)} {_metavar(action)}"

    def _get_help_string(self, action):
        if isinstance(action, argparse._StoreFalseAction) and action.option_strings[0] == f"--no_{action.dest}":
            return f"same as --{action.dest} false"
        if action.default in (None, [], argparse.SUPPRESS) or action.nargs == 0:
            return action.help
        return super()._get_help_string(action)


def _is_hyphen_alias(name: str, names: list[str]) -> bool:
    """`--max-length` beside `--max_length`: HfArgumentParser adds the hyphenated spelling of every argument."""
    return name.startswith("--") and "-" in name[2:] and "--" + name[2:].replace("-", "_") in names


def _metavar(action: argparse.Action, compact: bool = False) -> str:
    if action.choices is not None:
        value = "{" + ",".join(map(str, action.choices)) + "}"
        if compact and len(value) > 24:
            value = "CHOICE"
    else:
        value = {int: "INT", float: "FLOAT"}.get(action.type, "VALUE")
        if getattr(action.type, "__name__", "") == "string_to_bool":
            value = "BOOL"
    if action.nargs == "?":
        return f"[{value}]"
    if action.nargs in ("+", "*") or isinstance(action.nargs, int):
        return f"{value} [...]"
    return value


class _HelpAllAction(argparse.Action):
    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        parser._print_message(parser.format_help(all_arguments=True), sys.stdout)
        parser.exit()


class RecipeParser(HfArgumentParser):
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
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(dataclass_types, **kwargs)
        self.add_argument("--config", default=None, help="a YAML file of arguments; the command line overrides it")
        if any(_transformers_base(dtype) is not None for dtype in self.dataclass_types):
            self.add_argument(
                "--help-all", action=_HelpAllAction, help="show this help and the Trainer's arguments too, then exit"
            )

    def parse_args_and_config(self, args: Sequence[str] | None = None) -> tuple:
        """Parses `args` (default: `sys.argv[1:]`) after applying the defaults from `--config`, if given."""
        args = list(sys.argv[1:] if args is None else args)
        if not _asks_for_help(args):
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

    def _check_known_options(self, args: list[str]) -> None:
        """Refuses an option that no argument has, naming the closest valid one.

        Done before argparse parses: argparse reports a missing required argument first, and a misspelt required
        argument (`--modle_name_or_path`) would then read as "required argument missing", without the typo.
        """
        unknown = [
            name
            for name in (arg.split("=", 1)[0] for arg in _before_separator(args) if self._looks_like_option(arg))
            if name not in self._option_string_actions
        ]
        if not unknown:
            return
        listed = _unknown_with_values(args, self)
        hints = []
        for name in unknown:
            match = difflib.get_close_matches(name, list(self._option_string_actions), n=1, cutoff=0.6)
            hint = f"{name} is not an argument"
            hints.append(f"{hint}; did you mean {match[0]}?" if match else f"{hint}.")
        raise ValueError(f"unknown arguments {listed}: {' '.join(hints)}")

    def _looks_like_option(self, arg: str) -> bool:
        """Whether argparse would read `arg` as an option string rather than a value."""
        if not arg.startswith("-") or arg == "-" or " " in arg:
            return False
        return not self._negative_number_matcher.match(arg)

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

    # ------------------------------------------------------------------------------------------- help and usage
    def format_usage(self) -> str:
        """One short usage line (wrapped): the required arguments, then `[options]`."""
        units = [self.prog]
        for action in self._actions:
            if action.required and action.option_strings:
                many = action.nargs in ("+", "*") or (isinstance(action.nargs, int) and action.nargs > 1)
                units.append(f"{action.option_strings[0]} VALUE{' [...]' if many else ''}")
        units.append("[options]")
        return _wrap("usage: ", units, _terminal_width()) + "\n"

    def format_help(self, all_arguments: bool = False) -> str:
        """The recipe's own arguments, then the general options; the Trainer's arguments only with `all_arguments`
        (`--help-all`), else a note saying how many there are and how to list them."""
        own, trainer_base = self._argument_sections()
        formatter = self._get_formatter()
        width = _terminal_width() - 4  # the formatter indents a section's text by 2
        if self.description:
            formatter.add_text(self.description)
        for title, description, actions in own:
            formatter.start_section(title)
            formatter.add_text(textwrap.fill(description, width) if description else None)
            formatter.add_arguments(actions)
            formatter.end_section()
        trainer = self._trainer_actions(trainer_base)
        if trainer:
            formatter.start_section(f"Trainer arguments (transformers.{trainer_base.__name__})")
            if all_arguments:
                formatter.add_text(
                    textwrap.fill(
                        "One line each, grouped by topic; the documentation of TrainingArguments has more.", width
                    )
                )
            else:
                common = [name for name in COMMON_TRAINER_ARGUMENTS if name in self._option_string_actions]
                note = f"{len(trainer)} more, not listed here (among them {', '.join(common)}). To list them by topic:"
                formatter.add_text(f"{textwrap.fill(note, width, break_on_hyphens=False)}\n  {self.prog} --help-all")
            formatter.end_section()
        if self.epilog:
            formatter.add_text(self.epilog)
        text = self.format_usage() + "\n" + formatter.format_help()
        if trainer and all_arguments:
            text = text.rstrip("\n") + "\n" + _compact_listing(trainer, _terminal_width()) + "\n"
        return text

    def _argument_sections(self) -> tuple[list[tuple[str, str | None, list[argparse.Action]]], type | None]:
        """`(title, description, actions)` per dataclass of the recipe's own (the Trainer's own fields excluded),
        then the general options; and the transformers class the Trainer's arguments come from, if any."""
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
        return sections, trainer_base

    def _trainer_actions(self, trainer_base: type | None) -> list[argparse.Action]:
        if trainer_base is None:
            return []
        names = {f.name for f in dataclasses.fields(trainer_base) if f.init}
        # The `--no_<flag>` complement of a boolean shares its dest: list the flag once.
        seen, actions = set(), []
        for action in self._actions:
            if action.dest in names and action.dest not in seen:
                seen.add(action.dest)
                actions.append(action)
        return actions

    # ----------------------------------------------------------------------------------------------- errors
    def error(self, message: str):
        """Exits with status 2 after the short usage line and one line naming the error (argparse's default prints
        the whole usage first: 160 lines with `TrainingArguments`)."""
        self.exit(2, f"{self.format_usage()}{self.prog}: error: {message}\n{self._help_hint()}\n")

    def input_error(self, message: str):
        """Exits with status 2 after the error alone: the arguments parsed, a file or path they name is wrong."""
        self.exit(2, f"{self.prog}: error: {message}\n{self._help_hint()}\n")

    def _help_hint(self) -> str:
        return f"(`{self.prog} --help` lists the arguments.)"


def _before_separator(args: list[str]) -> list[str]:
    """The arguments before `--` (after it, argparse reads everything as values)."""
    return args[: args.index("--")] if "--" in args else args


def _asks_for_help(args: list[str]) -> bool:
    return any(arg in ("-h", "--help", "--help-all") for arg in _before_separator(args))


def _unknown_with_values(args: list[str], parser: RecipeParser) -> list[str]:
    """The unknown options with the values that follow them, as argparse would leave them unparsed."""
    listed, inside = [], False
    for arg in _before_separator(args):
        if parser._looks_like_option(arg):
            inside = arg.split("=", 1)[0] not in parser._option_string_actions
            if inside:
                listed.append(arg)
        elif inside:
            listed.append(arg)
    return listed


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


def _terminal_width() -> int:
    return max(60, min(_MAX_WIDTH, shutil.get_terminal_size().columns - 2))


def _wrap(prefix: str, units: list[str], width: int) -> str:
    """`units` joined by spaces after `prefix`, wrapped at `width` without splitting a unit."""
    lines, line = [], prefix
    for unit in units:
        if line.strip() and len(line) + 1 + len(unit) > width and line != prefix:
            lines.append(line)
            line = " " * len(prefix) + unit
        else:
            line = f"{line}{'' if line == prefix else ' '}{unit}"
    lines.append(line)
    return "\n".join(lines)


def _compact_listing(actions: list[argparse.Action], width: int) -> str:
    """One line per argument (`--name TYPE  (default) first sentence of the help`), grouped by `TRAINER_TOPICS`;
    a help text longer than the line is cut (`…`)."""
    groups: dict[str, list[argparse.Action]] = {topic: [] for topic in [*TRAINER_TOPICS, "Other"]}
    for action in actions:
        topic = next((t for t, prefixes in TRAINER_TOPICS.items() if action.dest.startswith(prefixes)), "Other")
        groups[topic].append(action)
    invocations = {id(action): f"{action.option_strings[0]} {_metavar(action, compact=True)}" for action in actions}
    name_width = min(34, max(len(invocation) for invocation in invocations.values()))
    lines = []
    for topic, members in groups.items():
        if not members:
            continue
        lines += ["", f"  {topic}:"]
        for action in members:
            default = action.default
            shown = default not in (None, "", [], argparse.SUPPRESS) and not isinstance(default, dict)
            text = (f"({default}) " if shown else "") + _first_sentence(action.help or "")
            line = f"    {invocations[id(action)]:<{name_width}}  {text}"
            lines.append(line if len(line) <= width else line[: width - 1].rstrip() + "…")
    return "\n".join(lines)


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    end = text.find(". ")
    return text[: end + 1] if end != -1 else text


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
