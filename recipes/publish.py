"""Push saved adapters, their heads, the discriminator, the composition and the model card to the Hub.

    hf-lowres publish --adapters_dir runs/task/adapters --repo_id me/xlmr-nusax-sentiment [--private] \\
        [--revision dev] [--commit_message "..."]

The token comes from `--token`, `HF_TOKEN` or a stored login; it is never printed. Load the result back with
`hf_lowres.hub.load_adapters_from_hub(repo_id)`.
"""

import logging
from dataclasses import dataclass, field

from hf_lowres.adapters import COMPOSITION_FILE
from hf_lowres.hub import push_adapters_to_hub
from hf_lowres.recipe_parser import RecipeParser
from hf_lowres.training.input_checks import InputChecks, check_directory


@dataclass
class PublishArguments:
    """What to push and where."""

    adapters_dir: str = field(metadata={"help": "A directory written by AdapterManager.save (and a recipe)."})
    repo_id: str = field(metadata={"help": "The model repo, e.g. `me/xlmr-nusax-sentiment`; created when absent."})
    private: bool = field(default=False, metadata={"help": "Create the repo as private."})
    revision: str | None = field(default=None, metadata={"help": "Branch to push to; created when absent."})
    commit_message: str | None = field(default=None, metadata={"help": "The commit message."})
    create_pr: bool = field(default=False, metadata={"help": "Open a pull request instead of committing to main."})
    token: str | None = field(default=None, metadata={"help": "A Hub token (default: HF_TOKEN or a stored login)."})
    overwrite_card: bool = field(
        default=False,
        metadata={"help": "Replace the repo's README.md even if it was edited on the Hub (kept by default)."},
    )


def make_parser() -> RecipeParser:
    return RecipeParser((PublishArguments,))


def check_inputs(args: PublishArguments) -> None:
    """Checks that `--adapters_dir` holds a saved adapter set, before anything reaches the Hub.

    Raises:
        InputError: naming the argument and what is missing.
    """
    checks = InputChecks()
    checks.run("--adapters_dir", check_directory, args.adapters_dir, COMPOSITION_FILE, "adapters saved by a recipe")
    checks.raise_if_any()


def main(args: PublishArguments, inputs: None = None):
    """Pushes the adapters; `inputs` is unused (`check_inputs` returns nothing), accepted as every recipe does."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    check_inputs(args)
    commit = push_adapters_to_hub(
        args.adapters_dir,
        args.repo_id,
        token=args.token,
        private=args.private,
        revision=args.revision,
        commit_message=args.commit_message,
        create_pr=args.create_pr,
        overwrite_card=args.overwrite_card,
    )
    print(f"pushed {args.adapters_dir} to {args.repo_id}: {getattr(commit, 'commit_url', commit)}")
    return commit


if __name__ == "__main__":
    import sys

    from hf_lowres.cli import main as cli_main

    # Through the command's entry point: a bad argument or file is reported as the `hf-lowres` command does.
    sys.exit(cli_main(["publish", *sys.argv[1:]]))
