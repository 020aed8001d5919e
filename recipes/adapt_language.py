"""Train a language adapter on monolingual text, with masked LM for an encoder or causal LM for a decoder-only LLM,
optionally with the adversarial discriminator over all languages and the alignment loss on parallel or
back-translated pairs.

    hf-lowres adapt_language --model_name_or_path xlm-roberta-base --languages eng jav sun --language jav \\
        --text_file jav.txt --output_dir runs/jav [--adapters_dir runs/adapters] \\
        [--unlabeled_files eng=eng.txt sun=sun.txt --adversarial_weight 0.1] \\
        [--parallel_file mt/train.csv --parallel_source_lang eng --parallel_target_langs jav --alignment_weight 1]

`--objective` is `mlm` (masked LM with the backbone's MLM head), `clm` (next-token prediction with the decoder's own
LM head) or `auto` (the default: `clm` when the checkpoint's config is a decoder-only architecture such as llama,
qwen2 or gpt2, else `mlm`). Causal-LM adapters are what `train_instructions --language_adapters` composes under its
task adapter (MAD-X); give them the languages that recipe reads from its data, sorted:

    hf-lowres adapt_language --model_name_or_path "$(hf-lowres models materialize smollm2-135m-instruct)" \\
        --languages eng ind jav sun --language jav --text_file jav.txt --output_dir runs/smollm2/jav \\
        --adapters_dir runs/smollm2/adapters
    hf-lowres train_instructions ... --language_adapters runs/smollm2/adapters --train_language jav

The adapters (all languages trained so far, with the discriminator and the MLM/LM head unless it is tied to the
embeddings; a decoder's LM head is not trained) are saved to `--adapters_dir` (default `<output_dir>/adapters`); run
once per language with the same `--adapters_dir`.
"""

import logging
import os
from dataclasses import dataclass, field

from datasets import Dataset
from transformers import AutoConfig, AutoTokenizer, DataCollatorForLanguageModeling, PreTrainedConfig
from transformers.models.auto.modeling_auto import (
    MODEL_FOR_CAUSAL_LM_MAPPING_NAMES,
    MODEL_FOR_MASKED_LM_MAPPING_NAMES,
)

from hf_lowres import LowResForCausalLM, LowResForMaskedLM
from hf_lowres.adapters import COMPOSITION_FILE, AdapterManager
from hf_lowres.hub import DatasetSummary, TrainingSummary, push_adapters_to_hub, write_model_card
from hf_lowres.recipe_parser import RecipeParser
from hf_lowres.training import (
    CrossLingualDataArguments,
    CrossLingualTrainer,
    CrossLingualTrainingArguments,
    tokenize_text,
)
from hf_lowres.training.data_preparation import load_monolingual_text
from hf_lowres.training.input_checks import InputChecks, check_model_path, check_range, check_training_inputs


logger = logging.getLogger(__name__)
OBJECTIVES = ("auto", "mlm", "clm")
"""The values of `--objective`: chosen from the checkpoint's config, masked LM, causal LM."""


@dataclass
class AdaptLanguageArguments:
    """The backbone, the language to adapt and its text."""

    model_name_or_path: str = field(metadata={"help": "The backbone checkpoint (Hub id or local directory)."})
    languages: list[str] = field(metadata={"help": "All language codes, in order: the discriminator's classes."})
    language: str = field(metadata={"help": "The language whose adapter is trained."})
    text_file: str = field(metadata={"help": "Monolingual text in `language` (txt, csv, jsonl, parquet)."})
    text_column: str | None = field(default=None, metadata={"help": "Text column of a csv/jsonl/parquet file."})
    max_train_samples: int | None = field(default=None, metadata={"help": "Use only the first N sentences."})
    max_length: int = field(default=128, metadata={"help": "Truncate sentences to this many tokens."})
    objective: str = field(
        default="auto",
        metadata={
            "help": "Language-modeling objective: 'mlm' (masked LM), 'clm' (causal LM, for decoder-only models) or "
            "'auto' (clm for a decoder-only checkpoint such as llama, qwen2 or gpt2, else mlm).",
            "choices": list(OBJECTIVES),
        },
    )
    mlm_probability: float = field(
        default=0.15, metadata={"help": "Share of tokens masked for MLM (not used by the causal LM objective)."}
    )
    lora_r: int = field(default=8, metadata={"help": "LoRA rank."})
    lora_alpha: int = field(default=16, metadata={"help": "LoRA alpha."})
    adapters_dir: str | None = field(
        default=None, metadata={"help": "Adapters to extend and save to (default `<output_dir>/adapters`)."}
    )
    license: str = field(default="unknown", metadata={"help": "License recorded in the model card."})

    def __post_init__(self):
        if self.objective not in OBJECTIVES:
            raise ValueError(f"`objective` must be one of {list(OBJECTIVES)}, got {self.objective!r}.")
        if len(set(self.languages)) != len(self.languages):
            raise ValueError(f"`languages` names a language twice: {self.languages}.")
        if self.language not in self.languages:
            raise ValueError(f"`language` {self.language!r} is not one of `languages` {self.languages}.")
        check_range("max_train_samples", self.max_train_samples, minimum=1, integer=True, allow_none=True)
        for name in ("max_length", "lora_r", "lora_alpha"):
            check_range(name, getattr(self, name), minimum=1, integer=True)
        check_range("mlm_probability", self.mlm_probability, minimum=0, maximum=1, exclusive_minimum=True,
                    exclusive_maximum=True)  # fmt: skip


