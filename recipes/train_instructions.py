"""Multilingual instruction tuning of a decoder LLM with a LoRA task adapter, evaluated per task and language before
and after training.

    hf-lowres train_instructions --model_name_or_path "$(hf-lowres models materialize smollm2-135m-instruct)" \\
        --data_dir ../shared/data --tasks translation topic --held_out_tasks sentiment \\
        --translation_languages jav sun --topic_languages jav sun --instruction_languages eng ind \\
        --max_examples_per_language 200 --output_dir runs/instructions

The training data are templated instructions built from labeled sets (xP3, Muennighoff et al., ACL 2023; Aya,
Üstün et al., 2024; `hf_lowres.data.build_instruction_dataset`) in the model's chat template, with the loss on the
response tokens only. Evaluation reads the test split (`--eval_split`) of every task, held-out ones included:
classification by the likelihood of each label's verbalization (`score_verbalizations`), translation by BLEU and
chrF of greedy outputs, once with the task adapter off (the base model) and once with it on. With
`--language_adapters` (a saved `AdapterManager` folder of causal-LM language adapters) the task adapter trains over
`--train_language`'s adapter and each evaluation row uses its data language's adapter (MAD-X composition).
Writes `<output_dir>/results.{md,json}` (after, with the change from before) and `before.json`, and the adapter with
its card under `<output_dir>/adapters`.
"""

import contextlib
import dataclasses
import json
import logging
import os
from collections import Counter
from dataclasses import dataclass, field

from datasets import Dataset
from transformers import AutoTokenizer, DataCollatorForSeq2Seq

from hf_lowres import LowResForCausalLM
from hf_lowres.adapters import AdapterManager
from hf_lowres.data import (
    INSTRUCTION_TASKS,
    InstructionDataConfig,
    build_instruction_dataset,
    tokenize_instruction_dataset,
)
from hf_lowres.data.instructions import TASK_LABELS
from hf_lowres.evaluation import evaluate_per_language, score_verbalizations
from hf_lowres.hub import DatasetSummary, TrainingSummary, push_adapters_to_hub, write_model_card
from hf_lowres.recipe_parser import RecipeParser
from hf_lowres.training import CrossLingualTrainer, CrossLingualTrainingArguments
from hf_lowres.training.input_checks import (
    InputChecks,
    check_directory,
    check_model_path,
    check_range,
    check_training_inputs,
)


logger = logging.getLogger(__name__)
TASK_ADAPTER = "instructions"


@dataclass
class TrainInstructionsArguments:
    """The decoder, the data folder, the adapter and the evaluation."""

    model_name_or_path: str = field(metadata={"help": "A causal LM checkpoint with a chat template."})
    data_dir: str = field(metadata={"help": "The folder holding nusax/ and nusawrites/ (e.g. ../shared/data)."})
    max_length: int = field(default=384, metadata={"help": "Truncate conversations to this many tokens."})
    lora_r: int = field(default=16, metadata={"help": "LoRA rank."})
    lora_alpha: int = field(default=32, metadata={"help": "LoRA alpha."})
    lora_target_modules: list[str] | None = field(
        default=None, metadata={"help": "Linear layers LoRA adapts, by leaf name (default: the family's q and v)."}
    )
    language_adapters: str | None = field(
        default=None, metadata={"help": "A saved AdapterManager folder of causal-LM language adapters (MAD-X)."}
    )
    train_language: str | None = field(
        default=None, metadata={"help": "The language adapter active while training (with --language_adapters)."}
    )
    eval_split: str = field(default="test", metadata={"help": "The split evaluated before and after training."})
    eval_max_examples_per_language: int | None = field(
        default=200, metadata={"help": "Evaluation rows per task and language (seeded subset); all with None."}
    )
    eval_instruction_languages: list[str] = field(
        default_factory=lambda: ["eng", "ind"], metadata={"help": "Template languages of the evaluation prompts."}
    )
    eval_batch_size: int = field(default=16, metadata={"help": "Sequences per evaluation forward pass."})
    max_new_tokens: int = field(default=96, metadata={"help": "Longest generated translation."})
    evaluate_before: bool = field(default=True, metadata={"help": "Also evaluate the base model (adapter off)."})
    license: str = field(default="unknown", metadata={"help": "License recorded in the model card."})


def make_parser() -> RecipeParser:
    return RecipeParser((TrainInstructionsArguments, InstructionDataConfig, CrossLingualTrainingArguments))


def evaluation_config(script_args: TrainInstructionsArguments, data_config: InstructionDataConfig):
    """Every task of the run, held-out ones included, on `eval_split`, in the evaluation's template languages."""
    return dataclasses.replace(
        data_config,
        tasks=list(dict.fromkeys([*data_config.tasks, *data_config.held_out_tasks])),
        held_out_tasks=[],
        instruction_languages=script_args.eval_instruction_languages,
        splits=[script_args.eval_split],
        max_examples_per_language=script_args.eval_max_examples_per_language,
    )


