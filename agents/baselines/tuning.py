"""Default hyper-parameters and tuning grids of the baselines, and the project's one grid search.

:func:`grid_search` evaluates every point of a grid and keeps the best (it also picks the learned
optimiser's diagnostic initial scales, fixed schedules and the warm-start teacher's gains).
:func:`tune` follows the paper's protocol (section 4.2): the hyper-parameters of a hand-designed
optimiser are chosen to do as well as possible on a whole set of problems (a family or a
function with perturbed starts): the grid point with the lowest *median* final regret wins. A
run that never sees a finite value scores infinity; any other error (a misspelled
hyper-parameter...) propagates.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from agents.objective import NonFiniteError

DEFAULTS: dict[str, dict[str, float]] = {
    "gd": {"lr": 1e-3},
    "nesterov": {"lr": 5e-4, "momentum": 0.9},
    "newton": {"lr": 1.0, "damping": 0.0},
    "adam": {"lr": 0.05},
    "cma_es": {"sigma0": 0.5},
    "nelder_mead": {"initial_step": 0.1},
    "grid_controller": {
        "step_size": 3.0,
        "resolution_ratio": 0.0625,
    },  # python -m experiments.tune_controller
}

_LOG_RATES = [10.0**e for e in np.arange(-5.0, 0.51, 0.5)]

TUNING_GRIDS: dict[str, dict[str, list]] = {
    "gd": {"lr": _LOG_RATES},
    "nesterov": {"lr": _LOG_RATES, "momentum": [0.5, 0.9, 0.99]},
    "newton": {"lr": [0.1, 0.3, 1.0], "damping": [0.0, 1e-3, 1e-1, 1.0, 10.0]},
    "adam": {"lr": [10.0**e for e in np.arange(-3.0, 0.51, 0.5)]},
    "cma_es": {"sigma0": [0.03, 0.1, 0.3, 1.0, 3.0]},
    "nelder_mead": {"initial_step": [0.01, 0.03, 0.1, 0.3, 1.0]},
    "grid_controller": {
        "step_size": [0.3, 1.0, 3.0, 10.0],
        "resolution_ratio": [0.03125, 0.0625, 0.125, 0.25, 0.5],
    },
}


def grid_points(grid: dict[str, Sequence]) -> list[dict]:
    """Every combination of a grid, in order (the last key varies fastest)."""
    keys = list(grid)
    return [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]


class Search(NamedTuple):
    """What :func:`grid_search` found: the best point, its result, and every point's result."""

    best: dict
    value: Any
    table: list[tuple[dict, Any]]


def grid_search(
    evaluate: Callable[[dict], Any], grid: dict[str, Sequence], score: Callable[[Any], float] = float
) -> Search:
    """Evaluate every point of ``grid`` and keep the one with the lowest ``score(result)`` (the
    first such point on ties). The one grid search of the project: baselines, the learned
    optimiser's initial alpha/delta, fixed schedules and the warm-start teacher's gains."""
    points = grid_points(grid)
    if not points:
        raise ValueError("the grid is empty; give every key at least one value")
    table = [(point, evaluate(point)) for point in points]
    best, value = min(table, key=lambda row: score(row[1]))
    return Search(best, value, table)


def median_regret(
    method: Callable, problems: Sequence[tuple[Callable, np.ndarray, float]], **options
) -> float:
    """Median final regret ``res.fun - f_star`` of ``method`` over ``problems``; a run that
    never saw a finite value (:class:`~agents.objective.NonFiniteError`) counts as infinite."""
    regrets = []
    for fun, x0, f_star in problems:
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # bad grid points overflow
                regrets.append(method(fun, x0, **options).fun - f_star)
        except NonFiniteError:
            regrets.append(np.inf)
    return float(np.median(regrets))


def tune(
    name: str, problems: Sequence[tuple[Callable, np.ndarray, float]], grid: dict | None = None, **options
) -> tuple[dict, float]:
    """Best hyper-parameters of baseline ``name`` over ``problems``.

    Args:
        name: a key of ``BASELINES``.
        problems: ``(fun, x0, f_star)`` triples; final regret is ``res.fun - f_star``.
        grid: overrides ``TUNING_GRIDS[name]``.
        **options: common options for every run (``max_iter``, ``max_evals``, ``bounds``...).

    Returns:
        ``(hyper_parameters, median_final_regret)`` of the best grid point.

    Raises:
        ValueError: a grid key that is not one of the baseline's hyper-parameters.
    """
    from agents.baselines import get

    method = get(name)
    grid = TUNING_GRIDS[name] if grid is None else grid
    own = [p.name for p in inspect.signature(method).parameters.values() if p.kind is p.KEYWORD_ONLY]
    unknown = sorted(set(grid) - set(own))
    if unknown:
        raise ValueError(f"unknown hyper-parameter(s) {unknown} for {name}; valid: {', '.join(own)}")
    found = grid_search(lambda hyper: median_regret(method, problems, **hyper, **options), grid)
    return found.best, found.value