@dataclass
class AdaptLanguageInputs:
    """Every data file of a run, read and checked (not tokenized yet)."""

    text: Dataset
    unlabeled: list[Dataset]
    pairs: list[Dataset]
    objective: str
    """`"mlm"` or `"clm"`: `--objective` resolved against the checkpoint's config."""


def is_decoder_only(config: PreTrainedConfig) -> bool:
    """Whether a backbone config is a decoder-only language model (llama, qwen2, gpt2, ...).

    transformers maps its `model_type` to a causal-LM class and not to a masked-LM class (BERT-like encoders have
    both), and it is not an encoder-decoder (Marian's type maps to a causal LM of its decoder alone).
    """
    model_type = config.model_type
    return (
        model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES
        and model_type not in MODEL_FOR_MASKED_LM_MAPPING_NAMES
        and not getattr(config, "is_encoder_decoder", False)
    )


def language_modeling_objective(objective: str, config: PreTrainedConfig) -> str:
    """`"mlm"` or `"clm"`: the objective a language adapter on a backbone with `config` trains with.

    `"auto"` is causal LM for a decoder-only backbone (`is_decoder_only`) and masked LM otherwise.

    Raises:
        ValueError: `"mlm"` on a decoder-only backbone (it has no masked-LM head), or `"clm"` on one that is not a
            decoder (an encoder's attention sees the very token it would predict), naming `--objective` and the
            model type.
    """
    decoder_only = is_decoder_only(config)
    if objective == "auto":
        return "clm" if decoder_only else "mlm"
    if objective == "mlm" and decoder_only:
        raise ValueError(
            f"'mlm' needs a masked-LM head, but {config.model_type!r} is a decoder-only model that transformers has "
            "no masked-LM class for; use --objective clm (or auto)."
        )
    # A BERT-like encoder configured as a decoder (`is_decoder=True`) has causal attention: it may train with clm.
    causal = decoder_only or (
        config.model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES and getattr(config, "is_decoder", False)
    )
    if objective == "clm" and not causal:
        raise ValueError(
            f"'clm' needs a decoder-only model, but {config.model_type!r} is an encoder or an encoder-decoder, whose "
            "attention sees the tokens it would predict; use --objective mlm (or auto)."
        )
    return objective


def make_parser() -> RecipeParser:
    return RecipeParser((AdaptLanguageArguments, CrossLingualDataArguments, CrossLingualTrainingArguments))


def check_inputs(
    script_args: AdaptLanguageArguments,
    data_args: CrossLingualDataArguments,
    training_args: CrossLingualTrainingArguments,
) -> AdaptLanguageInputs:
    """Reads and checks every data file and path of the run, loading no model (nor tokenizer).

    Raises:
        InputError: listing every problem found, each under its argument.
    """
    checks = InputChecks()
    text = checks.run("--text_file", load_monolingual_text, script_args.text_file, script_args.language,
                      script_args.text_column)  # fmt: skip
    if text is not None and script_args.max_train_samples is not None:
        text = text.select(range(min(script_args.max_train_samples, len(text))))
    unlabeled = data_args.read_unlabeled(checks)
    pairs = data_args.read_pairs(checks)
    # The text's language column holds the resolved code (`javanese` -> `jav`), which the collator looks up.
    texts = [("--text_file", text)] if text is not None else []
    texts += [("--unlabeled_files", dataset) for dataset in unlabeled]
    pair_sets = [("--parallel_file", dataset) for dataset in pairs]
    check_training_inputs(checks, training_args, script_args.languages, texts, pair_sets)
    if script_args.adapters_dir and os.path.exists(script_args.adapters_dir):
        checks.require(os.path.isdir(script_args.adapters_dir), "--adapters_dir",
                       f"{script_args.adapters_dir} is a file; expected a directory of adapters.")  # fmt: skip
    problems_before = len(checks.problems)
    checks.run("--model_name_or_path", check_model_path, script_args.model_name_or_path)
    objective = None
    if len(checks.problems) == problems_before:  # the config alone (a small JSON file) tells an encoder from a decoder
        config = checks.run("--model_name_or_path", AutoConfig.from_pretrained, script_args.model_name_or_path)
        if config is not None:
            objective = checks.run("--objective", language_modeling_objective, script_args.objective, config)
    checks.raise_if_any()
    return AdaptLanguageInputs(text, unlabeled, pairs, objective)


