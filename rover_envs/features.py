"""Scale-free statistics of an agent's own history, observed beside the rescaled grid.

The ``[0, 1]``-rescaled grid hides the scale of the function and the optimiser's progress.
Controllers that generalise (CMA-ES's step-size adaptation, the 1/5th success rule, learned
step-size controllers) observe statistics of their own history instead. With
``features=True`` the environment's observation is ``{"grid": ..., "features": ...}`` and
``features`` holds, per step (``FEATURE_NAMES``, every entry invariant to ``f -> a f + b``
with ``a > 0`` and to scaling the coordinates, alpha and delta together):

* ``step_accepted`` — the last step's end point was lower than the grid's centre before it (eq.
  4's move: the new centre is lower than the old one); 0 before the first step;
* ``improved`` — the iterate's observed value went down on the last step (differs from
  ``step_accepted`` when the move rule falls back to the grid's best sample);
* ``success_rate`` — an exponential average of ``step_accepted`` (weight ``SUCCESS_DECAY``);
* ``progress`` — ``t / horizon``;
* ``log_alpha_over_delta`` — ``log(alpha / delta) / 4`` (the grid's extent against the step);
* ``range_change`` — ``log`` of this grid's range (max - min) over the previous grid's, clipped
  to +-10 and divided by 10; 0 at the first step;
* ``min_on_border`` — the grid's minimum lies on its border;
* ``growth`` — ``log(range of the whole grid / range of its inner 3x3) / log 9``: about 1 near a
  smooth minimum (quadratic growth), 1/2 on a slope (linear), 0 under ripples finer than delta;
  clipped to [-1, 2];
* ``log_alpha_change``, ``log_delta_change`` — ``log(alpha / alpha0) / 10`` and
  ``log(delta / delta0) / 10``: how far the schedule has moved since the start.

Every entry is clipped to ``[-FEATURE_BOUND, FEATURE_BOUND]``. Values are the observed ones
(noisy with ``noise > 0``); NaN or inf samples count as the grid's worst value, as in the
rescaled grid. The environments and ``RoverDescent`` compute them with
this one class.
"""

from __future__ import annotations

import numpy as np

FEATURE_NAMES = (
    "step_accepted",
    "improved",
    "success_rate",
    "progress",
    "log_alpha_over_delta",
    "range_change",
    "min_on_border",
    "growth",
    "log_alpha_change",
    "log_delta_change",
)
N_FEATURES = len(FEATURE_NAMES)
FEATURE_BOUND = 10.0
"""Every feature is clipped to [-FEATURE_BOUND, FEATURE_BOUND] (the observation space's box)."""
SUCCESS_DECAY = 0.2
_TINY = 1e-300


def _finite_grid(grid: np.ndarray) -> np.ndarray:
    """Non-finite samples replaced by the grid's largest finite value (0 if none is finite)."""
    finite = np.isfinite(grid)
    worst = np.max(np.where(finite, grid, -np.inf), axis=(-2, -1), keepdims=True)
    worst = np.where(np.isfinite(worst), worst, 0.0)
    return np.where(finite, grid, worst)


