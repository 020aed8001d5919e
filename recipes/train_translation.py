"""Fine-tune a seq2seq model with a LoRA adapter on real + back-translated pairs; BLEU and chrF per direction.

    hf-lowres train_translation --model_name_or_path Helsinki-NLP/opus-mt-en-id --source_lang eng \\
        --target_lang jav --train_file nusax/mt/train.csv --test_file nusax/mt/test.csv \\
        [--synthetic_corpus bt-jav-eng/corpus --synthetic_ratio 1.0 --tag_synthetic] --output_dir runs/mt

Back-translated pairs (from the back_translate recipe) are mixed with the real ones in `--synthetic_ratio`,
optionally tagged (Caswell et al., 2019). `--both_directions` trains and evaluates target -> source too. On a
checkpoint from `hf_lowres.models.warm_start_encoder_decoder` (BERT2BERT), the modules its `warm_start.json` names
as new (the decoder's cross-attention) train in full beside LoRA (`--fully_trained_modules` overrides them).
Writes `<output_dir>/results.{md,json}` and the adapter with its card under `<output_dir>/adapters`.
"""

import logging
import os
import re
from dataclasses import dataclass, field

import torch
from datasets import Dataset, concatenate_datasets
from transformers import AutoTokenizer, DataCollatorForSeq2Seq

from hf_lowres import LowResForSeq2SeqLM
from hf_lowres.adapters import AdapterManager
from hf_lowres.data import mix_corpora
from hf_lowres.evaluation import PerLanguageReport, evaluate_per_language
from hf_lowres.hub import (
    DatasetSummary,
    TrainingSummary,
    push_adapters_to_hub,
    results_from_report,
    write_model_card,
)
from hf_lowres.models import warm_start_new_modules
from hf_lowres.recipe_parser import RecipeParser
from hf_lowres.training import (
    CrossLingualTrainer,
    CrossLingualTrainingArguments,
    tokenize_translation,
)
from hf_lowres.training.data_preparation import load_parallel_pairs, load_saved_corpus
from hf_lowres.training.input_checks import InputChecks, check_model_path, check_range, check_training_inputs


logger = logging.getLogger(__name__)


@dataclass
class TrainTranslationArguments:
    """The seq2seq backbone, the real and synthetic pairs, and the test pairs."""

    model_name_or_path: str = field(metadata={"help": "A seq2seq checkpoint (Marian, mT5, mBART, NLLB...)."})
    source_lang: str = field(metadata={"help": "Source language code."})
    target_lang: str = field(metadata={"help": "Target language code."})
    train_file: str = field(metadata={"help": "Real pairs: a multi-way csv/tsv, a saved corpus, or a repo."})
    test_file: str = field(metadata={"help": "Test pairs, in the same forms."})
    synthetic_corpus: str | None = field(default=None, metadata={"help": "Back-translated pairs (a saved corpus)."})
    synthetic_ratio: float = field(default=1.0, metadata={"help": "Synthetic pairs per real pair in the mix."})
    tag_synthetic: bool = field(default=False, metadata={"help": "Prefix synthetic sources with the <BT> tag."})
    both_directions: bool = field(default=False, metadata={"help": "Also train and evaluate target -> source."})
    max_train_samples: int | None = field(default=None, metadata={"help": "Use only the first N real pairs."})
    max_test_samples: int | None = field(default=None, metadata={"help": "Use only the first N test pairs."})
    max_length: int = field(default=128, metadata={"help": "Truncate sentences to this many tokens."})
    num_beams: int = field(default=4, metadata={"help": "Beam size for the test translations."})
    max_new_tokens: int = field(default=128, metadata={"help": "Longest test translation."})
    lora_r: int = field(default=16, metadata={"help": "LoRA rank."})
    lora_alpha: int = field(default=32, metadata={"help": "LoRA alpha."})
    lora_target_modules: list[str] | None = field(
        default=None,
        metadata={"help": "Linear layers LoRA adapts, by leaf name (default: the family's query and value)."},
    )
    fully_trained_modules: list[str] | None = field(
        default=None,
        metadata={
            "help": "Modules trained in full beside LoRA (name or path suffix, e.g. crossattention); default: "
            "the new modules a warm-started checkpoint's warm_start.json names, else none."
        },
    )
    license: str = field(default="unknown", metadata={"help": "License recorded in the model card."})

    def __post_init__(self):
        if self.source_lang == self.target_lang:
            raise ValueError(f"`source_lang` and `target_lang` are both {self.source_lang!r}; expected two languages.")
        check_range("synthetic_ratio", self.synthetic_ratio, minimum=0)
        for name in ("max_train_samples", "max_test_samples"):
            check_range(name, getattr(self, name), minimum=1, integer=True, allow_none=True)
        for name in ("max_length", "num_beams", "max_new_tokens", "lora_r", "lora_alpha"):
            check_range(name, getattr(self, name), minimum=1, integer=True)


