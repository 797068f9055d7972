"""Reward variants of section 3.2.3 as named, pure, batched functions.

Every variant maps a :class:`RewardInputs` of ``(B,)`` arrays to ``(B,)`` rewards:

* ``raw`` — ``-f(theta_t)`` (eq. 5);
* ``normalized`` — ``-(f(theta_t) - f*) / (f(theta_0) - f*)`` (eq. 6);
* ``running_mean`` — ``-(f(theta_t) - f*) / (fbar_k - f*)`` (eq. 7), ``fbar_k`` the mean of f
  over the (up to) ``k`` iterates *before* ``theta_t``; at the first step that is
  ``theta_0`` alone, so the first running-mean reward equals the normalised one;
* ``final`` — ``-f(theta_T)`` at the last step, 0 before (sparse);
* ``log_best`` (beyond the paper) — ``log10(r_{t-1} / r_t)``, ``r_t`` the regret of the best
  value found so far (the start included), floored at ``LOG_FLOOR`` times the start's regret:
  the decades of regret this step gained. An episode's return is ``log10(r_0 / r_T)``, the
  final normalised regret of the best point on a log scale, which is what the optimiser
  returns and what validation scores; every decade counts the same, the last ones included.

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
    best: np.ndarray | None = None  # the best value over the iterates before this one (log_best)


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


LOG_FLOOR = 1e-16
"""``log_best`` counts regrets below this fraction of the start's regret as this fraction (the
validation tables' floor), so a return is at most 16 decades."""


def log_best(r: RewardInputs) -> np.ndarray:
    if r.best is None:
        raise ValueError("the log_best reward needs the best value before this step (RewardInputs.best)")
    span = np.maximum(r.f0 - r.f_star, 1e-12 * np.maximum(1.0, np.abs(r.f_star)))
    floor = LOG_FLOOR * span
    before = np.maximum(r.best - r.f_star, floor)
    after = np.maximum(np.minimum(r.best, r.f) - r.f_star, floor)
    return np.log10(before / after)


REWARDS: dict[str, Callable[[RewardInputs], np.ndarray]] = {
    "running_mean": running_mean,
    "normalized": normalized,
    "raw": raw,
    "final": final,
    "log_best": log_best,
}
"""Reward variants by name; ``running_mean`` (eq. 7) is the environment's default."""


def reward_parts(r: RewardInputs) -> dict[str, np.ndarray]:
    """Every variant at once (the environment reports them all in ``info["rewards"]``); without
    ``r.best``, every variant but ``log_best``."""
    return {name: fn(r) for name, fn in REWARDS.items() if r.best is not None or name != "log_best"}


def running_mean_of(history: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Mean of the ``count`` most recent entries of each ring buffer row ``(B, k)``.

    Entries beyond ``count`` are NaN-free zeros; the ring order does not matter for a mean.
    """
    k = history.shape[1]
    valid = np.arange(k)[None, :] < np.minimum(count, k)[:, None]
    return np.sum(np.where(valid, history, 0.0), axis=1) / np.maximum(np.minimum(count, k), 1)
