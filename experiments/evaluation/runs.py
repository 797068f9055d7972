"""The learned optimiser against tuned baselines in 2-D (paper section 4.2): problems, runs, tables.

For each training family (held-out landscapes) and each test function (perturbed hard starts),
every optimiser gets the same starts:

* ``rover`` — the learned optimiser (shipped policy), 30 iterations, default initial alpha, delta;
* ``rover_oracle`` — the same with its initial alpha and delta picked per problem over
  ``ROVER_GRID`` by the protocol the baselines are tuned with. On a test function that is
  tuning on the test set: a diagnostic of how much the default rule costs, never a result;
* ``gd``, ``nesterov``, ``newton`` (analytic derivatives), ``cma_es``, ``nelder_mead`` — each
  tuned on that problem over its documented grid (``agents.baselines.TUNING_GRIDS``; best
  median final regret at 30 iterations), the paper's protocol: a handicap for the learned
  optimiser, whose own recipe never sees these problems.

The paper evaluates each training family on one function with perturbed starts; here every run
of a family is a different held-out landscape (a harder, wider test of the same claim).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from agents.baselines import BASELINES, tune
from agents.baselines.tuning import grid_search
from agents.objective import NonFiniteError
from agents.rover import MAX_ITER, RESOLUTION_SCALE, STEP_SIZE_SCALE, RoverDescent
from rover_envs.core import sample_start
from rover_envs.landscapes import FAMILY_NAMES, FUNCTIONS, make

ITERS = MAX_ITER
BASELINE_NAMES = ("gd", "nesterov", "newton", "cma_es", "nelder_mead")
OPTIMIZERS = ("rover", "rover_oracle", *BASELINE_NAMES)
EVAL_SEED = 20_261_127
BASIN = 0.5  # a final regret below this is in the test function's global basin
PROBLEMS = (*FAMILY_NAMES, *FUNCTIONS)
"""``make evaluate``'s problems in order: problem ``k`` draws its starts with ``EVAL_SEED + k``."""

ROVER_GRID = {"step_size": [0.02, 0.055, 0.2, 0.5], "resolution": [0.022, 0.1, 0.3, 0.6]}
"""``rover_oracle``'s grid: initial alpha and delta as multiples of the default rule's length
scale (the defaults are 0.055 and 0.022)."""


class Problem(NamedTuple):
    fun: object  # a Landscape
    x0: np.ndarray
    f_star: float
    bounds: np.ndarray | None


class Runs(NamedTuple):
    """One optimiser on one problem: best-so-far regret curves ``(runs, ITERS + 1)``, final
    regrets at 30 iterations and at the learned optimiser's evaluation budget, and the
    hyper-parameters it was run with."""

    curves: np.ndarray
    at_iterations: np.ndarray
    at_evaluations: np.ndarray
    hyper: dict


def basin_hits(regrets) -> int:
    """How many runs ended in the global basin (final regret below ``BASIN``)."""
    return int(np.sum(np.asarray(regrets) < BASIN))


def problems(name: str, runs: int, rng: np.random.Generator) -> list[Problem]:
    """Held-out landscapes of a family, or perturbed hard starts of a test function (2% of the
    domain width, clipped into it)."""
    out = []
    for _ in range(runs):
        if name in FUNCTIONS:
            f = make(name)
            x0 = f.sample_start(rng)
        else:
            f = make(name, rng=rng)
            x0 = sample_start(f, f.minimum[0], rng)
        out.append(Problem(f, x0, f.minimum[1], f.bounds))
    return out


def regret_curve(history_fun: np.ndarray, f_star: float, length: int = ITERS + 1) -> np.ndarray:
    """Best-so-far regret per iteration, padded with its last value to ``length``."""
    h = np.minimum.accumulate(np.asarray(history_fun, dtype=float)) - f_star
    return np.pad(h, (0, max(0, length - len(h))), mode="edge")[:length]


def best_value(res) -> float:
    """The best value a run evaluated (gradient methods return their last iterate)."""
    return float(min(res.fun, np.min(res.history["fun"])))


def _rover_runs(rover: RoverDescent, probs: list[Problem], scales: dict[str, float] | None = None) -> list:
    """The learned optimiser from its own initial alpha and delta (``scales`` None, the default),
    or from ``scales["step_size"] x L`` and ``scales["resolution"] x L`` (``L`` the default
    rule's length scale, :meth:`RoverDescent.initial_schedule`). Run ``k`` has seed ``k``, as the
    baselines' runs: it draws the shipped bounded policy's initial design, so perturbed starts do
    not share one."""
    out = []
    for k, p in enumerate(probs):
        start = {}
        if scales is not None:
            a0, d0 = RoverDescent.initial_schedule(p.x0, p.bounds)
            start = {
                "step_size": a0 * scales["step_size"] / STEP_SIZE_SCALE,
                "resolution": d0 * scales["resolution"] / RESOLUTION_SCALE,
            }
        out.append(
            rover.minimize(p.fun, p.x0, max_iter=ITERS, bounds=p.bounds, vectorized=True, seed=k, **start)
        )
    return out


