"""Train a task adapter (sequence classification) on source-language labels, then evaluate zero-shot on every target
language with its language adapter composed in (MAD-X), and write the per-language table.

    hf-lowres train_task --model_name_or_path xlm-roberta-base --languages eng jav sun \\
        --adapters_dir runs/adapters --train_file eng/train.csv --validation_file eng/valid.csv \\
        --test_files jav=jav/test.csv sun=sun/test.csv --class_names negative neutral positive --output_dir runs/task

Without `--adapters_dir` the task adapter trains on the bare backbone and is evaluated as it is (the baseline).
Writes `<output_dir>/results.{md,csv,json}`, a bar chart `<output_dir>/results.png` (with `--baseline_report`), the
adapters with the task head (`<output_dir>/adapters`) and their model card.
"""

import logging
import os
from dataclasses import dataclass, field

import numpy as np
from datasets import Dataset
from transformers import AutoTokenizer

from hf_lowres import LowResForSequenceClassification
from hf_lowres.adapters import COMPOSITION_FILE, AdapterManager
from hf_lowres.data import (
    Lexicon,
    load_lexicon_directory,
    translate_train,
)
from hf_lowres.evaluation import (
    PerLanguageReport,
    SequenceClassificationPredictor,
    evaluate_per_language,
    plot_per_language_metrics,
)
from hf_lowres.hub import DatasetSummary, TrainingSummary, push_adapters_to_hub, write_model_card
from hf_lowres.hub.training_summary import common_data_source, resolve_hub_id
from hf_lowres.recipe_parser import RecipeParser
from hf_lowres.training import (
    CrossLingualDataArguments,
    CrossLingualTrainer,
    CrossLingualTrainingArguments,
    parse_language_files,
    tokenize_text,
)
from hf_lowres.training.data_preparation import load_labeled_file
from hf_lowres.training.input_checks import (
    InputChecks,
    check_directory,
    check_model_path,
    check_range,
    check_training_inputs,
    load_report,
)


logger = logging.getLogger(__name__)


@dataclass
class TrainTaskArguments:
    """The backbone, the language adapters, the labeled data and the zero-shot test sets."""

    model_name_or_path: str = field(metadata={"help": "The backbone checkpoint (Hub id or local directory)."})
    languages: list[str] = field(metadata={"help": "All language codes, in order: the discriminator's classes."})
    train_file: str = field(metadata={"help": "Labeled source-language data (csv/json with text and label)."})
    test_files: list[str] = field(metadata={"help": "Zero-shot test sets as LANG=PATH, one per target language."})
    class_names: list[str] = field(metadata={"help": "Class names, in id order (e.g. negative neutral positive)."})
    task: str = field(default="sentiment", metadata={"help": "Name of the task adapter."})
    source_language: str = field(default="eng", metadata={"help": "The language of the labeled data."})
    validation_file: str | None = field(default=None, metadata={"help": "Labeled source-language dev data."})
    source_test_file: str | None = field(
        default=None,
        metadata={
            "help": "Labeled source-language test data: its accuracy is reported beside the zero-shot table "
            "(source_results.json), not in its macro average."
        },
    )
    text_column: str = field(default="text", metadata={"help": "Text column of the labeled and test files."})
    label_column: str = field(default="label", metadata={"help": "Label column (names or ids)."})
    adapters_dir: str | None = field(default=None, metadata={"help": "Language adapters to compose (MAD-X)."})
    max_train_samples: int | None = field(default=None, metadata={"help": "Use only the first N training rows."})
    max_test_samples: int | None = field(default=None, metadata={"help": "Use only the first N rows per test set."})
    max_length: int = field(default=128, metadata={"help": "Truncate sentences to this many tokens."})
    lora_r: int = field(default=8, metadata={"help": "LoRA rank."})
    lora_alpha: int = field(default=16, metadata={"help": "LoRA alpha."})
    baseline_report: str | None = field(default=None, metadata={"help": "An earlier results.json to compare with."})
    run_name_in_report: str = field(default="hf_lowres", metadata={"help": "This run's name in the table and chart."})
    license: str = field(default="unknown", metadata={"help": "License recorded in the model card."})
    translate_train: bool = field(
        default=False,
        metadata={
            "help": "Add a word-translated copy of the labeled rows per language of --lexicon_dir (a training "
            "argument, with --lexicon_languages and the code-switching options)."
        },
    )

    def __post_init__(self):
        for name in ("languages", "class_names"):
            values = getattr(self, name)
            if len(set(values)) != len(values):
                raise ValueError(f"`{name}` names a value twice: {values}.")
        if len(self.class_names) < 2:
            raise ValueError(f"`class_names` must name at least 2 classes, got {self.class_names}.")
        if self.source_language not in self.languages:
            raise ValueError(
                f"`source_language` {self.source_language!r} is not one of `languages` {self.languages}: the labeled "
                "rows carry it as their language."
            )
        parse_language_files(self.test_files, "--test_files")
        for name in ("max_train_samples", "max_test_samples"):
            check_range(name, getattr(self, name), minimum=1, integer=True, allow_none=True)
        for name in ("max_length", "lora_r", "lora_alpha"):
            check_range(name, getattr(self, name), minimum=1, integer=True)


