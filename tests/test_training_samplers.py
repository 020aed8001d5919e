"""`CrossLingualStepSampler`: temperature-sampled languages, determinism, epochs and state."""

import math
from collections import Counter

import pytest

from hf_lowres.data import temperature_sampling_probabilities
from hf_lowres.training import CrossLingualStepSampler


COUNTS = {"eng": 800, "ind": 150, "jav": 50}


def languages_of(counts):
    return [lang for lang, n in counts.items() for _ in range(n)]


def assert_frequencies(drawn_languages, alpha):
    """Each language's share is within 5 standard deviations of the binomial around its predicted probability."""
    expected = temperature_sampling_probabilities(COUNTS, alpha)
    n = len(drawn_languages)
    observed = Counter(drawn_languages)
    for lang, p in expected.items():
        sigma = math.sqrt(p * (1 - p) / n)
        assert abs(observed[lang] / n - p) < 5 * sigma, (lang, observed[lang] / n, p)


@pytest.mark.parametrize("alpha", [1.0, 0.3, 0.0])
def test_unlabeled_languages_follow_temperature_probabilities(alpha):
    unlabeled = languages_of(COUNTS)
    sampler = CrossLingualStepSampler(20_000, unlabeled_languages=unlabeled, alpha=alpha, seed=3)
    drawn = [unlabeled[j] for _, j, _ in sampler]
    assert_frequencies(drawn, alpha)


def test_task_languages_follow_temperature_probabilities():
    task = languages_of(COUNTS)
    sampler = CrossLingualStepSampler(len(task), task_languages=task, alpha=0.5, seed=0)
    drawn = []
    for epoch in range(20):  # 20 epochs of 1000 draws
        sampler.set_epoch(epoch)
        drawn += [task[i] for i, _, _ in sampler]
    assert_frequencies(drawn, 0.5)


def test_without_alpha_task_is_a_permutation_and_pairs_cycle():
    sampler = CrossLingualStepSampler(10, num_pairs=4, seed=0)
    keys = list(sampler)
    assert sorted(k[0] for k in keys) == list(range(10))
    assert all(k[1] is None for k in keys)
    pairs = [k[2] for k in keys]
    assert sorted(pairs[:4]) == [0, 1, 2, 3] and sorted(pairs[4:8]) == [0, 1, 2, 3]


def test_deterministic_per_seed_and_epoch():
    unlabeled = languages_of({"eng": 30, "jav": 10})
    make = lambda seed: CrossLingualStepSampler(16, unlabeled_languages=unlabeled, num_pairs=5, alpha=0.5, seed=seed)  # noqa: E731
    assert list(make(0)) == list(make(0))
    assert list(make(0)) != list(make(1))
    sampler = make(0)
    first = list(sampler)
    sampler.set_epoch(1)
    assert list(sampler) != first
    sampler.set_epoch(0)
    assert list(sampler) == first


def test_state_dict_resumes_the_sequence():
    sampler = CrossLingualStepSampler(12, num_pairs=5, alpha=0.5, seed=4)
    sampler.set_epoch(2)
    iterator = iter(sampler)
    head = [next(iterator) for _ in range(5)]
    state = sampler.state_dict()
    assert state == {"seed": 4, "epoch": 2, "position": 5, "alpha": 0.5}
    resumed = CrossLingualStepSampler(12, num_pairs=5, alpha=0.5, seed=0)
    resumed.load_state_dict(state)
    assert head + list(resumed) == _full(4, 2)
    with pytest.raises(ValueError, match="alpha"):
        CrossLingualStepSampler(12, alpha=0.3).load_state_dict(state)


def _full(seed, epoch):
    sampler = CrossLingualStepSampler(12, num_pairs=5, alpha=0.5, seed=seed)
    sampler.set_epoch(epoch)
    return list(sampler)


def test_empty_sources_are_refused():
    with pytest.raises(ValueError, match="task dataset is empty"):
        CrossLingualStepSampler(0)
    with pytest.raises(ValueError, match="parallel dataset is empty"):
        CrossLingualStepSampler(3, num_pairs=0)