@dataclass
class TrainTranslationInputs:
    """The data of a run, read and checked (not tokenized yet): the training mix and the test pairs per direction."""

    train_pairs: Dataset
    test_sets: dict[str, Dataset]


def make_parser() -> RecipeParser:
    return RecipeParser((TrainTranslationArguments, CrossLingualTrainingArguments))


def _directions(args: TrainTranslationArguments) -> list[tuple[str, str]]:
    forward = (args.source_lang, args.target_lang)
    return [forward, forward[::-1]] if args.both_directions else [forward]


def _swap(corpus: Dataset) -> Dataset:
    return corpus.rename_columns(
        {"source_text": "target_text", "target_text": "source_text", "source_lang": "target_lang",
         "target_lang": "source_lang"}
    )  # fmt: skip


def _capped(dataset: Dataset, limit: int | None) -> Dataset:
    return dataset if limit is None else dataset.select(range(min(limit, len(dataset))))


def mix_training_pairs(args: TrainTranslationArguments, real: Dataset, synthetic: Dataset | None) -> Dataset:
    """Real pairs (capped), mixed with the synthetic ones when given, in every trained direction."""
    pairs = _capped(real, args.max_train_samples)
    if synthetic is not None:
        tag = "<BT>" if args.tag_synthetic else None
        pairs = mix_corpora(pairs, synthetic, synthetic_ratio=args.synthetic_ratio, tag=tag)
    if args.both_directions:
        pairs = concatenate_datasets([pairs, _swap(pairs)])
    return pairs


def task_adapter_settings(args: TrainTranslationArguments) -> dict:
    """The translation adapter's LoRA settings: rank, alpha, target modules, and the modules trained in full.

    A checkpoint from `warm_start_encoder_decoder` has new modules (the decoder's cross-attention): unless
    `--fully_trained_modules` says otherwise, they train in full (PEFT `modules_to_save`, saved with the adapter) and
    LoRA stays out of them.
    """
    settings = {"r": args.lora_r, "lora_alpha": args.lora_alpha}
    if args.lora_target_modules:
        settings["target_modules"] = list(args.lora_target_modules)
    full = args.fully_trained_modules
    if full is None:
        full = warm_start_new_modules(args.model_name_or_path) or []
        if full:
            logger.info("training the %d new modules of the warm-started %s in full: %s",
                        len(full), args.model_name_or_path, ", ".join(full))  # fmt: skip
    if full:
        settings["modules_to_save"] = list(full)
        inside = "|".join(re.escape(name) for name in full)
        settings["exclude_modules"] = rf"(?:.*\.)?(?:{inside})(?:\..*)?"
    return settings


def check_inputs(
    script_args: TrainTranslationArguments, training_args: CrossLingualTrainingArguments
) -> TrainTranslationInputs:
    """Reads and checks the real, synthetic and test pairs and the paths of the run, loading no model (nor
    tokenizer).

    Raises:
        InputError: listing every problem found, each under its argument.
    """
    checks = InputChecks()
    source, target = script_args.source_lang, script_args.target_lang
    real = checks.run("--train_file", load_parallel_pairs, script_args.train_file, source, target)
    synthetic = None
    if script_args.synthetic_corpus:
        synthetic = checks.run("--synthetic_corpus", load_saved_corpus, script_args.synthetic_corpus, source, target)
    test_sets = {}
    for test_source, test_target in _directions(script_args):
        pairs = checks.run("--test_file", load_parallel_pairs, script_args.test_file, test_source, test_target)
        if pairs is not None:
            pairs = _capped(pairs, script_args.max_test_samples).rename_column("target_text", "reference")
            test_sets[f"{test_source}-{test_target}"] = pairs
    check_training_inputs(checks, training_args, [source, target])
    checks.run("--model_name_or_path", check_model_path, script_args.model_name_or_path)
    checks.raise_if_any()
    return TrainTranslationInputs(mix_training_pairs(script_args, real, synthetic), test_sets)


