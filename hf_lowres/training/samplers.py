"""The sampler that composes a cross-lingual training step from up to three data sources."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import torch
from torch.utils.data import Sampler

from hf_lowres.data.language_sampling import TemperatureLanguageSampler


def _group_by_language(languages: Sequence) -> dict:
    grouped: dict = {}
    for index, language in enumerate(languages):
        grouped.setdefault(language, []).append(index)
    return grouped


class CrossLingualStepSampler(Sampler[tuple]):
    r"""Yields `(task_index, unlabeled_index, pair_index)` keys for a `CrossLingualStepDataset`.

    Every position of an epoch combines one task example, one unlabeled example and one parallel pair (an index is
    `None` when its source is not used), so a batch of `B` keys carries `B` examples of each source. The three
    streams are functions of `(seed, epoch)` only:

    - task: a seeded permutation, or, when `alpha` is set and the task rows have languages, the temperature
      sampler of `hf_lowres.data` (language `l` drawn with probability proportional to `n_l ** alpha`, Conneau &
      Lample, 2019, "Cross-lingual Language Model Pretraining");
    - unlabeled: always language-balanced by the same temperature sampler (`alpha` defaults to 1, proportional);
    - pairs: seeded permutations, cycled when the pairs are fewer than the task examples.

    Resuming is exact through the Trainer's own skipping of the batches already seen, because the sequence does not
    depend on anything else; `state_dict` records the seed, epoch, alpha and position so that a resume can check
    that it continues the same sequence.

    Args:
        num_task_examples (`int`): size of the task dataset (the epoch length).
        task_languages (`Sequence`, *optional*): the language of each task row, for temperature sampling.
        unlabeled_languages (`Sequence`, *optional*): the language of each unlabeled row; `None` when there is no
            unlabeled source.
        num_pairs (`int`, *optional*): size of the parallel dataset; `None` when there is none.
        alpha (`float`, *optional*): the temperature exponent; `None` shuffles the task rows uniformly and samples
            unlabeled text in proportion to the data.
        seed (`int`, defaults to 0): the seed.
    """

    def __init__(
        self,
        num_task_examples: int,
        task_languages: Sequence | None = None,
        unlabeled_languages: Sequence | None = None,
        num_pairs: int | None = None,
        alpha: float | None = None,
        seed: int = 0,
    ):
        if num_task_examples <= 0:
            raise ValueError(f"the task dataset is empty (num_task_examples={num_task_examples}).")
        if num_pairs is not None and num_pairs <= 0:
            raise ValueError("the parallel dataset is empty.")
        self.num_samples = int(num_task_examples)
        self.alpha = alpha
        self.seed = int(seed)
        self.epoch = 0
        self._position = 0
        self.task_sampler = None
        if alpha is not None and task_languages is not None and len(set(task_languages)) > 1:
            self.task_sampler = TemperatureLanguageSampler(
                indices_per_language=_group_by_language(task_languages),
                alpha=alpha,
                num_samples=self.num_samples,
                seed=self.seed,
            )
        self.unlabeled_sampler = None
        if unlabeled_languages is not None:
            if len(unlabeled_languages) == 0:
                raise ValueError("the unlabeled dataset is empty.")
            self.unlabeled_sampler = TemperatureLanguageSampler(
                indices_per_language=_group_by_language(unlabeled_languages),
                alpha=1.0 if alpha is None else alpha,
                num_samples=self.num_samples,
                seed=self.seed + 1,
            )
        self.num_pairs = num_pairs

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Moves to the sequence of `epoch` (the Trainer calls it at the start of every epoch)."""
        if epoch != self.epoch:
            self.epoch = int(epoch)
            self._position = 0

    def _generator(self, stream: int) -> torch.Generator:
        return torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch * 101 + stream)

    def _stream(self, sampler: TemperatureLanguageSampler, seed: int) -> list[int]:
        sampler.load_state_dict({"seed": seed, "epoch": self.epoch, "position": 0, "alpha": sampler.alpha})
        return list(sampler)

    def epoch_keys(self) -> list[tuple]:
        """All keys of the current epoch, in order."""
        if self.task_sampler is not None:
            task = self._stream(self.task_sampler, self.seed)
        else:
            task = torch.randperm(self.num_samples, generator=self._generator(0)).tolist()
        unlabeled = self._stream(self.unlabeled_sampler, self.seed + 1) if self.unlabeled_sampler is not None else None
        pairs = None
        if self.num_pairs is not None:
            generator = self._generator(2)
            rounds = -(-self.num_samples // self.num_pairs)
            pairs = torch.cat([torch.randperm(self.num_pairs, generator=generator) for _ in range(rounds)]).tolist()
        return [
            (task[i], None if unlabeled is None else unlabeled[i], None if pairs is None else pairs[i])
            for i in range(self.num_samples)
        ]

    def __iter__(self) -> Iterator[tuple]:
        keys = self.epoch_keys()
        while self._position < self.num_samples:
            key = keys[self._position]
            self._position += 1
            yield key
        self._position = 0

    def state_dict(self) -> dict:
        """Seed, epoch, alpha and how many keys of the epoch were handed out (read-ahead of the loader included)."""
        return {"seed": self.seed, "epoch": self.epoch, "position": self._position, "alpha": self.alpha}

    def load_state_dict(self, state: Mapping, restore_position: bool = True) -> None:
        """Restores a `state_dict`; raises if it was saved with another alpha.

        Args:
            state (`Mapping`): what `state_dict` returned.
            restore_position (`bool`, defaults to `True`): also continue from the saved position. The trainer passes
                `False`, because the Trainer itself skips the batches already trained on.
        """
        if state.get("alpha", self.alpha) != self.alpha:
            raise ValueError(f"state was saved with alpha={state['alpha']}, this sampler has alpha={self.alpha}.")
        self.seed = int(state["seed"])
        self.epoch = int(state["epoch"])
        position = int(state["position"]) if restore_position else 0
        if not 0 <= position <= self.num_samples:
            raise ValueError(f"state position {position} is outside [0, {self.num_samples}].")
        self._position = position
