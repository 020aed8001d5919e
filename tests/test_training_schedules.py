"""Gradient-reversal schedules."""

import math

import pytest

from hf_lowres.training import constant_grl_lambda, dann_grl_lambda, grl_lambda_at


@pytest.mark.parametrize("progress", [0.0, 0.1, 0.25, 0.5, 0.9, 1.0])
def test_dann_schedule_values_are_exact(progress):
    expected = 2.0 / (1.0 + math.exp(-10.0 * progress)) - 1.0
    assert dann_grl_lambda(progress) == expected
    assert dann_grl_lambda(progress, lambda_max=0.5) == 0.5 * expected
    assert grl_lambda_at("dann", progress) == expected
    # The same curve written as tanh(gamma * p / 2).
    assert dann_grl_lambda(progress, gamma=4.0) == pytest.approx(math.tanh(2.0 * progress), abs=1e-15)


def test_dann_schedule_shape():
    assert dann_grl_lambda(0.0) == 0.0
    values = [dann_grl_lambda(p / 10) for p in range(11)]
    assert values == sorted(values) and values[-1] < 1.0
    assert dann_grl_lambda(0.5) == pytest.approx(0.9866142981514305, abs=1e-15)


def test_constant_schedule_and_errors():
    assert constant_grl_lambda(0.3, 0.7) == 0.7
    assert grl_lambda_at("constant", 0.0, 2.0) == 2.0
    with pytest.raises(ValueError, match="unknown gradient-reversal schedule"):
        grl_lambda_at("linear", 0.5)
    with pytest.raises(ValueError, match=r"progress must be in \[0, 1\]"):
        dann_grl_lambda(1.5)