def main(
    script_args: TrainTranslationArguments,
    training_args: CrossLingualTrainingArguments,
    inputs: TrainTranslationInputs | None = None,
) -> PerLanguageReport:
    """Runs the recipe; `inputs` are `check_inputs`' result when the caller already checked them."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if inputs is None:
        inputs = check_inputs(script_args, training_args)
    push_repo = training_args.hub_model_id if training_args.push_to_hub else None
    training_args.push_to_hub = False  # hf_lowres pushes the adapter and its card itself
    tokenizer = AutoTokenizer.from_pretrained(script_args.model_name_or_path)
    languages = [script_args.source_lang, script_args.target_lang]
    manager = AdapterManager(LowResForSeq2SeqLM.from_backbone(script_args.model_name_or_path, languages))
    manager.add_task_adapter("translation", **task_adapter_settings(script_args))
    manager.prepare_task_training("translation", train_discriminator=training_args.adversarial_weight > 0)
    manager.parameter_counts()

    trainer = CrossLingualTrainer(
        manager.peft_model,
        training_args,
        data_collator=DataCollatorForSeq2Seq(tokenizer, label_pad_token_id=-100),
        train_dataset=tokenize_translation(
            inputs.train_pairs,
            tokenizer,
            script_args.max_length,
            decoder_start_token_id=manager.model.backbone.config.decoder_start_token_id,
        ),  # fmt: skip
        processing_class=tokenizer,
    )
    trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)

    report = evaluate_translation(manager, tokenizer, script_args, inputs.test_sets)
    output_dir = training_args.output_dir
    report.to_json(os.path.join(output_dir, "results.json"))
    with open(os.path.join(output_dir, "results.md"), "w", encoding="utf-8") as f:
        f.write(report.to_markdown() + "\n")
    print(report.to_markdown())
    adapters_dir = os.path.join(output_dir, "adapters")
    manager.save(adapters_dir, tokenizer=tokenizer)
    # The card's model-index is per language: each direction's scores go under its target language.
    by_target = {direction.split("-")[1]: scores for direction, scores in results_from_report(report).items()}
    # The training mix (real pairs, and synthetic ones when mixed in, counted by origin), in every trained direction.
    train_data = DatasetSummary.from_rows(inputs.train_pairs, script_args.train_file, role="parallel")
    summary = TrainingSummary.from_manager(
        manager,
        training_args,
        datasets=[train_data],
        results=by_target,
        base_model=script_args.model_name_or_path,
        license=script_args.license,
    )
    write_model_card(adapters_dir, summary)
    if push_repo:
        push_adapters_to_hub(
            adapters_dir, push_repo, private=bool(training_args.hub_private_repo), token=training_args.hub_token
        )
    return report


@torch.inference_mode()
def translate(manager: AdapterManager, tokenizer, texts: list[str], args: TrainTranslationArguments) -> list[str]:
    """Beam-search translations of `texts`, in batches of 16 sentences of similar length (less padding, and a
    batch stops decoding sooner), returned in the order of `texts`."""
    manager.model.eval()
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    outputs: list[str | None] = [None] * len(texts)
    for start in range(0, len(order), 16):
        indices = order[start : start + 16]
        batch = tokenizer([texts[i] for i in indices], return_tensors="pt", padding=True, truncation=True,
                          max_length=args.max_length)  # fmt: skip
        generated = manager.peft_model.generate(
            **batch.to(manager.model.device), num_beams=args.num_beams, max_new_tokens=args.max_new_tokens
        )
        for i, text in zip(indices, tokenizer.batch_decode(generated, skip_special_tokens=True)):
            outputs[i] = text
    return outputs


def evaluate_translation(
    manager: AdapterManager, tokenizer, args: TrainTranslationArguments, test_sets: dict[str, Dataset]
) -> PerLanguageReport:
    """BLEU and chrF of the test pairs (a `reference` column), one row per direction (e.g. `eng-jav`)."""

    def predict(dataset):
        return translate(manager, tokenizer, dataset["source_text"], args)

    return evaluate_per_language(predict, test_sets, ["bleu", "chrf"], label_column="reference", name="translation")


if __name__ == "__main__":
    import sys

    from hf_lowres.cli import main as cli_main

    # Through the command's entry point: a bad argument or file is reported as the `hf-lowres` command does.
    sys.exit(cli_main(["train_translation", *sys.argv[1:]]))
