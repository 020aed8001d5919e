"""Temperature-based sampling across languages (Conneau & Lample, 2019).

A language with ``n_l`` examples is drawn with probability ``p_l ∝ n_l ** alpha``: ``alpha = 1`` samples in
proportion to the data, ``alpha -> 0`` samples every language equally often, values in between (XLM uses 0.5,
XLM-R 0.3) up-sample low-resource languages without repeating them endlessly. `mix_corpora` and the trainer's
`TemperatureLanguageSampler` share `temperature_sampling_probabilities`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence

import torch
from torch.utils.data import Sampler


def temperature_sampling_probabilities(counts: Mapping[str, int], alpha: float) -> dict[str, float]:
    """Sampling probabilities ``p_l = n_l^alpha / sum_k n_k^alpha`` (Conneau & Lample, 2019).

    Args:
        counts (`Mapping[str, int]`): examples per language, e.g. ``{"ind": 10000, "jav": 500}``.
        alpha (`float`): the exponent, in ``[0, 1]``: 1 keeps the data proportions, 0 gives a uniform distribution.

    Returns:
        `dict[str, float]`: a probability per language (same keys and order), summing to 1. A language with 0
        examples gets probability 0.

    Raises:
        ValueError: empty counts, a negative or non-integer count, all counts 0, or alpha outside ``[0, 1]``.

    Example:

    ```python
    >>> temperature_sampling_probabilities({"ind": 900, "jav": 100}, alpha=0.5)
    {'ind': 0.75, 'jav': 0.25}
    ```
    """
    if not isinstance(counts, Mapping) or not counts:
        raise ValueError(f"`counts` must be a non-empty mapping of language -> number of examples, got {counts!r}.")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not math.isfinite(alpha):
        raise ValueError(f"`alpha` must be a finite number in [0, 1], got {alpha!r}.")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"`alpha` must be in [0, 1] (1 = proportional, 0 = uniform), got {alpha}.")
    bad = {lang: n for lang, n in counts.items() if isinstance(n, bool) or not isinstance(n, int) or n < 0}
    if bad:
        raise ValueError(f"counts must be non-negative integers; got {bad}.")
    if sum(counts.values()) == 0:
        raise ValueError(f"every language has 0 examples: {dict(counts)}.")
    weights = {lang: (float(n) ** alpha if n > 0 else 0.0) for lang, n in counts.items()}
    total = sum(weights.values())
    return {lang: w / total for lang, w in weights.items()}


class TemperatureLanguageSampler(Sampler[int]):
    """Draws dataset indices language by language with temperature-scaled probabilities (Conneau & Lample, 2019).

    Each draw picks a language with `temperature_sampling_probabilities` and then the next index of that language
    from a seeded permutation of its indices (a fresh permutation whenever one is used up), so low-resource
    languages are up-sampled without replacement inside a pass over them. The sequence depends only on the seed,
    the epoch and the data: `state_dict` / `load_state_dict` resume it exactly where it stopped, and `set_epoch`
    moves to the next epoch's sequence.

    Args:
        data_source (`datasets.Dataset` or a sequence of rows, *optional*): a dataset with a language column.
        language_column (`str`, defaults to `"lang"`): the column naming each row's language.
        indices_per_language (`Mapping[str, Sequence[int]]`, *optional*): the indices of each language, instead of
            `data_source`.
        alpha (`float`, defaults to 0.3): the temperature exponent (1 = proportional, 0 = uniform).
        num_samples (`int`, *optional*): indices per epoch; the total number of indices by default.
        seed (`int`, defaults to 0): the seed.

    Example:

    ```python
    >>> by_language = {"ind": range(900), "jav": range(900, 1000)}
    >>> sampler = TemperatureLanguageSampler(indices_per_language=by_language, alpha=0.0)
    >>> loader = torch.utils.data.DataLoader(dataset, batch_size=32, sampler=sampler)
    ```
    """

    def __init__(
        self,
        data_source=None,
        language_column: str = "lang",
        indices_per_language: Mapping[str, Sequence[int]] | None = None,
        alpha: float = 0.3,
        num_samples: int | None = None,
        seed: int = 0,
    ):
        if (data_source is None) == (indices_per_language is None):
            raise ValueError("pass exactly one of `data_source` and `indices_per_language`.")
        if indices_per_language is None:
            column_names = getattr(data_source, "column_names", None)
            if column_names is not None and language_column not in column_names:
                raise ValueError(f"the dataset has no column {language_column!r}; columns found: {column_names}.")
            languages = data_source[language_column] if column_names is not None else None
            if languages is None:
                languages = [row[language_column] for row in data_source]
            grouped: dict[str, list[int]] = {}
            for index, language in enumerate(languages):
                grouped.setdefault(language, []).append(index)
            indices_per_language = grouped
        self.languages = sorted(indices_per_language)
        self.indices = {
            lang: torch.as_tensor(list(indices_per_language[lang]), dtype=torch.long) for lang in self.languages
        }
        empty = [lang for lang in self.languages if len(self.indices[lang]) == 0]
        if empty:
            raise ValueError(f"languages with no indices: {empty}.")
        counts = {lang: len(self.indices[lang]) for lang in self.languages}
        self.probabilities = temperature_sampling_probabilities(counts, alpha)
        self.alpha = alpha
        total = sum(counts.values())
        self.num_samples = total if num_samples is None else int(num_samples)
        if self.num_samples <= 0:
            raise ValueError(f"`num_samples` must be positive, got {num_samples}.")
        self.seed = int(seed)
        self.epoch = 0
        self._position = 0

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Moves to the sequence of `epoch` (from its start, unless a loaded state already points into it)."""
        if epoch != self.epoch:
            self.epoch = int(epoch)
            self._position = 0

    def _epoch_sequence(self) -> torch.Tensor:
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        weights = torch.tensor([self.probabilities[lang] for lang in self.languages], dtype=torch.double)
        choices = torch.multinomial(weights, self.num_samples, replacement=True, generator=generator)
        sequence = torch.empty(self.num_samples, dtype=torch.long)
        for k, lang in enumerate(self.languages):
            where = (choices == k).nonzero(as_tuple=True)[0]
            if len(where) == 0:
                continue
            pool = self.indices[lang]
            n_perms = math.ceil(len(where) / len(pool))
            order = torch.cat([torch.randperm(len(pool), generator=generator) for _ in range(n_perms)])
            sequence[where] = pool[order[: len(where)]]
        return sequence

    def __iter__(self) -> Iterator[int]:
        sequence = self._epoch_sequence()
        while self._position < self.num_samples:
            index = int(sequence[self._position])
            self._position += 1
            yield index
        self._position = 0

    def state_dict(self) -> dict:
        """The position in the sequence: seed, epoch and how many indices of the epoch were handed out."""
        return {"seed": self.seed, "epoch": self.epoch, "position": self._position, "alpha": self.alpha}

    def load_state_dict(self, state: Mapping) -> None:
        """Restores a `state_dict`; the next iteration continues the same sequence where it stopped."""
        if state.get("alpha", self.alpha) != self.alpha:
            raise ValueError(f"state was saved with alpha={state['alpha']}, this sampler has alpha={self.alpha}.")
        self.seed = int(state["seed"])
        self.epoch = int(state["epoch"])
        position = int(state["position"])
        if not 0 <= position <= self.num_samples:
            raise ValueError(f"state position {position} is outside [0, {self.num_samples}].")
        self._position = position
