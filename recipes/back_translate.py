"""Monolingual text -> a synthetic parallel corpus (back-translation), filtered, saved and optionally pushed.

    hf-lowres back_translate --model_name_or_path Helsinki-NLP/opus-mt-jv-id --monolingual_file jav.txt \\
        --target_lang jav --source_lang ind --output_dir bt-jav-ind [--push_to_hub --hub_repo_id me/bt-jav-ind]

The model translates the monolingual `target_lang` text into `source_lang`; the pairs then train a
`source_lang` -> `target_lang` system (Sennrich et al., 2016). Re-running the same command resumes an
interrupted generation from its shards.
"""

import logging
import os
from dataclasses import dataclass, field


os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from datasets import Dataset  # noqa: E402
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer  # noqa: E402

from hf_lowres.data import (  # noqa: E402
    BackTranslationConfig,
    BackTranslator,
    CopyFilter,
    DuplicateFilter,
    EmptyFilter,
    LengthRatioFilter,
    filter_corpus,
    push_corpus_to_hub,
)
from hf_lowres.recipe_parser import RecipeParser  # noqa: E402
from hf_lowres.training.data_preparation import load_monolingual_text  # noqa: E402
from hf_lowres.training.input_checks import InputChecks, check_model_path, check_range  # noqa: E402


logger = logging.getLogger(__name__)


@dataclass
class BackTranslateArguments:
    """What to translate, where to write it, and whether to push it."""

    model_name_or_path: str = field(metadata={"help": "A seq2seq translation model (Hub id or local directory)."})
    monolingual_file: str = field(metadata={"help": "Monolingual text: .txt (one sentence a line), csv, jsonl..."})
    output_dir: str = field(metadata={"help": "Where the shards and the final corpus (`corpus/`) are written."})
    monolingual_column: str | None = field(default=None, metadata={"help": "Text column of a csv/jsonl file."})
    max_sentences: int | None = field(default=None, metadata={"help": "Translate only the first N sentences."})
    filter_max_length_ratio: float = field(
        default=2.0, metadata={"help": "Drop pairs whose length ratio exceeds this."}
    )
    filter_copy_threshold: float = field(default=0.9, metadata={"help": "Drop outputs this similar to their input."})
    push_to_hub: bool = field(default=False, metadata={"help": "Push the corpus to a Hub dataset repo."})
    hub_repo_id: str | None = field(default=None, metadata={"help": "The dataset repo, e.g. `me/bt-jav-ind`."})
    hub_private: bool = field(default=False, metadata={"help": "Create the dataset repo as private."})
    license: str = field(default="unknown", metadata={"help": "License recorded in the dataset card."})

    def __post_init__(self):
        if self.push_to_hub and not self.hub_repo_id:
            raise ValueError("--push_to_hub needs --hub_repo_id.")
        check_range("max_sentences", self.max_sentences, minimum=1, integer=True, allow_none=True)
        # A length ratio is max(len) / min(len) >= 1: a maximum below 1 would drop every pair.
        check_range("filter_max_length_ratio", self.filter_max_length_ratio, minimum=1)
        check_range("filter_copy_threshold", self.filter_copy_threshold, minimum=0, maximum=1, exclusive_minimum=True)


def make_parser() -> RecipeParser:
    return RecipeParser((BackTranslateArguments, BackTranslationConfig))


def check_inputs(script_args: BackTranslateArguments, generation_config: BackTranslationConfig) -> Dataset:
    """Reads and checks the monolingual text (capped) and the paths of the run, loading no model (nor tokenizer).

    Raises:
        InputError: listing every problem found, each under its argument.
    """
    checks = InputChecks()
    monolingual = checks.run("--monolingual_file", load_monolingual_text, script_args.monolingual_file,
                             generation_config.target_lang, script_args.monolingual_column)  # fmt: skip
    if monolingual is not None and script_args.max_sentences is not None:
        monolingual = monolingual.select(range(min(script_args.max_sentences, len(monolingual))))
    checks.require(not os.path.isfile(script_args.output_dir), "--output_dir",
                   f"{script_args.output_dir} is a file; expected a directory (created when absent).")  # fmt: skip
    checks.run("--model_name_or_path", check_model_path, script_args.model_name_or_path)
    checks.raise_if_any()
    return monolingual


def main(script_args: BackTranslateArguments, generation_config: BackTranslationConfig, inputs: Dataset | None = None):
    """Runs the recipe; `inputs` (the monolingual text) is `check_inputs`' result when the caller already read it."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    monolingual = check_inputs(script_args, generation_config) if inputs is None else inputs
    tokenizer = AutoTokenizer.from_pretrained(script_args.model_name_or_path)
    model = AutoModelForSeq2SeqLM.from_pretrained(script_args.model_name_or_path)
    if generation_config.model_name is None:
        generation_config.model_name = script_args.model_name_or_path

    translator = BackTranslator(model, tokenizer, generation_config)
    synthetic = translator.generate(monolingual, output_dir=os.path.join(script_args.output_dir, "shards"))
    corpus, report = filter_corpus(
        synthetic,
        [
            EmptyFilter(),
            DuplicateFilter(),
            CopyFilter(threshold=script_args.filter_copy_threshold),
            LengthRatioFilter(max_ratio=script_args.filter_max_length_ratio),
        ],
    )
    corpus.save_to_disk(os.path.join(script_args.output_dir, "corpus"))
    logger.info("%d synthetic pairs kept of %d; %s", len(corpus), len(synthetic), report)
    if script_args.push_to_hub:
        push_corpus_to_hub(
            corpus, script_args.hub_repo_id, private=script_args.hub_private, license=script_args.license
        )
    return corpus, report


if __name__ == "__main__":
    import sys

    from hf_lowres.cli import main as cli_main

    # Through the command's entry point: a bad argument or file is reported as the `hf-lowres` command does.
    sys.exit(cli_main(["back_translate", *sys.argv[1:]]))
