"""Help and usage errors sized for a person, for any `argparse` parser of the recipes' shape.

`ReadableHelpMixin` holds what `RecipeParser` (the dataclass parser) and `IndexedCommandParser` (its mirror built
from the stored argument index, which answers `--help` without importing transformers) share: the help with the
command's own arguments first and the Trainer's grouped by topic, a short usage line, and the check that names an
unknown option with the closest valid one. It imports nothing beyond the standard library.
"""

from __future__ import annotations

import argparse
import difflib
import shutil
import sys
import textwrap


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


class CompactHelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
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


class HelpAllAction(argparse.Action):
    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        parser._print_message(parser.format_help(all_arguments=True), sys.stdout)
        parser.exit()


class ReadableHelpMixin:
    """Short usage, help with the command's own arguments first, errors in a few lines, unknown options named.

    Mixed into an `argparse.ArgumentParser` subclass that implements `_help_sections()`.
    """

    def _help_sections(self) -> tuple[list[tuple[str, str | None, list[argparse.Action]]], str | None, list]:
        """`(title, description, actions)` per section of the command's own arguments (the general options last);
        the title of the Trainer's arguments and those arguments (`None, []` when it has none)."""
        raise NotImplementedError

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
        own, trainer_title, trainer = self._help_sections()
        formatter = self._get_formatter()
        width = _terminal_width() - 4  # the formatter indents a section's text by 2
        if self.description:
            formatter.add_text(self.description)
        for title, description, actions in own:
            formatter.start_section(title)
            formatter.add_text(textwrap.fill(description, width) if description else None)
            formatter.add_arguments(actions)
            formatter.end_section()
        if trainer:
            formatter.start_section(trainer_title)
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


def asks_for_help(args: list[str]) -> bool:
    return any(arg in ("-h", "--help", "--help-all") for arg in _before_separator(args))


def _unknown_with_values(args: list[str], parser: ReadableHelpMixin) -> list[str]:
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
