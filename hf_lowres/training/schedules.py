"""Schedules of the gradient-reversal strength lambda over training (Ganin & Lempitsky, 2015)."""

from __future__ import annotations

import math


GRL_SCHEDULES = ("constant", "dann")


def constant_grl_lambda(progress: float, lambda_max: float = 1.0) -> float:
    """`lambda_max` at every step."""
    _check_progress(progress)
    return float(lambda_max)


def dann_grl_lambda(progress: float, lambda_max: float = 1.0, gamma: float = 10.0) -> float:
    r"""The DANN schedule ``lambda_p = lambda_max * (2 / (1 + exp(-gamma * p)) - 1)``.

    It rises from 0 at the start of training (`p = 0`) towards `lambda_max` (0.9999 of it at `p = 1` for
    `gamma = 10`), so that the discriminator's noisy early signal does not disturb the encoder (Ganin &
    Lempitsky, 2015, "Unsupervised Domain Adaptation by Backpropagation", section 5.2.2).

    Args:
        progress (`float`): training progress `p` in ``[0, 1]`` (optimizer steps done / total steps).
        lambda_max (`float`, defaults to 1.0): the limit of the schedule.
        gamma (`float`, defaults to 10.0): how fast it rises (the paper uses 10).

    Example:

    ```python
    >>> round(dann_grl_lambda(0.5), 6)
    0.986614
    ```
    """
    _check_progress(progress)
    return float(lambda_max) * (2.0 / (1.0 + math.exp(-gamma * progress)) - 1.0)


def grl_lambda_at(schedule: str, progress: float, lambda_max: float = 1.0, gamma: float = 10.0) -> float:
    """The gradient-reversal strength of `schedule` (`constant` or `dann`) at training progress `progress`."""
    if schedule == "constant":
        return constant_grl_lambda(progress, lambda_max)
    if schedule == "dann":
        return dann_grl_lambda(progress, lambda_max, gamma)
    raise ValueError(f"unknown gradient-reversal schedule {schedule!r}; expected one of {GRL_SCHEDULES}.")


def _check_progress(progress: float) -> None:
    if not 0.0 <= progress <= 1.0:
        raise ValueError(f"training progress must be in [0, 1], got {progress!r}.")
