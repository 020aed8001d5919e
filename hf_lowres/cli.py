"""The `hf-lowres` command: `hf-lowres <recipe> [--config file.yaml] [arguments]`."""

from __future__ import annotations

import importlib
import sys


# Recipe name -> one-line description; each is `recipes/<name>.py` with `make_parser()`, `check_inputs(*arguments)`
# (reads and checks every data file, loads no model) and `main(*arguments, inputs=...)`.
RECIPES = {
    "adapt_language": "train a language adapter with masked LM (optionally adversarial and alignment losses)",
    "train_task": "train a task adapter on source-language labels, then evaluate zero-shot on every target language",
    "back_translate": "turn monolingual text into a synthetic parallel corpus with a translation model",
    "train_translation": "fine-tune a seq2seq model with LoRA on real + back-translated pairs (BLEU/chrF)",
    "publish": "push adapters, heads and the model card to the Hub",
}


def _usage() -> str:
    width = max(len(name) for name in RECIPES)
    lines = ["usage: hf-lowres <recipe> [--config file.yaml] [arguments]", "", "recipes:"]
    lines += [f"  {name:<{width}}  {description}" for name, description in RECIPES.items()]
    lines += ["", "`hf-lowres <recipe> --help` lists a recipe's arguments."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage())
        return 0
    name, rest = argv[0], argv[1:]
    if name not in RECIPES:
        print(f"hf-lowres: unknown recipe {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    from hf_lowres.training.input_checks import InputError

    recipe = importlib.import_module(f"hf_lowres.recipes.{name}")
    parser = recipe.make_parser()
    parser.prog = f"hf-lowres {name}"
    # User errors end here, as `error: ...` and exit status 2, before any model loads: a bad argument (its
    # dataclass's `__post_init__`), a bad `--config`, then a missing or malformed data file or path (the recipe's
    # `check_inputs` reads every one). An exception raised later is a bug, and keeps its traceback.
    try:
        arguments = parser.parse_args_and_config(rest)
    except (ValueError, OSError) as error:
        parser.error(str(error))
    try:
        inputs = recipe.check_inputs(*arguments)
    except InputError as error:
        parser.error(str(error))
    recipe.main(*arguments, inputs=inputs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
