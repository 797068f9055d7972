"""Default hyper-parameters and tuning grids of the baselines, and a grid-search tuner.

The tuner follows the paper's protocol (section 4.2): the hyper-parameters of a hand-designed
optimiser are chosen to do as well as possible on a whole set of problems (a family or a
function with perturbed starts): the grid point with the lowest *median* final regret wins.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import numpy as np

DEFAULTS: dict[str, dict[str, float]] = {
    "gd": {"lr": 1e-3},
    "nesterov": {"lr": 5e-4, "momentum": 0.9},
    "newton": {"lr": 1.0, "damping": 0.0},
    "adam": {"lr": 0.05},
    "cma_es": {"sigma0": 0.5},
    "nelder_mead": {"initial_step": 0.1},
}

_LOG_RATES = [10.0**e for e in np.arange(-5.0, 0.51, 0.5)]

TUNING_GRIDS: dict[str, dict[str, list]] = {
    "gd": {"lr": _LOG_RATES},
    "nesterov": {"lr": _LOG_RATES, "momentum": [0.5, 0.9, 0.99]},
    "newton": {"lr": [0.1, 0.3, 1.0], "damping": [0.0, 1e-3, 1e-1, 1.0, 10.0]},
    "adam": {"lr": [10.0**e for e in np.arange(-3.0, 0.51, 0.5)]},
    "cma_es": {"sigma0": [0.03, 0.1, 0.3, 1.0, 3.0]},
    "nelder_mead": {"initial_step": [0.01, 0.03, 0.1, 0.3, 1.0]},
}


def grid_points(grid: dict[str, list]) -> list[dict]:
    """Every combination of a tuning grid."""
    keys = list(grid)
    return [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]


def tune(name: str, problems: Sequence[tuple[Callable, np.ndarray, float]], grid: dict | None = None,
         **options) -> tuple[dict, float]:  # fmt: skip
    """Best hyper-parameters of baseline ``name`` over ``problems``.

    Args:
        name: a key of ``BASELINES``.
        problems: ``(fun, x0, f_star)`` triples; final regret is ``res.fun - f_star``.
        grid: overrides ``TUNING_GRIDS[name]``.
        **options: common options for every run (``max_iter``, ``max_evals``, ``bounds``...).

    Returns:
        ``(hyper_parameters, median_final_regret)`` of the best grid point.
    """
    from agents.baselines import get

    method = get(name)
    best, best_score = dict(DEFAULTS[name]), np.inf
    for hyper in grid_points(grid or TUNING_GRIDS[name]):
        regrets = []
        for fun, x0, f_star in problems:
            try:
                with np.errstate(over="ignore", invalid="ignore"):  # bad grid points diverge
                    res = method(fun, x0, **hyper, **options)
                regrets.append(res.fun - f_star if np.isfinite(res.fun) else np.inf)
            except (
                ValueError,
                FloatingPointError,
                OverflowError,
            ):  # diverged into non-finite values
                regrets.append(np.inf)
        score = float(np.median(regrets))
        if score < best_score:
            best, best_score = hyper, score
    return best, best_score