@dataclass
class TrainTaskInputs:
    """Every data file of a run, read and checked (not tokenized yet)."""

    train: Dataset
    validation: Dataset | None
    test_sets: dict[str, Dataset]
    unlabeled: list[Dataset]
    pairs: list[Dataset]
    baseline: PerLanguageReport | None
    lexicons: dict[str, Lexicon]
    source_test: Dataset | None = None


def make_parser() -> RecipeParser:
    return RecipeParser((TrainTaskArguments, CrossLingualDataArguments, CrossLingualTrainingArguments))


def check_inputs(
    script_args: TrainTaskArguments,
    data_args: CrossLingualDataArguments,
    training_args: CrossLingualTrainingArguments,
) -> TrainTaskInputs:
    """Reads and checks every data file and path of the run, loading no model (nor tokenizer).

    Raises:
        InputError: listing every problem found, each under its argument.
    """
    checks = InputChecks()

    def labeled(argument: str, path: str, limit: int | None):
        rows = checks.run(argument, load_labeled_file, path, script_args.class_names, script_args.text_column,
                          script_args.label_column)  # fmt: skip
        return rows.select(range(min(limit, len(rows)))) if rows is not None and limit is not None else rows

    train = labeled("--train_file", script_args.train_file, script_args.max_train_samples)
    validation = (
        labeled("--validation_file", script_args.validation_file, None) if script_args.validation_file else None
    )
    test_sets = {
        language: labeled(f"--test_files ({language})", path, script_args.max_test_samples)
        for language, path in parse_language_files(script_args.test_files, "--test_files").items()
    }
    source_test = (
        labeled("--source_test_file", script_args.source_test_file, script_args.max_test_samples)
        if script_args.source_test_file
        else None
    )
    unlabeled = data_args.read_unlabeled(checks)
    pairs = data_args.read_pairs(checks)
    if script_args.adapters_dir:
        checks.run("--adapters_dir", check_directory, script_args.adapters_dir, COMPOSITION_FILE,
                   "language adapters saved by adapt_language")  # fmt: skip
    checks.require(
        bool(script_args.adapters_dir) or not training_args.auxiliary_language_adapters,
        "--auxiliary_language_adapters",
        "routes the auxiliary rows through each language's adapter, but no --adapters_dir gives language adapters.",
    )
    baseline = (
        checks.run("--baseline_report", load_report, script_args.baseline_report)
        if script_args.baseline_report
        else None
    )
    check_training_inputs(
        checks,
        training_args,
        script_args.languages,
        [("--unlabeled_files", dataset) for dataset in unlabeled],
        [("--parallel_file", dataset) for dataset in pairs],
    )
    lexicons = {}
    uses_lexicons = script_args.translate_train or training_args.code_switching_word_ratio > 0
    checks.require(not script_args.translate_train or training_args.lexicon_dir, "--translate_train",
                   "word translation needs --lexicon_dir (the lexicons).")  # fmt: skip
    wanted = training_args.lexicon_languages or []
    targets = [lang for lang in script_args.languages if lang != script_args.source_language]
    checks.require(all(lang in targets for lang in wanted), "--lexicon_languages",
                   f"{wanted} must be target languages of --languages {targets}.")  # fmt: skip
    if uses_lexicons and training_args.lexicon_dir:
        lexicons = checks.run("--lexicon_dir", read_lexicons, script_args, training_args) or {}
    checks.run("--model_name_or_path", check_model_path, script_args.model_name_or_path)
    checks.raise_if_any()
    return TrainTaskInputs(train, validation, test_sets, unlabeled, pairs, baseline, lexicons, source_test)