def check_inputs(script_args, data_config, training_args):
    """Builds and checks the training and evaluation data and the paths, loading no model (nor tokenizer).

    Raises:
        InputError: listing every problem found, each under its argument.
    """
    checks = InputChecks()
    checks.run("--data_dir", check_directory, script_args.data_dir)
    checks.run("--model_name_or_path", check_model_path, script_args.model_name_or_path)
    checks.run("--max_length", check_range, "max_length", script_args.max_length, minimum=8)
    if script_args.language_adapters:
        checks.run("--language_adapters", check_directory, script_args.language_adapters)
        checks.require(script_args.train_language is not None, "--train_language",
                       "is needed with --language_adapters: the adapter the task adapter trains over.")  # fmt: skip
    checks.raise_if_any()
    train = checks.run("--data_dir", build_instruction_dataset, script_args.data_dir,
                       dataclasses.replace(data_config, splits=["train"]))  # fmt: skip
    evaluation = checks.run("--eval_split", build_instruction_dataset, script_args.data_dir,
                            evaluation_config(script_args, data_config))  # fmt: skip
    columns = ("data_language", "target_language")
    languages = sorted({lang for data in (train, evaluation) if data is not None for split in data.values()
                        for column in columns for lang in split[column] if lang})  # fmt: skip
    check_training_inputs(checks, training_args, languages)
    checks.raise_if_any()
    return train["train"], evaluation[script_args.eval_split], languages


def drop_long_prompts(train: Dataset, tokenizer, max_length: int) -> Dataset:
    """The training rows whose prompt leaves room for an answer within `max_length` tokens; the others (long
    paragraphs) are left out, counted per task in a warning."""
    prompts = tokenizer.apply_chat_template([m[:1] for m in train["messages"]], add_generation_prompt=True)
    lengths = [len(ids) for ids in prompts["input_ids"]]
    keep = [i for i, n in enumerate(lengths) if n < max_length]
    if len(keep) < len(train):
        dropped = Counter(task for i, task in enumerate(train["task"]) if lengths[i] >= max_length)
        logger.warning("%d of %d training conversations have a prompt of --max_length %d tokens or more and are "
                       "left out: %s.", len(train) - len(keep), len(train), max_length, dict(dropped))  # fmt: skip
    return train.select(keep)


def evaluation_sets(evaluation: Dataset) -> dict[str, dict[str, Dataset]]:
    """task -> {"<language>" (classification) or "<source>-><target>" (translation): rows}."""
    sets: dict[str, dict[str, Dataset]] = {}
    keys = [
        (task, f"{lang}->{target}" if task == "translation" else lang)
        for task, lang, target in zip(evaluation["task"], evaluation["data_language"], evaluation["target_language"])
    ]
    for task in INSTRUCTION_TASKS:
        names = sorted({name for t, name in keys if t == task})
        for name in names:
            rows = [i for i, key in enumerate(keys) if key == (task, name)]
            sets.setdefault(task, {})[name] = evaluation.select(rows)
    return sets


def evaluate_instructions(
    manager, tokenizer, evaluation: Dataset, script_args, adapter_on: bool, baseline: dict | None = None
) -> dict:
    """Per task, a `PerLanguageReport`: accuracy for classification, BLEU and chrF for translation (with
    `baseline`, the reports of the base model, also their change: `delta_<metric>` columns)."""
    import torch

    model = manager.peft_model
    language_adapters = set(manager.language_adapters.values())

    @contextlib.contextmanager
    def adapters_for(language: str):
        if not adapter_on:  # the base model, as its user has it: no adapter at all
            with model.disable_adapter():
                yield
            return
        adapter = language if language in language_adapters else None
        manager.activate(language=adapter, task=TASK_ADAPTER)
        yield

    def prompts(rows) -> list[str]:
        return [tokenizer.apply_chat_template(m[:1], tokenize=False, add_generation_prompt=True)
                for m in rows["messages"]]  # fmt: skip

    def classify(rows, language):
        with adapters_for(language):
            scores = score_verbalizations(model, tokenizer, prompts(rows), rows["choices"],
                                          batch_size=script_args.eval_batch_size)  # fmt: skip
        names = TASK_LABELS[rows["task"][0]]
        return [names[i] for i in scores.predictions]

    @torch.inference_mode()
    def translate(rows, language):
        model.eval()
        texts, outputs = prompts(rows), []
        padding_side, tokenizer.padding_side = tokenizer.padding_side, "left"  # generation continues the prompt
        with adapters_for(rows["data_language"][0]):
            try:
                for start in range(0, len(texts), script_args.eval_batch_size):
                    batch = tokenizer(texts[start : start + script_args.eval_batch_size], return_tensors="pt",
                                      padding=True, add_special_tokens=False)  # fmt: skip
                    generated = model.generate(**batch.to(manager.model.device), do_sample=False,
                                               max_new_tokens=script_args.max_new_tokens)  # fmt: skip
                    new = generated[:, batch["input_ids"].shape[1] :]
                    outputs += [text.strip() for text in tokenizer.batch_decode(new, skip_special_tokens=True)]
            finally:
                tokenizer.padding_side = padding_side
        return outputs

    reports = {}
    for task, sets in evaluation_sets(evaluation).items():
        before = baseline[task] if baseline else None
        if task == "translation":
            reports[task] = evaluate_per_language(translate, sets, ["bleu", "chrf"], label_column="response",
                                                  name="translation", baseline=before)  # fmt: skip
        else:
            reports[task] = evaluate_per_language(classify, sets, "accuracy", label_column="label",
                                                  label_names=list(TASK_LABELS[task]), name=task,
                                                  baseline=before)  # fmt: skip
    return reports


