"""Reward variants of section 3.2.3 as named, pure, batched functions.

Every variant maps a :class:`RewardInputs` of ``(B,)`` arrays to ``(B,)`` rewards:

* ``raw`` — ``-f(theta_t)`` (eq. 5);
* ``normalized`` — ``-(f(theta_t) - f*) / (f(theta_0) - f*)`` (eq. 6);
* ``running_mean`` — ``-(f(theta_t) - f*) / (fbar_k - f*)`` (eq. 7), ``fbar_k`` the mean of f
  over the (up to) ``k`` iterates *before* ``theta_t``; at the first step that is
  ``theta_0`` alone, so the first running-mean reward equals the normalised one;
* ``final`` — ``-f(theta_T)`` at the last step, 0 before (sparse).

The normalised variants divide by a regret that can be (numerically) zero when the start or the
recent iterates sit at the optimum; the denominator is floored at ``1e-12 * max(1, |f*|)``, and
both are clipped below at ``-clip`` so one bad step cannot dominate a batch of returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np


class RewardInputs(NamedTuple):
    f: np.ndarray  # noiseless value at the new iterate
    f_star: np.ndarray  # global minimum
    f0: np.ndarray  # value at the initial iterate
    f_mean: np.ndarray  # mean value over the last k iterates before this one
    last: np.ndarray  # bool: this step ends the episode
    clip: float  # lower clip of the normalised variants (np.inf: none)


def _ratio(num: np.ndarray, den: np.ndarray, f_star: np.ndarray) -> np.ndarray:
    floor = 1e-12 * np.maximum(1.0, np.abs(f_star))
    return num / np.maximum(den, floor)


def raw(r: RewardInputs) -> np.ndarray:
    return -r.f


def normalized(r: RewardInputs) -> np.ndarray:
    return np.maximum(-_ratio(r.f - r.f_star, r.f0 - r.f_star, r.f_star), -r.clip)


def running_mean(r: RewardInputs) -> np.ndarray:
    return np.maximum(-_ratio(r.f - r.f_star, r.f_mean - r.f_star, r.f_star), -r.clip)


def final(r: RewardInputs) -> np.ndarray:
    return np.where(r.last, -r.f, 0.0)


REWARDS: dict[str, Callable[[RewardInputs], np.ndarray]] = {
    "running_mean": running_mean,
    "normalized": normalized,
    "raw": raw,
    "final": final,
}
"""Reward variants by name; ``running_mean`` (eq. 7) is the environment's default."""


def reward_parts(r: RewardInputs) -> dict[str, np.ndarray]:
    """Every variant at once (the environment reports them all in ``info["rewards"]``)."""
    return {name: fn(r) for name, fn in REWARDS.items()}


def running_mean_of(history: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Mean of the ``count`` most recent entries of each ring buffer row ``(B, k)``.

    Entries beyond ``count`` are NaN-free zeros; the ring order does not matter for a mean.
    """
    k = history.shape[1]
    valid = np.arange(k)[None, :] < np.minimum(count, k)[:, None]
    return np.sum(np.where(valid, history, 0.0), axis=1) / np.maximum(np.minimum(count, k), 1)