def read_lexicons(script_args: TrainTaskArguments, training_args: CrossLingualTrainingArguments) -> dict[str, Lexicon]:
    """The lexicons from the source language into `lexicon_languages` (default: every target the folder covers)."""
    wanted = training_args.lexicon_languages
    targets = wanted or [lang for lang in script_args.languages if lang != script_args.source_language]
    lexicons = load_lexicon_directory(
        training_args.lexicon_dir, script_args.source_language, targets, skip_missing=not wanted
    )
    logger.info("lexicons from %s: %s", training_args.lexicon_dir, {k: len(v) for k, v in lexicons.items()})
    return lexicons


def main(
    script_args: TrainTaskArguments,
    data_args: CrossLingualDataArguments,
    training_args: CrossLingualTrainingArguments,
    inputs: TrainTaskInputs | None = None,
) -> PerLanguageReport:
    """Runs the recipe; `inputs` are `check_inputs`' result when the caller already checked them."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if inputs is None:
        inputs = check_inputs(script_args, data_args, training_args)
    push_repo = training_args.hub_model_id if training_args.push_to_hub else None
    training_args.push_to_hub = False  # hf_lowres pushes adapters, heads and card itself
    tokenizer = AutoTokenizer.from_pretrained(script_args.model_name_or_path)
    id2label = dict(enumerate(script_args.class_names))
    model = LowResForSequenceClassification.from_backbone(
        script_args.model_name_or_path, script_args.languages, id2label=id2label
    )
    if script_args.adapters_dir:
        manager = AdapterManager.from_pretrained(script_args.adapters_dir, model=model)
    else:
        manager = AdapterManager(model)
    manager.add_task_adapter(script_args.task, r=script_args.lora_r, lora_alpha=script_args.lora_alpha)
    source = script_args.source_language if script_args.source_language in manager.language_adapters.values() else None
    manager.prepare_task_training(
        script_args.task, language=source, train_discriminator=training_args.adversarial_weight > 0
    )
    manager.parameter_counts()

    def prepare(rows):
        return tokenize_text(
            rows, tokenizer, script_args.max_length, script_args.text_column, script_args.source_language,
            label_column=script_args.label_column,
        )  # fmt: skip

    train_rows = inputs.train.map(lambda _: {"lang": script_args.source_language})
    if script_args.translate_train:  # translate-train from a lexicon: English rows + one word-translated copy each
        train_rows = translate_train(
            train_rows, inputs.lexicons, text_column=script_args.text_column, seed=training_args.seed
        )
    if training_args.code_switching_word_ratio > 0:
        # The trainer code-switches the text rows anew each epoch (CoSDA-ML), with the lexicons checked above.
        training_args.lexicon_source_language = training_args.lexicon_source_language or script_args.source_language
        training_args.lexicon_languages = list(inputs.lexicons)
        training_args.code_switching_max_length = training_args.code_switching_max_length or script_args.max_length
        names = {script_args.text_column: "text", script_args.label_column: "labels"}
        train_dataset = train_rows.rename_columns({old: new for old, new in names.items() if old != new})
        train_dataset = train_dataset.select_columns(["text", "labels", "lang"])
    else:
        train_dataset = tokenize_text(
            train_rows,
            tokenizer,
            script_args.max_length,
            script_args.text_column,
            label_column=script_args.label_column,
        )

    trainer = CrossLingualTrainer(
        manager.peft_model,
        training_args,
        train_dataset=train_dataset,
        eval_dataset=prepare(inputs.validation) if inputs.validation is not None else None,
        unlabeled_dataset=data_args.load_unlabeled(tokenizer, script_args.max_length, inputs.unlabeled),
        parallel_dataset=data_args.load_pairs(tokenizer, script_args.max_length, inputs.pairs),
        processing_class=tokenizer,
        lexicons=inputs.lexicons or None,  # read and checked above: not read again
        adapter_manager=manager,
        compute_metrics=lambda p: {"accuracy": float((np.argmax(p.predictions, -1) == p.label_ids).mean())},
    )
    trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)

    report = evaluate_zero_shot(manager, tokenizer, script_args, inputs.test_sets, inputs.baseline)
    output_dir = training_args.output_dir
    report.to_json(os.path.join(output_dir, "results.json"))
    report.to_csv(os.path.join(output_dir, "results.csv"))
    summary_lines = [report.to_markdown()]
    if inputs.source_test is not None:  # in-language accuracy: what zero-shot transfer is measured against
        source_report = evaluate_zero_shot(
            manager, tokenizer, script_args, {script_args.source_language: inputs.source_test}
        )
        source_report.to_json(os.path.join(output_dir, "source_results.json"))
        summary_lines.append(source_language_line(source_report, script_args.source_language))
    with open(os.path.join(output_dir, "results.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(summary_lines) + "\n")
    if inputs.baseline is not None:
        plot_per_language_metrics(
            [inputs.baseline, report],
            "accuracy",
            os.path.join(output_dir, "results.png"),
            title="Zero-shot accuracy per language",
            chance=1 / len(script_args.class_names),
            note=chart_note(script_args.model_name_or_path, report),
        )
    print("\n".join(summary_lines))

    adapters_dir = os.path.join(output_dir, "adapters")
    manager.activate(language=source, task=script_args.task)
    manager.save(adapters_dir, tokenizer=tokenizer)
    summary = TrainingSummary.from_manager(
        manager,
        training_args,
        datasets=training_data(script_args, data_args, inputs, train_rows),
        results=report,
        base_model=script_args.model_name_or_path,
        license=script_args.license,
        results_dataset=common_data_source(parse_language_files(script_args.test_files, "--test_files").values()),
    )
    write_model_card(adapters_dir, summary)
    if push_repo:
        push_adapters_to_hub(
            adapters_dir, push_repo, private=bool(training_args.hub_private_repo), token=training_args.hub_token
        )
    return report


def source_language_line(source_report: PerLanguageReport, language: str) -> str:
    row = source_report[language]
    return (
        f"In-language ({language}) test: accuracy {row['accuracy']:.3f}, macro-F1 {row['macro_f1']:.3f} "
        f"(n = {row['n']}); not in the zero-shot macro average."
    )


def chart_note(model_name_or_path: str, report: PerLanguageReport) -> str:
    """The chart's caption: the model (its Hub id when known, never a machine path) and the test-set sizes."""
    model = resolve_hub_id(model_name_or_path) or os.path.basename(os.path.normpath(model_name_or_path))
    sizes = sorted({row["n"] for row in report.rows})
    n = (
        f"n = {sizes[0]} per language"
        if len(sizes) == 1
        else "n = " + ", ".join(f"{row['language']} {row['n']}" for row in report.rows)
    )
    return f"{model}; {n} (test)"


