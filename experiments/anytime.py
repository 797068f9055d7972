"""Anytime measures, COCO's way: which targets a run has reached after how many evaluations.

:class:`Trace` wraps a vectorised function and records every value in evaluation order, so one
run gives the best value reached at any budget. :func:`fraction_reached` turns such values into
the fraction of (problem, target) pairs reached, the y-axis of an ECDF plot. Used by the BBOB
evaluation (targets on ``f - f_opt``) and by the validation of the grid controller (targets on
the normalised regret of training landscapes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

COCO_TARGETS = 10.0 ** np.linspace(2, -8, 51)
"""COCO's 51 targets on ``f - f_opt``: 10^2 ... 10^-8, five per decade."""


class Trace:
    """``fun`` (vectorised: ``(m, d) -> (m,)``) with every value it returned, in order."""

    def __init__(self, fun: Callable[[np.ndarray], np.ndarray]):
        self.fun = fun
        self.values: list[np.ndarray] = []

    def __call__(self, x: np.ndarray) -> np.ndarray:
        v = np.asarray(self.fun(x), dtype=float)
        self.values.append(np.atleast_1d(v).ravel())
        return v

    def best_at(self, budgets: Sequence[int]) -> np.ndarray:
        """The lowest finite value among the first ``b`` evaluations, per budget (inf if none)."""
        v = np.concatenate(self.values) if self.values else np.zeros(0)
        best = np.minimum.accumulate(np.where(np.isfinite(v), v, np.inf)) if v.size else v
        return np.array([best[min(b, best.size) - 1] if best.size and b > 0 else np.inf for b in budgets])


def fraction_reached(errors: np.ndarray, targets: np.ndarray = COCO_TARGETS) -> np.ndarray:
    """``errors (problems, budgets)`` of best values above the optimum -> the fraction of (problem,
    target) pairs with ``error <= target``, per budget ``(budgets,)``."""
    errors = np.asarray(errors, dtype=float)
    return np.mean(errors[:, :, None] <= targets[None, None, :], axis=(0, 2))
