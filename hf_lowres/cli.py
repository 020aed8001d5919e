"""The `hf-lowres` command: `hf-lowres <command> [--config file.yaml] [arguments]`.

Nothing heavy is imported before a command is chosen and its arguments parse: `hf-lowres --help` imports neither
torch nor transformers, a command's `--help` and usage errors are answered from the argument index
(`hf_lowres/cli_index.py`) without importing the command, and a command imports its own module only (see
`hf_lowres/__init__.py` for the package).
"""

from __future__ import annotations

import importlib
import sys

from . import cli_index


# Recipe name -> one-line description; each is `recipes/<name>.py` with `make_parser()`, `check_inputs(*arguments)`
# (reads and checks every data file, loads no model) and `main(*arguments, inputs=...)`.
RECIPES = {
    "adapt_language": "train a language adapter with masked or causal LM (optional adversarial and alignment losses)",
    "train_task": "train a task adapter on source-language labels, then evaluate zero-shot on every target language",
    "back_translate": "turn monolingual text into a synthetic parallel corpus with a translation model",
    "train_translation": "fine-tune a seq2seq model with LoRA on real + back-translated pairs (BLEU/chrF)",
    "train_instructions": "instruction-tune a decoder LLM with a LoRA adapter on templated multilingual tasks",
    "publish": "push adapters, heads and the model card to the Hub",
}
# Other commands: name -> (module with the same three functions, one-line description).
TOOLS = {
    "predict": (
        "hf_lowres.prediction",
        "label a CSV, JSONL or text file with a saved task adapter set (scored per language when it has labels)",
    ),
}
# Commands with sub-commands of their own (plain argparse, no dataclasses): name -> (module with
# `command_main(argv, prog)`, one-line description).
COMMAND_GROUPS = {
    "models": (
        "hf_lowres.pretrained",
        "list the real models pip installs; `models materialize NAME` builds one for --model_name_or_path",
    ),
}


def _usage() -> str:
    width = max(len(name) for name in [*RECIPES, *TOOLS, *COMMAND_GROUPS])
    lines = ["usage: hf-lowres <command> [--config file.yaml] [arguments]", "", "recipes:"]
    lines += [f"  {name:<{width}}  {description}" for name, description in RECIPES.items()]
    lines += ["", "other commands:"]
    lines += [
        f"  {name:<{width}}  {description}" for name, (_, description) in [*TOOLS.items(), *COMMAND_GROUPS.items()]
    ]
    lines += [
        "",
        "`hf-lowres <command> --help` lists a command's own arguments; `--help-all` adds the Trainer's.",
    ]
    return "\n".join(lines)


# The commands whose parser the argument index stores.
COMMAND_PARSERS = [*RECIPES, *TOOLS]


def _module_of(name: str) -> str:
    return TOOLS[name][0] if name in TOOLS else f"hf_lowres.recipes.{name}"


def command_parser(name: str):
    """The full parser of command `name` (imports the command), described by its module's docstring."""
    command = importlib.import_module(_module_of(name))
    parser = command.make_parser()
    if parser.description is None and command.__doc__:
        parser.description = command.__doc__.strip()
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage())
        return 0
    name, rest = argv[0], argv[1:]
    if name in COMMAND_GROUPS:
        return importlib.import_module(COMMAND_GROUPS[name][0]).command_main(rest, prog=f"hf-lowres {name}")
    if name not in RECIPES and name not in TOOLS:
        print(f"hf-lowres: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2

    quick = cli_index.indexed_parser(name, prog=f"hf-lowres {name}")
    if quick is not None:
        quick.check(rest)  # `--help` and usage errors end here, in a fraction of a second
    command = importlib.import_module(_module_of(name))
    parser = command_parser(name)
    parser.prog = f"hf-lowres {name}"
    # User errors end here, as `error: ...` and exit status 2, before any model loads: a bad argument (its
    # dataclass's `__post_init__`), a bad `--config`, then a missing or malformed data file or path (the command's
    # `check_inputs` reads every one). An exception raised later is a bug, and keeps its traceback, unless it is an
    # `InputError` (a command that can only check an input once its model is loaded, e.g. a Hub repo, raises one).
    try:
        arguments = parser.parse_args_and_config(rest)
    except (ValueError, OSError) as error:
        parser.error(str(error))
    import hf_lowres
    from hf_lowres.training.input_checks import InputError

    hf_lowres._import_api()  # the models and their Auto class registration, which `--help` did not need
    try:
        inputs = command.check_inputs(*arguments)
        command.main(*arguments, inputs=inputs)
    except InputError as error:
        parser.input_error(str(error))
    return 0


if __name__ == "__main__":
    sys.exit(main())
