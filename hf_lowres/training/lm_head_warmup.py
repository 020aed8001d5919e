"""A masked-LM head for checkpoints that ship none: warm it up once on the frozen backbone, then share it.

Sentence encoders (e5, MiniLM sentence-transformers) are saved as plain `BertModel`s, so `AutoModelForMaskedLM`
builds their MLM head from scratch (`cls.predictions.transform` and the output bias; the output projection is tied
to the input embeddings and stays pretrained). A language adapter trained through a random head spends its steps
teaching the head rather than the language, and each language's run moves the shared head again. MAD-X (Pfeiffer
et al., EMNLP 2020) trains language adapters under the pretrained, frozen MLM head; `warm_up_lm_head` gives a
headless checkpoint one: the head alone trains over text in every language (the backbone and its embeddings frozen),
after which every language adapter trains with the head frozen (`AdapterManager.prepare_language_training(...,
train_lm_head=False)`) and is saved with it.

`masked_token_accuracy` measures the head (with or without an adapter): the share of masked tokens of held-out text
predicted exactly, per language, under a fixed seeded masking.
"""

from __future__ import annotations

import logging

import torch
from datasets import Dataset, interleave_datasets
from peft.tuners.tuners_utils import BaseTunerLayer
from torch import nn
from transformers import DataCollatorForLanguageModeling, PreTrainedTokenizerBase

from ..adapters.trained_modules import lm_head_parameters
from .cross_lingual_config import CrossLingualTrainingArguments
from .cross_lingual_trainer import CrossLingualTrainer
from .data_preparation import tokenize_text


logger = logging.getLogger(__name__)


def warm_up_lm_head(
    model: nn.Module,
    tokenizer: PreTrainedTokenizerBase,
    texts: dict[str, list[str]],
    training_args: CrossLingualTrainingArguments,
    mlm_probability: float = 0.15,
    max_length: int = 128,
) -> dict:
    """Trains the backbone's MLM head alone on the frozen backbone over `texts`, every language equally often.

    Run it before any adapter is added; the trainable flags of the model are restored afterwards. The Trainer's
    arguments set the budget (`max_steps`), batch size, learning rate, seed and checkpointing (`resume_from_checkpoint`
    resumes an interrupted warm-up). Languages are interleaved with equal probability until the largest is seen once
    (`datasets.interleave_datasets`), so a language with little text is not drowned by one with much.

    Args:
        model (`LowResForMaskedLM`): the model whose head to train, without adapters.
        tokenizer: its tokenizer (must have a mask token).
        texts (`dict[str, list[str]]`): sentences or paragraphs per language code (``{"eng": [...], ...}``).
        training_args (`CrossLingualTrainingArguments`): the Trainer's arguments of the warm-up.
        mlm_probability (`float`): share of tokens masked.
        max_length (`int`): tokens per text, the rest truncated.

    Returns:
        `dict`: ``{"trained_parameters": int, "languages": {code: texts}, "steps": int, "train_loss": float}``.

    Raises:
        ValueError: the model has no head of its own (its output layer is the tied embedding alone, or it is the
            base transformer), already holds LoRA layers, `texts` is empty or a language has no text, or the
            tokenizer has no mask token.

    Example:

    ```python
    >>> model = LowResForMaskedLM.from_backbone(materialize("me5-small"), ["eng", "jav", "sun"])
    >>> args = CrossLingualTrainingArguments("runs/head", max_steps=300, learning_rate=1e-3, report_to="none")
    >>> warm_up_lm_head(model, tokenizer, {"eng": english, "jav": javanese, "sun": sundanese}, args)
    ```
    """
    head = lm_head_parameters(model)
    if not head:
        raise ValueError(
            f"{type(model).__name__} has no MLM head of its own to warm up: its output layer is the tied input "
            "embedding (or the backbone is its base transformer)."
        )
    if any(isinstance(module, BaseTunerLayer) for module in model.modules()):
        raise ValueError("warm up the MLM head before adding adapters: the model already holds LoRA layers.")
    if tokenizer.mask_token_id is None:
        raise ValueError(f"{type(tokenizer).__name__} has no mask token: masked-LM warm-up needs one.")
    _check_texts(texts)
    rows = [tokenize_text(Dataset.from_dict({"text": list(t)}), tokenizer, max_length, language=lang)
            for lang, t in texts.items()]  # fmt: skip
    train = (
        rows[0]
        if len(rows) == 1
        else interleave_datasets(rows, seed=training_args.seed, stopping_strategy="all_exhausted")
    )
    flags = {name: p.requires_grad for name, p in model.named_parameters()}
    try:
        for p in model.parameters():
            p.requires_grad_(False)
        for p in head.values():
            p.requires_grad_(True)
        trainer = CrossLingualTrainer(
            model,
            training_args,
            data_collator=DataCollatorForLanguageModeling(tokenizer, mlm_probability=mlm_probability),
            train_dataset=train,
            processing_class=tokenizer,
        )
        output = trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)
    finally:
        for name, p in model.named_parameters():
            p.requires_grad_(flags[name])
    report = {
        "trained_parameters": sum(p.numel() for p in head.values()),
        "languages": {lang: len(t) for lang, t in texts.items()},
        "steps": output.global_step,
        "train_loss": output.training_loss,
    }
    logger.info("MLM head warmed up: %d parameters, %d steps, train loss %.3f",
                report["trained_parameters"], report["steps"], report["train_loss"])  # fmt: skip
    return report


