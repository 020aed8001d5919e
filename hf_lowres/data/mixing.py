"""Mixing real and synthetic parallel data: ratios, tagged back-translation, temperature balancing of languages."""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Sequence

from datasets import Dataset, concatenate_datasets

from .language_sampling import temperature_sampling_probabilities
from .schema import CORPUS_FEATURES, SYNTHETIC_ORIGINS


logger = logging.getLogger(__name__)

BT_TAG = "<BT>"
"""The reserved token that marks back-translated sources in tagged back-translation (Caswell et al., 2019)."""


def add_tag_token(tokenizer, tag: str = BT_TAG, model=None) -> int:
    """Adds `tag` to the tokenizer as a special token (never split, never produced by normalisation).

    Args:
        tokenizer (`PreTrainedTokenizerBase`): the tokenizer of the model to train.
        tag (`str`, defaults to `BT_TAG`): the tag.
        model (`PreTrainedModel`, *optional*): resized to the new vocabulary size when the token is new.

    Returns:
        `int`: the tag's token id.
    """
    added = tokenizer.add_special_tokens({"additional_special_tokens": [tag]}, replace_extra_special_tokens=False)
    if added and model is not None:
        model.resize_token_embeddings(len(tokenizer))
    return tokenizer.convert_tokens_to_ids(tag)


def tag_synthetic_sources(dataset: Dataset, tag: str = BT_TAG, origins: Sequence[str] = SYNTHETIC_ORIGINS) -> Dataset:
    """Prefixes the source of every synthetic row with `tag` (tagged back-translation, Caswell et al., 2019).

    The tag tells the model which sources are synthetic, so it can learn from back-translations without imitating
    their errors; Caswell et al. (2019) found it works as well as noising or sampling (Edunov et al., 2018).
    A source that already starts with the tag is left as it is, so tagging twice is harmless.
    """
    origins = set(origins)
    prefix = f"{tag} "

    def tag_batch(batch):
        batch["source_text"] = [
            prefix + text if origin in origins and not text.startswith(prefix) else text
            for text, origin in zip(batch["source_text"], batch["origin"])
        ]
        return batch

    return dataset.map(tag_batch, batched=True, desc="tagging synthetic sources")


def _sample_indices(n_available: int, n_wanted: int, rng: random.Random) -> list[int]:
    """`n_wanted` indices of `n_available`: without replacement, then whole extra permutations when more are wanted."""
    indices: list[int] = []
    while len(indices) < n_wanted:
        permutation = list(range(n_available))
        rng.shuffle(permutation)
        indices.extend(permutation[: n_wanted - len(indices)])
    return indices


