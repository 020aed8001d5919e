"""Cross-lingual retrieval P@1 and the MEXA alignment score on representations built in code."""

import numpy as np
import pytest
import torch

from hf_lowres.evaluation import cross_lingual_retrieval, mexa_alignment, mexa_alignment_score, retrieval_scores


def _random(n=200, dim=32, seed=0):
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("scoring", ["cosine", "margin"])
def test_identical_representations_retrieve_perfectly(scoring):
    x = _random()
    result = retrieval_scores(x, x.clone(), scoring=scoring)
    assert result.source_to_target == 1.0
    assert result.target_to_source == 1.0
    assert result.mean == 1.0


@pytest.mark.parametrize("scoring", ["cosine", "margin"])
def test_random_representations_are_near_chance(scoring):
    result = retrieval_scores(_random(seed=0), _random(seed=1), scoring=scoring)
    assert result.chance == pytest.approx(1 / 200)
    assert result.source_to_target < 0.04
    assert result.target_to_source < 0.04


def test_margin_scoring_resists_a_hub_direction():
    # Translations are noisy copies; a shared offset makes every target close to every source (hubness).
    source = _random(seed=0)
    noise = 0.9 * _random(seed=1)
    offset = 3 * torch.randn(32, generator=torch.Generator().manual_seed(2))
    cosine = retrieval_scores(source + offset, source + noise + offset, scoring="cosine")
    margin = retrieval_scores(source + offset, source + noise + offset, scoring="margin")
    assert margin.mean >= cosine.mean


def test_per_layer_retrieval_and_numpy_input():
    x = _random(n=50)
    layers = {0: _random(n=50, seed=5), 1: x}
    result = cross_lingual_retrieval(layers, {0: _random(n=50, seed=6), 1: x.numpy()})
    assert sorted(result) == [0, 1]
    assert result[1].mean == 1.0
    assert result[0].mean < 0.2
    assert cross_lingual_retrieval(np.asarray(x), np.asarray(x)).mean == 1.0


def test_retrieval_refuses_mismatched_sets():
    with pytest.raises(ValueError, match="same shape"):
        retrieval_scores(_random(n=10), _random(n=11))
    with pytest.raises(ValueError, match="same layers"):
        cross_lingual_retrieval({0: _random(n=10)}, {1: _random(n=10)})


def test_mexa_is_one_for_translations_and_near_zero_for_random():
    x = _random(n=100)
    assert mexa_alignment_score(x, x + 0.01 * _random(n=100, seed=3)) == 1.0
    assert mexa_alignment_score(x, _random(n=100, seed=4)) < 0.05


def _unit(degrees):
    radians = torch.deg2rad(torch.tensor(float(degrees)))
    return torch.stack([torch.cos(radians), torch.sin(radians), torch.tensor(0.0)])


def test_mexa_requires_the_pair_to_win_its_row_and_column():
    # Pair 0 wins its row (cos 20 > cos 90) but source 1 is closer to target 0 (cos 10): not aligned.
    # Pair 1 loses its row; pair 2 (orthogonal to the rest) is aligned.
    source = torch.stack([_unit(0), _unit(30), torch.tensor([0.0, 0.0, 1.0])])
    target = torch.stack([_unit(20), _unit(90), torch.tensor([0.0, 0.0, 1.0])])
    similarities = source @ target.T
    assert similarities[0, 0] > similarities[0, 1:].max()
    assert similarities[1, 0] > similarities[0, 0]
    assert mexa_alignment_score(source, target) == pytest.approx(1 / 3)
    # Retrieval only looks at rows: source 0 does retrieve target 0.
    assert retrieval_scores(source, target).source_to_target == pytest.approx(2 / 3)


def test_mexa_per_layer_mean_and_max():
    x = _random(n=40)
    result = mexa_alignment({0: _random(n=40, seed=8), 1: x, 2: x}, {0: _random(n=40, seed=9), 1: x, 2: x * 2})
    assert result.per_layer[1] == result.per_layer[2] == 1.0
    assert result.max == 1.0
    assert result.best_layer in (1, 2)
    assert result.mean == pytest.approx((result.per_layer[0] + 2.0) / 3)