def _from_results(results: list, probs: list[Problem], hyper: dict) -> Runs:
    finals = np.array([r.fun - p.f_star for r, p in zip(results, probs)])
    curves = np.array([regret_curve(r.history["fun"], p.f_star) for r, p in zip(results, probs)])
    return Runs(curves, finals, finals, hyper)


def _baseline_runs(name: str, probs: list[Problem], budget: int) -> Runs:
    """A baseline tuned on ``probs`` (30 iterations), then run at 30 iterations and at ``budget``
    evaluations."""
    hyper, _ = tune(
        name, [(p.fun, p.x0, p.f_star) for p in probs], max_iter=ITERS, bounds=probs[0].bounds, seed=0
    )
    method = BASELINES[name]
    curves, at_iter, at_evals = [], [], []
    for k, p in enumerate(probs):
        try:
            res = method(p.fun, p.x0, **hyper, max_iter=ITERS, bounds=p.bounds, seed=k, vectorized=True)
            curves.append(regret_curve(res.history["fun"], p.f_star))
            at_iter.append(best_value(res) - p.f_star)
            res = method(
                p.fun,
                p.x0,
                **hyper,
                max_iter=100_000,
                max_evals=budget,
                bounds=p.bounds,
                seed=k,
                vectorized=True,
            )
            at_evals.append(best_value(res) - p.f_star)
        except NonFiniteError:  # never saw a finite value
            curves.append(np.full(ITERS + 1, np.inf))
            at_iter.append(np.inf)
            at_evals.append(np.inf)
    return Runs(np.array(curves), np.array(at_iter), np.array(at_evals), hyper)


def run_problem(name: str, rover: RoverDescent, runs: int, seed: int) -> dict:
    """Every optimiser of ``OPTIMIZERS`` on one problem (plus ``"_budget"``, the learned
    optimiser's median evaluation count, and ``"_problems"``)."""
    probs = problems(name, runs, np.random.default_rng(seed))
    shipped = _rover_runs(rover, probs)
    budget = int(np.median([r.nfev for r in shipped]))
    result: dict = {"rover": _from_results(shipped, probs, {})}
    search = grid_search(
        lambda g: _rover_runs(rover, probs, g),
        ROVER_GRID,
        score=lambda rs: float(np.median([r.fun - p.f_star for r, p in zip(rs, probs)])),
    )
    result["rover_oracle"] = _from_results(search.value, probs, search.best)
    for opt in BASELINE_NAMES:
        result[opt] = _baseline_runs(opt, probs, budget)
    result["_budget"], result["_problems"] = budget, probs
    return result


def medians(results: dict, key: str) -> dict[str, dict[str, float]]:
    """``{problem: {optimizer: median final regret}}`` at ``key`` (``"at_iterations"`` or
    ``"at_evaluations"``)."""
    return {
        name: {opt: float(np.median(getattr(r[opt], key))) for opt in OPTIMIZERS}
        for name, r in results.items()
    }


def table(results: dict, key: str) -> list[str]:
    """A markdown table of median final regrets; the best per row in bold."""
    rows = ["| problem | " + " | ".join(OPTIMIZERS) + " |", "|---|" + "---:|" * len(OPTIMIZERS)]
    for name, med in medians(results, key).items():
        best = min(med.values())
        cells = [(f"**{med[o]:.2g}**" if med[o] <= best else f"{med[o]:.2g}") for o in OPTIMIZERS]
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return rows


def within_2x(value: float, best: float) -> bool:
    """``value`` is best, or within 2x of ``best`` (the best tuned baseline's median)."""
    return value <= 2 * best + 1e-12


def close_to_best(results: dict, name: str, value: float) -> bool:
    """Best, or within 2x of the best tuned baseline, at equal iterations."""
    return within_2x(value, min(np.median(results[name][o].at_iterations) for o in BASELINE_NAMES))


def best_on(results: dict, key: str, optimizer: str = "rover") -> list[str]:
    """The problems where ``optimizer``'s median is at most every tuned baseline's."""
    return [
        n for n, med in medians(results, key).items() if med[optimizer] <= min(med[b] for b in BASELINE_NAMES)
    ]
