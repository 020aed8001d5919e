"""Temperature sampling probabilities and the resumable `TemperatureLanguageSampler`."""

import itertools
from collections import Counter

import pytest
from datasets import Dataset

from hf_lowres.data import TemperatureLanguageSampler, temperature_sampling_probabilities


def test_probabilities_limits():
    counts = {"ind": 1000, "jav": 100, "sun": 10}
    assert temperature_sampling_probabilities(counts, 1.0) == pytest.approx(
        {"ind": 1000 / 1110, "jav": 100 / 1110, "sun": 10 / 1110}
    )
    assert temperature_sampling_probabilities(counts, 0.0) == pytest.approx({"ind": 1 / 3, "jav": 1 / 3, "sun": 1 / 3})
    half = temperature_sampling_probabilities({"ind": 900, "jav": 100}, 0.5)
    assert half == pytest.approx({"ind": 0.75, "jav": 0.25})
    assert list(half) == ["ind", "jav"] and sum(half.values()) == pytest.approx(1.0)
    p3 = temperature_sampling_probabilities(counts, 0.3)
    assert p3["sun"] > 10 / 1110 and p3["ind"] < 1000 / 1110  # low-resource languages are up-sampled
    assert temperature_sampling_probabilities({"ind": 5, "jav": 0}, 0.0) == {"ind": 1.0, "jav": 0.0}


@pytest.mark.parametrize(
    "counts, alpha, message",
    [
        ({}, 0.5, "non-empty mapping"),
        ({"ind": -1}, 0.5, "non-negative integers"),
        ({"ind": 1.5}, 0.5, "non-negative integers"),
        ({"ind": 0, "jav": 0}, 0.5, "every language has 0 examples"),
        ({"ind": 1}, 1.5, r"in \[0, 1\]"),
        ({"ind": 1}, -0.1, r"in \[0, 1\]"),
        ({"ind": 1}, float("nan"), "finite"),
        ({"ind": 1}, "0.5", "finite number"),
    ],
)
def test_probabilities_validation(counts, alpha, message):
    with pytest.raises(ValueError, match=message):
        temperature_sampling_probabilities(counts, alpha)


def dataset():
    return Dataset.from_dict({"lang": ["ind"] * 90 + ["jav"] * 10, "text": [str(i) for i in range(100)]})


def test_sampler_from_dataset_follows_probabilities():
    sampler = TemperatureLanguageSampler(dataset(), alpha=0.0, num_samples=4000, seed=1)
    langs = Counter("ind" if i < 90 else "jav" for i in sampler)
    assert len(sampler) == 4000 and abs(langs["jav"] - 2000) < 150
    proportional = TemperatureLanguageSampler(dataset(), alpha=1.0, num_samples=4000, seed=1)
    assert abs(sum(1 for i in proportional if i >= 90) - 400) < 80


def test_sampler_goes_through_a_language_before_repeating():
    sampler = TemperatureLanguageSampler(indices_per_language={"ind": range(90), "jav": range(90, 100)}, alpha=0.0)
    jav = [i for i in sampler if i >= 90]
    assert len(jav) > 10 and sorted(jav[:10]) == list(range(90, 100))


def test_sampler_is_seeded_and_epochs_differ():
    a, b = TemperatureLanguageSampler(dataset(), seed=5), TemperatureLanguageSampler(dataset(), seed=5)
    assert list(a) == list(b)
    assert list(a) == list(a)  # same epoch, same sequence
    a.set_epoch(1)
    assert list(a) != list(b)
    assert list(TemperatureLanguageSampler(dataset(), seed=6)) != list(b)


def test_sampler_resumes_the_exact_sequence():
    full = TemperatureLanguageSampler(dataset(), alpha=0.3, seed=2)
    full.set_epoch(3)
    expected = list(full)
    interrupted = TemperatureLanguageSampler(dataset(), alpha=0.3, seed=2)
    interrupted.set_epoch(3)
    first = list(itertools.islice(iter(interrupted), 37))
    state = interrupted.state_dict()
    assert state == {"seed": 2, "epoch": 3, "position": 37, "alpha": 0.3}
    resumed = TemperatureLanguageSampler(dataset(), alpha=0.3, seed=0)
    resumed.load_state_dict(state)
    assert first + list(resumed) == expected
    with pytest.raises(ValueError, match="alpha=0.3"):
        TemperatureLanguageSampler(dataset(), alpha=0.5).load_state_dict(state)


def test_sampler_validation():
    with pytest.raises(ValueError, match="exactly one"):
        TemperatureLanguageSampler()
    with pytest.raises(ValueError, match="no column 'language'"):
        TemperatureLanguageSampler(dataset(), language_column="language")
    with pytest.raises(ValueError, match="languages with no indices"):
        TemperatureLanguageSampler(indices_per_language={"ind": [0], "jav": []})


def test_sampler_in_a_dataloader():
    import torch

    data = dataset()
    loader = torch.utils.data.DataLoader(
        range(100), batch_size=10, sampler=TemperatureLanguageSampler(data, alpha=0.0, seed=0)
    )
    batches = list(loader)
    assert sum(len(b) for b in batches) == 100