def grid_statistics(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(range, min_on_border, growth)`` of raw grids ``(B, n, n)``, n odd and >= 3."""
    g = _finite_grid(np.asarray(grid, dtype=float))
    B, n, _ = g.shape
    flat = g.reshape(B, -1)
    span = np.max(flat, axis=1) - np.min(flat, axis=1)
    j = np.argmin(flat, axis=1)
    row, col = np.divmod(j, n)
    border = (row == 0) | (col == 0) | (row == n - 1) | (col == n - 1)
    c = n // 2
    inner = g[:, c - 1 : c + 2, c - 1 : c + 2].reshape(B, -1)
    inner_span = np.max(inner, axis=1) - np.min(inner, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.log(np.maximum(span, _TINY) / np.maximum(inner_span, _TINY)) / np.log(9.0)
    growth = np.where(span > 0, np.clip(growth, -1.0, 2.0), 0.0)
    return span, border.astype(float), growth


class HistoryFeatures:
    """The features of ``B`` slots; :meth:`reset` at an episode's first grid, :meth:`update`
    after every step. ``values`` holds the current features ``(B, N_FEATURES)``."""

    def __init__(self, num_slots: int, horizon: int):
        self.horizon = horizon
        B = num_slots
        self.values = np.zeros((B, N_FEATURES), np.float32)
        self.centre = np.zeros(B)
        self.span = np.ones(B)
        self.rate = np.zeros(B)
        self.alpha0 = np.ones(B)
        self.delta0 = np.ones(B)

    def grow(self, num_slots: int) -> None:
        """Room for ``num_slots`` slots (new ones hold no episode until :meth:`reset`)."""
        extra = num_slots - len(self.centre)
        if extra <= 0:
            return
        self.values = np.concatenate([self.values, np.zeros((extra, N_FEATURES), np.float32)])
        for name, fill in (("centre", 0.0), ("span", 1.0), ("rate", 0.0), ("alpha0", 1.0), ("delta0", 1.0)):
            setattr(self, name, np.concatenate([getattr(self, name), np.full(extra, fill)]))

    def reset(self, idx, grid: np.ndarray, alpha: np.ndarray, delta: np.ndarray) -> None:
        """Slots ``idx`` start an episode at the raw grids ``grid (len(idx), n, n)``."""
        span, border, growth = grid_statistics(grid)
        n = grid.shape[-1]
        self.centre[idx] = _finite_grid(np.asarray(grid, dtype=float))[:, n // 2, n // 2]
        self.span[idx] = span
        self.rate[idx] = 0.0
        self.alpha0[idx], self.delta0[idx] = alpha, delta
        zero = np.zeros(len(span))
        self._write(idx, zero, zero, zero, alpha, delta, np.ones_like(span), border, growth)

    def update(
        self,
        idx,
        grid: np.ndarray,
        accepted: np.ndarray | None,
        t: np.ndarray,
        alpha: np.ndarray,
        delta: np.ndarray,
    ) -> None:
        """Slots ``idx`` after a step: their new raw grids, whether the step's end point was lower
        than the old centre (``accepted``; ``None`` when the rule did not evaluate it, as eq. 4's
        move, whose step's end is the new centre), the step count ``t`` and the new alpha, delta."""
        span, border, growth = grid_statistics(grid)
        n = grid.shape[-1]
        centre = _finite_grid(np.asarray(grid, dtype=float))[:, n // 2, n // 2]
        improved = (centre < self.centre[idx]).astype(float)
        accepted = improved if accepted is None else np.asarray(accepted, dtype=float)
        self.rate[idx] = (1.0 - SUCCESS_DECAY) * self.rate[idx] + SUCCESS_DECAY * accepted
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.maximum(span, _TINY) / np.maximum(self.span[idx], _TINY)
        self.centre[idx], self.span[idx] = centre, span
        self._write(idx, accepted, improved, t / self.horizon, alpha, delta, ratio, border, growth)

    def _write(self, idx, accepted, improved, progress, alpha, delta, ratio, border, growth) -> None:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            cols = [
                accepted,
                improved,
                self.rate[idx],
                progress,
                np.log(alpha / delta) / 4.0,
                np.clip(np.log(ratio), -10.0, 10.0) / 10.0,
                border,
                growth,
                np.log(alpha / self.alpha0[idx]) / 10.0,
                np.log(delta / self.delta0[idx]) / 10.0,
            ]
        out = np.stack([np.broadcast_to(np.asarray(c, dtype=float), np.shape(border)) for c in cols], axis=1)
        out = np.clip(np.nan_to_num(out, nan=0.0), -FEATURE_BOUND, FEATURE_BOUND)
        self.values[idx] = out.astype(np.float32)
