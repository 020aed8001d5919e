"""Tiny models and toy cross-lingual data for the training tests (built in code, no network)."""

from __future__ import annotations

import random

import pytest
import torch
from datasets import Dataset
from peft import LoraConfig, get_peft_model

from hf_lowres import LowResConfig, LowResForSequenceClassification
from hf_lowres.testing_utils import tiny_backbone_config


LANGUAGES = ["eng", "ind", "jav"]
# A word-for-word dictionary over the tiny tokenizer's vocabulary: eng -> (ind, jav).
DICTIONARY = {
    "i": ("saya", "aku"),
    "like": ("suka", "seneng"),
    "not": ("tidak", "ora"),
    "very": ("sangat", "banget"),
    "this": ("ini", "iki"),
    "that": ("itu", "kuwi"),
    "and": ("dan", "lan"),
    "good": ("bagus", "apik"),
    "bad": ("buruk", "ala"),
    "food": ("makanan", "panganan"),
}
POSITIVE, NEGATIVE = {"good", "like"}, {"bad", "not"}


def translate(words: list[str], lang: str) -> list[str]:
    if lang == "eng":
        return words
    column = LANGUAGES.index(lang) - 1
    return [DICTIONARY[w][column] for w in words]


def random_sentence(rng: random.Random, length: int | None = None) -> list[str]:
    return [rng.choice(list(DICTIONARY)) for _ in range(length or rng.randint(3, 6))]


def tokenize(tokenizer, texts: list[str]) -> dict[str, list]:
    encoded = tokenizer(texts, truncation=True, max_length=16)
    return {k: encoded[k] for k in ("input_ids", "attention_mask", "token_type_ids") if k in encoded}


def task_dataset(
    tokenizer, n: int = 32, languages=("eng", "ind"), seed: int = 0, length: int | None = None
) -> Dataset:
    """Sentiment-like labels (does the sentence hold more positive than negative words) with a `lang` column."""
    rng = random.Random(seed)
    texts, labels, langs = [], [], []
    for i in range(n):
        words = random_sentence(rng, length)
        lang = languages[i % len(languages)]
        texts.append(" ".join(translate(words, lang)))
        labels.append(int(sum(w in POSITIVE for w in words) > sum(w in NEGATIVE for w in words)))
        langs.append(lang)
    return Dataset.from_dict({**tokenize(tokenizer, texts), "labels": labels, "lang": langs, "text": texts})


def unlabeled_dataset(tokenizer, counts: dict[str, int] | None = None, seed: int = 1) -> Dataset:
    counts = counts or {"eng": 24, "ind": 12, "jav": 6}
    rng = random.Random(seed)
    texts, langs = [], []
    for lang, count in counts.items():
        for _ in range(count):
            texts.append(" ".join(translate(random_sentence(rng), lang)))
            langs.append(lang)
    return Dataset.from_dict({**tokenize(tokenizer, texts), "lang": langs})


def parallel_dataset(tokenizer, n: int = 32, target_lang: str = "jav", seed: int = 2, length: int | None = None):
    rng = random.Random(seed)
    sources, targets = [], []
    for _ in range(n):
        words = random_sentence(rng, length)
        sources.append(" ".join(words))
        targets.append(" ".join(translate(words, target_lang)))
    source, target = tokenize(tokenizer, sources), tokenize(tokenizer, targets)
    columns = {f"source_{k}": v for k, v in source.items()} | {f"target_{k}": v for k, v in target.items()}
    return Dataset.from_dict({**columns, "source_lang": ["eng"] * n, "target_lang": [target_lang] * n})


def tiny_classifier(seed: int = 0, dropout: float = 0.1, **config_kwargs) -> LowResForSequenceClassification:
    torch.manual_seed(seed)
    overrides = {"hidden_dropout_prob": dropout, "attention_probs_dropout_prob": dropout}
    config = LowResConfig(
        text_config=tiny_backbone_config("bert", **overrides),
        languages=LANGUAGES,
        num_labels=2,
        discriminator_dropout=dropout,
        classifier_dropout=dropout,
        **config_kwargs,
    )
    return LowResForSequenceClassification(config)


def tiny_lora_classifier(seed: int = 0, dropout: float = 0.1, trainable_seed: int | None = None, **config_kwargs):
    """LoRA on the attention projections; the task head and the discriminator trainable as plain modules.

    `trainable_seed` re-draws every trainable parameter (same frozen base), e.g. to check that a resume restores them.
    """
    model = tiny_classifier(seed, dropout, **config_kwargs)
    torch.manual_seed(seed + 1)
    peft_model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["query", "value"]))
    for name, param in peft_model.named_parameters():
        if ".classifier." in name or ".discriminator." in name:
            param.requires_grad_(True)
    if trainable_seed is not None:
        generator = torch.Generator().manual_seed(trainable_seed)
        with torch.no_grad():
            for param in peft_model.parameters():
                if param.requires_grad:
                    param.copy_(torch.randn(param.shape, generator=generator) * 0.05)
    return peft_model


def trainable_state(model) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


@pytest.fixture(autouse=True)
def single_thread():
    """Tiny models run many times faster on one thread, above all on a CPU shared with other jobs."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
