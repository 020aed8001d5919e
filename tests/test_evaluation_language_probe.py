"""The language-identification probe: near 100% on separable languages, near chance when they are shuffled."""

import random

import pytest
import torch

from hf_lowres.evaluation import language_probe, train_language_probe


LANGUAGES = ["eng", "ind", "jav", "sun"]


def _clustered(n_per_language=100, dim=32, spread=2.0, seed=0):
    generator = torch.Generator().manual_seed(seed)
    centres = spread * torch.randn(len(LANGUAGES), dim, generator=generator)
    labels = [language for language in LANGUAGES for _ in range(n_per_language)]
    points = torch.stack([centres[LANGUAGES.index(language)] for language in labels])
    return points + torch.randn(points.shape, generator=generator), labels


def test_probe_is_near_perfect_on_separable_languages():
    representations, languages = _clustered()
    result = train_language_probe(representations, languages)
    assert result.accuracy >= 0.97
    assert result.chance == pytest.approx(0.25)
    assert result.num_test == 100 and result.num_train == 300
    assert result.languages == LANGUAGES


def test_probe_is_near_chance_when_languages_are_shuffled():
    representations, languages = _clustered()
    shuffled = languages[:]
    random.Random(0).shuffle(shuffled)
    result = train_language_probe(representations, shuffled)
    assert result.accuracy < result.chance + 0.15
    assert result.above_chance < 0.15


def test_probe_is_deterministic_and_per_layer():
    representations, languages = _clustered(n_per_language=40)
    noise = torch.randn(representations.shape, generator=torch.Generator().manual_seed(1))
    per_layer = language_probe({0: noise, 3: representations}, languages)
    assert sorted(per_layer) == [0, 3]
    assert per_layer[3].accuracy > per_layer[0].accuracy
    again = language_probe({0: noise, 3: representations}, languages)
    assert again[3].to_dict() == per_layer[3].to_dict()


def test_probe_input_checks():
    with pytest.raises(ValueError, match="two languages"):
        train_language_probe(torch.randn(10, 4), ["eng"] * 10)
    with pytest.raises(ValueError, match="languages for"):
        train_language_probe(torch.randn(10, 4), ["eng", "ind"])