def training_data(
    script_args: TrainTaskArguments,
    data_args: CrossLingualDataArguments,
    inputs: TrainTaskInputs,
    train_rows: Dataset,
) -> list[DatasetSummary]:
    """The card's record of the data training read: each file's dataset, split, rows per language and origin."""
    data = [DatasetSummary.from_rows(train_rows, script_args.train_file, role="task")]
    if inputs.validation is not None:
        validation = DatasetSummary.from_rows(
            inputs.validation, script_args.validation_file, role="validation", language=script_args.source_language
        )
        data.append(validation)
    return data + data_args.describe(inputs.unlabeled, inputs.pairs)


def evaluate_zero_shot(
    manager: AdapterManager,
    tokenizer,
    script_args: TrainTaskArguments,
    test_sets: dict[str, Dataset],
    baseline: PerLanguageReport | None = None,
) -> PerLanguageReport:
    """Accuracy and macro-F1 per target language, each with its own language adapter switched in when it has one."""
    predictor = SequenceClassificationPredictor(
        manager.peft_model, tokenizer, text_column=script_args.text_column, max_length=script_args.max_length
    )
    adapted = set(manager.language_adapters.values())

    def predict(dataset, language):
        composed = language if language in adapted else None
        manager.activate(language=composed, task=script_args.task)
        return predictor(dataset)

    manager.model.eval()
    return evaluate_per_language(
        predict,
        test_sets,
        ["accuracy", "macro_f1"],
        baseline=baseline,
        label_column=script_args.label_column,
        label_names=script_args.class_names,
        name=script_args.run_name_in_report,
    )


if __name__ == "__main__":
    import sys

    from hf_lowres.cli import main as cli_main

    # Through the command's entry point: a bad argument or file is reported as the `hf-lowres` command does.
    sys.exit(cli_main(["train_task", *sys.argv[1:]]))