def mix_corpora(
    real: Dataset,
    synthetic: Dataset,
    synthetic_ratio: float = 1.0,
    tag: str | bool | None = None,
    temperature_alpha: float | None = None,
    seed: int = 0,
    shuffle: bool = True,
) -> Dataset:
    """Mixes real and synthetic pairs in a chosen ratio, optionally tagged and balanced across languages.

    Args:
        real (`datasets.Dataset`): the real corpus, kept whole.
        synthetic (`datasets.Dataset`): the synthetic corpus (e.g. `BackTranslator.generate`'s output).
        synthetic_ratio (`float`, defaults to 1.0): synthetic rows per real row, e.g. 1.0 for 1:1 and 0.5 for 1:2.
            The synthetic rows are sampled without replacement, or repeated (a whole shuffled copy at a time) when
            there are too few of them (logged).
        tag (`str` or `bool`, *optional*): prefix synthetic sources with this tag (``True`` means `BT_TAG`),
            tagged back-translation (Caswell et al., 2019); add the tag to the tokenizer with `add_tag_token`.
        temperature_alpha (`float`, *optional*): afterwards resample the mix across language pairs with
            temperature-based probabilities (Conneau & Lample, 2019; see `balance_languages`), keeping its size.
        seed (`int`, defaults to 0): the seed for sampling and shuffling.
        shuffle (`bool`, defaults to `True`): shuffle the result (otherwise real rows come first).

    Returns:
        `datasets.Dataset`: ``len(real) + round(synthetic_ratio * len(real))`` rows (before balancing).
    """
    if synthetic_ratio < 0 or not math.isfinite(synthetic_ratio):
        raise ValueError(f"`synthetic_ratio` must be a non-negative number, got {synthetic_ratio}.")
    if len(real) == 0:
        raise ValueError("the real corpus is empty: the ratio is relative to its size.")
    rng = random.Random(seed)
    n_synthetic = round(synthetic_ratio * len(real))
    if n_synthetic and len(synthetic) == 0:
        raise ValueError(
            f"synthetic_ratio={synthetic_ratio} asks for {n_synthetic} synthetic rows, but none were given."
        )
    if n_synthetic > len(synthetic):
        logger.warning(
            "Only %d synthetic rows for %d wanted (ratio %s to %d real rows): repeating synthetic rows.",
            len(synthetic),
            n_synthetic,
            synthetic_ratio,
            len(real),
        )
    chosen = synthetic.select(_sample_indices(len(synthetic), n_synthetic, rng)) if n_synthetic else None
    if chosen is not None and tag:
        chosen = tag_synthetic_sources(chosen, BT_TAG if tag is True else tag)
    parts = [real.cast(CORPUS_FEATURES)] + ([chosen.cast(CORPUS_FEATURES)] if chosen is not None else [])
    mixed = concatenate_datasets(parts)
    logger.info("Mixed %d real and %d synthetic rows (ratio %s).", len(real), n_synthetic, synthetic_ratio)
    if temperature_alpha is not None:
        mixed = balance_languages(mixed, temperature_alpha, num_samples=len(mixed), seed=seed)
    if shuffle:
        mixed = mixed.shuffle(seed=seed)
    return mixed


def language_pair(row) -> str:
    """``"ind-jav"``: the key `balance_languages` groups rows by."""
    return f"{row['source_lang']}-{row['target_lang']}"


def balance_languages(
    dataset: Dataset,
    alpha: float,
    num_samples: int | None = None,
    key: str | None = None,
    seed: int = 0,
) -> Dataset:
    """Resamples a corpus across languages with temperature-scaled probabilities (Conneau & Lample, 2019).

    Group *l* with ``n_l`` rows gets ``num_samples * p_l`` rows, ``p_l ∝ n_l ** alpha``
    (`temperature_sampling_probabilities`, the function the trainer's `TemperatureLanguageSampler` uses): alpha 1
    keeps the proportions, alpha 0 gives every group the same number of rows. A group is sampled without
    replacement up to its size and by whole extra permutations beyond it.

    Args:
        dataset (`datasets.Dataset`): the corpus.
        alpha (`float`): the temperature exponent in ``[0, 1]``.
        num_samples (`int`, *optional*): rows in the result; the dataset's size by default.
        key (`str`, *optional*): the column to group by; language pairs (``source_lang-target_lang``) by default.
        seed (`int`, defaults to 0): the seed.
    """
    if key is None:
        keys = [f"{s}-{t}" for s, t in zip(dataset["source_lang"], dataset["target_lang"])]
    else:
        if key not in dataset.column_names:
            raise ValueError(f"no column {key!r}; columns found: {dataset.column_names}.")
        keys = dataset[key]
    groups: dict[str, list[int]] = {}
    for index, group in enumerate(keys):
        groups.setdefault(group, []).append(index)
    groups = dict(sorted(groups.items()))
    probabilities = temperature_sampling_probabilities({g: len(rows) for g, rows in groups.items()}, alpha)
    num_samples = len(dataset) if num_samples is None else num_samples
    # Largest-remainder rounding so that the group sizes add up to num_samples exactly.
    exact = {g: p * num_samples for g, p in probabilities.items()}
    sizes = {g: math.floor(x) for g, x in exact.items()}
    for g in sorted(exact, key=lambda g: exact[g] - sizes[g], reverse=True)[: num_samples - sum(sizes.values())]:
        sizes[g] += 1
    rng = random.Random(seed)
    indices = [groups[g][i] for g in groups for i in _sample_indices(len(groups[g]), sizes[g], rng)]
    logger.info("Balanced languages with alpha=%s: %s.", alpha, {g: (len(groups[g]), sizes[g]) for g in groups})
    return dataset.select(indices)