@torch.no_grad()
def masked_token_accuracy(
    model: nn.Module,
    tokenizer: PreTrainedTokenizerBase,
    texts: dict[str, list[str]],
    mlm_probability: float = 0.15,
    max_length: int = 128,
    batch_size: int = 32,
    seed: int = 0,
) -> dict[str, dict[str, float]]:
    """Per language, the share of masked tokens predicted exactly and the mean masked-LM loss on `texts`.

    Every masked token is replaced by the mask token (no random or kept tokens), chosen with a generator seeded by
    `seed` anew for each language: two models scored with the same seed see the same masks.

    Returns:
        `dict[str, dict]`: ``{language: {"accuracy": float, "loss": float, "masked_tokens": int}}``.
    """
    _check_texts(texts)
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    scores = {}
    try:
        for lang, lang_texts in texts.items():
            collator = DataCollatorForLanguageModeling(
                tokenizer, mlm_probability=mlm_probability, mask_replace_prob=1.0, random_replace_prob=0.0, seed=seed
            )
            encoded = tokenizer(list(lang_texts), truncation=True, max_length=max_length)
            features = [
                {key: encoded[key][i] for key in ("input_ids", "attention_mask")} for i in range(len(lang_texts))
            ]
            correct = total = 0
            loss_sum = 0.0
            for start in range(0, len(features), batch_size):
                batch = {k: v.to(device) for k, v in collator(features[start : start + batch_size]).items()}
                logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
                masked = batch["labels"] != -100
                targets = batch["labels"][masked]
                correct += int((logits[masked].argmax(-1) == targets).sum())
                loss_sum += float(nn.functional.cross_entropy(logits[masked].float(), targets, reduction="sum"))
                total += int(masked.sum())
            scores[lang] = {
                "accuracy": correct / total if total else float("nan"),
                "loss": loss_sum / total if total else float("nan"),
                "masked_tokens": total,
            }
    finally:
        model.train(was_training)
    return scores


def _check_texts(texts: dict[str, list[str]]) -> None:
    if not isinstance(texts, dict) or not texts:
        raise ValueError(f"`texts` must map language codes to lists of texts, got {type(texts).__name__}.")
    empty = [lang for lang, t in texts.items() if not t]
    if empty:
        raise ValueError(f"`texts` has no text for {empty}.")
