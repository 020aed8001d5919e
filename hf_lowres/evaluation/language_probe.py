"""A fresh linear probe that predicts the language from frozen representations: a language-invariance test."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import torch

from hf_lowres.evaluation._tensors import as_float_tensor


@dataclass
class ProbeResult:
    """Held-out accuracy of a language-identification probe, against chance.

    Args:
        accuracy (`float`): accuracy on the held-out split.
        chance (`float`): accuracy of always predicting the most frequent language of the held-out split.
        train_accuracy (`float`): accuracy on the training split.
        num_train (`int`): training examples.
        num_test (`int`): held-out examples.
        languages (`list[str]`): the classes, in the probe's label order.
    """

    accuracy: float
    chance: float
    train_accuracy: float
    num_train: int
    num_test: int
    languages: list = field(default_factory=list)

    @property
    def above_chance(self) -> float:
        """``accuracy - chance``: near 0 for language-invariant representations."""
        return self.accuracy - self.chance

    def to_dict(self) -> dict:
        return {**asdict(self), "above_chance": self.above_chance}


def _stratified_split(labels: torch.Tensor, test_size: float, generator: torch.Generator):
    train, test = [], []
    for label in labels.unique(sorted=True).tolist():
        members = (labels == label).nonzero().flatten()
        members = members[torch.randperm(len(members), generator=generator)]
        n_test = int(round(len(members) * test_size))
        n_test = min(max(n_test, 1), len(members) - 1) if len(members) > 1 else 0
        test.append(members[:n_test])
        train.append(members[n_test:])
    return torch.cat(train).sort().values, torch.cat(test).sort().values


def train_language_probe(
    representations,
    languages: Sequence,
    test_size: float = 0.25,
    seed: int = 0,
    max_iter: int = 200,
    weight_decay: float = 1e-2,
) -> ProbeResult:
    """Trains a fresh multinomial logistic-regression probe to predict the language of frozen representations.

    Low held-out accuracy (close to chance) means the representations carry little language identity, the aim of
    adversarial language-invariance training (Chen & Cardie 2018, "Unsupervised Multilingual Word Embeddings";
    Keung et al. 2019, "Adversarial Learning with Contextual Embeddings for Zero-resource Cross-lingual
    Classification and NER"). Probing follows Alain & Bengio (2017), "Understanding intermediate layers using
    linear classifier probes": a linear model on standardized features, trained with L-BFGS and L2 penalty, split
    per language so that every language is in both splits.

    Args:
        representations (`torch.Tensor` or array): ``(n, hidden)`` pooled representations.
        languages (`Sequence`): the language of each row (codes or ids).
        test_size (`float`, defaults to 0.25): held-out fraction, per language.
        seed (`int`, defaults to 0): seed of the split.
        max_iter (`int`, defaults to 200): L-BFGS iterations.
        weight_decay (`float`, defaults to 1e-2): L2 penalty on the weights.

    Returns:
        `ProbeResult`.
    """
    features = as_float_tensor(representations)
    languages = list(languages)
    if len(languages) != features.shape[0]:
        raise ValueError(f"{len(languages)} languages for {features.shape[0]} representations")
    classes = sorted(set(languages), key=str)
    if len(classes) < 2:
        raise ValueError("a language probe needs at least two languages")
    labels = torch.tensor([classes.index(language) for language in languages])
    generator = torch.Generator().manual_seed(seed)
    train_idx, test_idx = _stratified_split(labels, test_size, generator)
    if len(test_idx) == 0:
        raise ValueError("too few examples per language for a held-out split")

    # Standardize with training statistics only.
    mean = features[train_idx].mean(dim=0)
    std = features[train_idx].std(dim=0).clamp(min=1e-6)
    x = (features - mean) / std
    linear = torch.nn.Linear(x.shape[1], len(classes))
    torch.nn.init.zeros_(linear.weight)
    torch.nn.init.zeros_(linear.bias)
    optimizer = torch.optim.LBFGS(linear.parameters(), lr=1.0, max_iter=max_iter, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(linear(x[train_idx]), labels[train_idx])
        loss = loss + weight_decay * linear.weight.pow(2).sum() / 2
        loss.backward()
        return loss

    with torch.enable_grad():
        optimizer.step(closure)
    with torch.no_grad():
        predictions = linear(x).argmax(dim=1)
    test_counts = Counter(labels[test_idx].tolist())
    return ProbeResult(
        accuracy=(predictions[test_idx] == labels[test_idx]).sum().item() / len(test_idx),
        chance=max(test_counts.values()) / len(test_idx),
        train_accuracy=(predictions[train_idx] == labels[train_idx]).sum().item() / len(train_idx),
        num_train=len(train_idx),
        num_test=len(test_idx),
        languages=classes,
    )


def language_probe(representations, languages: Sequence, **kwargs) -> ProbeResult | dict[int, ProbeResult]:
    """`train_language_probe` on one layer, or a fresh probe per layer of a ``{layer: representations}`` mapping.

    Args:
        representations (`torch.Tensor`, array or `Mapping[int, torch.Tensor]`): as returned by `encode_texts`.
        languages (`Sequence`): the language of each row.
        **kwargs: passed to `train_language_probe`.

    Returns:
        `ProbeResult`, or `dict[int, ProbeResult]` keyed by layer.
    """
    if isinstance(representations, Mapping):
        return {
            layer: train_language_probe(representations[layer], languages, **kwargs)
            for layer in sorted(representations)
        }
    return train_language_probe(representations, languages, **kwargs)