def main(
    script_args: AdaptLanguageArguments,
    data_args: CrossLingualDataArguments,
    training_args: CrossLingualTrainingArguments,
    inputs: AdaptLanguageInputs | None = None,
) -> AdapterManager:
    """Runs the recipe; `inputs` are `check_inputs`' result when the caller already checked them."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if inputs is None:
        inputs = check_inputs(script_args, data_args, training_args)
    adapters_dir = script_args.adapters_dir or os.path.join(training_args.output_dir, "adapters")
    # hf_lowres pushes adapters, heads and card itself: the Trainer's own push would send the LoRA weights only.
    push_repo = training_args.hub_model_id if training_args.push_to_hub else None
    training_args.push_to_hub = False
    tokenizer = AutoTokenizer.from_pretrained(script_args.model_name_or_path)
    causal = inputs.objective == "clm"
    if causal:
        # Decoder tokenizers often have no padding token; padded positions are masked out of the loss anyway.
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        model = LowResForCausalLM.from_backbone(script_args.model_name_or_path, script_args.languages)
        collator = DataCollatorForLanguageModeling(tokenizer, mlm=False)
    else:
        model = LowResForMaskedLM.from_backbone(script_args.model_name_or_path, script_args.languages)
        collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=script_args.mlm_probability)
    logger.info("training the %r adapter with %s", script_args.language, "causal LM" if causal else "masked LM")
    if os.path.isfile(os.path.join(adapters_dir, COMPOSITION_FILE)):
        manager = AdapterManager.from_pretrained(adapters_dir, model=model)
    else:
        manager = AdapterManager(model)
    manager.add_language_adapter(script_args.language, r=script_args.lora_r, lora_alpha=script_args.lora_alpha)
    # A decoder's LM head was pretrained on this very objective (and a tied one is the frozen input embeddings): it
    # stays frozen, so the language adapter is its LoRA delta alone and switching it off gives back the base model.
    manager.prepare_language_training(
        script_args.language, train_lm_head=not causal, train_discriminator=training_args.adversarial_weight > 0
    )
    manager.parameter_counts()

    trainer = CrossLingualTrainer(
        manager.peft_model,
        training_args,
        data_collator=collator,
        train_dataset=tokenize_text(inputs.text, tokenizer, script_args.max_length),
        unlabeled_dataset=data_args.load_unlabeled(tokenizer, script_args.max_length, inputs.unlabeled),
        parallel_dataset=data_args.load_pairs(tokenizer, script_args.max_length, inputs.pairs),
        processing_class=tokenizer,
        adapter_manager=manager,
    )
    trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)

    manager.save(adapters_dir)
    text = DatasetSummary.from_rows(inputs.text, script_args.text_file, role="language modeling")
    summary = TrainingSummary.from_manager(
        manager,
        training_args,
        datasets=[text, *data_args.describe(inputs.unlabeled, inputs.pairs)],
        base_model=script_args.model_name_or_path,
        license=script_args.license,
    )
    write_model_card(adapters_dir, summary)
    logger.info("language adapter %r saved to %s", script_args.language, adapters_dir)
    if push_repo:
        push_adapters_to_hub(
            adapters_dir, push_repo, private=bool(training_args.hub_private_repo), token=training_args.hub_token
        )
    return manager


if __name__ == "__main__":
    import sys

    from hf_lowres.cli import main as cli_main

    # Through the command's entry point: a bad argument or file is reported as the `hf-lowres` command does.
    sys.exit(cli_main(["adapt_language", *sys.argv[1:]]))