def _reports_json(reports: dict) -> dict:
    return {task: report.to_dict() for task, report in reports.items()}


def main(script_args, data_config, training_args, inputs=None) -> dict:
    """Runs the recipe; returns {"before": reports or None, "after": reports}."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    train, evaluation, languages = (
        inputs if inputs is not None else check_inputs(script_args, data_config, training_args)
    )
    push_repo = training_args.hub_model_id if training_args.push_to_hub else None
    training_args.push_to_hub = False  # hf_lowres pushes the adapter and its card itself
    tokenizer = AutoTokenizer.from_pretrained(script_args.model_name_or_path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = LowResForCausalLM.from_backbone(script_args.model_name_or_path, languages)
    if script_args.language_adapters:
        manager = AdapterManager.from_pretrained(script_args.language_adapters, model=model)
    else:
        manager = AdapterManager(model)
    settings = {"r": script_args.lora_r, "lora_alpha": script_args.lora_alpha}
    if script_args.lora_target_modules:
        settings["target_modules"] = list(script_args.lora_target_modules)
    manager.add_task_adapter(TASK_ADAPTER, **settings)
    os.makedirs(training_args.output_dir, exist_ok=True)

    before = None
    if script_args.evaluate_before:
        before = evaluate_instructions(manager, tokenizer, evaluation, script_args, adapter_on=False)
        with open(os.path.join(training_args.output_dir, "before.json"), "w", encoding="utf-8") as f:
            json.dump(_reports_json(before), f, indent=1)

    manager.prepare_task_training(TASK_ADAPTER, language=script_args.train_language, train_discriminator=False)
    manager.parameter_counts()
    train = drop_long_prompts(train, tokenizer, script_args.max_length)
    rows = tokenize_instruction_dataset(train, tokenizer, max_length=script_args.max_length)
    rows = rows.select_columns(["input_ids", "attention_mask", "labels"])
    trainer = CrossLingualTrainer(
        manager.peft_model,
        training_args,
        data_collator=DataCollatorForSeq2Seq(tokenizer, label_pad_token_id=-100),
        train_dataset=rows,
        processing_class=tokenizer,
    )
    trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)

    after = evaluate_instructions(manager, tokenizer, evaluation, script_args, adapter_on=True, baseline=before)
    lines = []
    for task, report in after.items():
        lines += [f"## {task}", "", report.to_markdown(), ""]
    with open(os.path.join(training_args.output_dir, "results.json"), "w", encoding="utf-8") as f:
        json.dump({"before": _reports_json(before) if before else None, "after": _reports_json(after)}, f, indent=1)
    with open(os.path.join(training_args.output_dir, "results.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))

    adapters_dir = os.path.join(training_args.output_dir, "adapters")
    manager.save(adapters_dir, tokenizer=tokenizer)
    train_data = DatasetSummary.from_rows(train, script_args.data_dir, role="instructions",
                                          language_column="data_language")  # fmt: skip
    summary = TrainingSummary.from_manager(
        manager, training_args, datasets=[train_data], base_model=script_args.model_name_or_path,
        license=script_args.license,
    )  # fmt: skip
    write_model_card(adapters_dir, summary)
    if push_repo:
        push_adapters_to_hub(
            adapters_dir, push_repo, private=bool(training_args.hub_private_repo), token=training_args.hub_token
        )
    return {"before": before, "after": after}


if __name__ == "__main__":
    import sys

    from hf_lowres.cli import main as cli_main

    sys.exit(cli_main(["train_instructions", *sys.argv[1:]]))
