"""Derivative-free baselines: CMA-ES (pycma) and Nelder-Mead (SciPy), behind the shared API.

Both see ``fun`` only through the counting, clipping, budgeted
:class:`~agents.baselines.objective.Objective`, so ``nfev`` is exact and ``max_evals`` is never
exceeded (CMA-ES stops before a generation that would not fit). One iteration is one CMA-ES
generation or one Nelder-Mead iteration. The returned ``x`` is the best point evaluated.
"""

from __future__ import annotations

import warnings

import cma
import numpy as np
from scipy.optimize import OptimizeResult
from scipy.optimize import minimize as scipy_minimize

from agents.baselines.objective import (
    BudgetExhausted,
    Objective,
    Recorder,
    StopRequested,
    check_max_iter,
    check_x0,
)

_COMMON = ("max_iter", "max_evals", "bounds", "seed", "callback", "vectorized")


def _reject(name: str, options: dict, valid: tuple[str, ...]) -> None:
    options.pop("jac", None)  # derivative-free: accepted for API symmetry, unused
    options.pop("hess", None)
    if options:
        raise ValueError(
            f"unknown option(s) {sorted(options)} for {name}; valid: {', '.join(_COMMON + valid)}"
        )


def cma_es(fun, x0, *, sigma0: float = 0.5, popsize: int | None = None, max_iter: int = 100,
           max_evals: int | None = None, bounds=None, seed: int | None = None, callback=None,
           vectorized: bool = False, **options) -> OptimizeResult:  # fmt: skip
    """CMA-ES (Hansen, 2016) with initial step ``sigma0`` (in units of the coordinates; with
    ``bounds`` it is scaled by the mean box width) and pycma's default population
    ``4 + floor(3 ln d)`` unless ``popsize`` is given. ``seed`` makes runs reproducible."""
    _reject("cma_es", options, ("sigma0", "popsize"))
    x = check_x0(x0)
    max_iter = check_max_iter(max_iter)
    obj = Objective(fun, x.size, bounds, max_evals, vectorized)
    rec = Recorder(obj, callback)
    opts = {"verbose": -9, "seed": _cma_seed(seed), "maxiter": max_iter + 1, "tolx": 1e-14,
            "tolfun": 0, "tolfunhist": 0, "tolstagnation": 10**9}  # fmt: skip
    sigma = sigma0
    if obj.bounds is not None:
        opts["bounds"] = [obj.bounds[:, 0].tolist(), obj.bounds[:, 1].tolist()]
        sigma = sigma0 * float(np.mean(obj.bounds[:, 1] - obj.bounds[:, 0]))
    if popsize is not None:
        opts["popsize"] = int(popsize)
    x = obj.clip(x)
    message, success = "maximum number of iterations reached", False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        es = cma.CMAEvolutionStrategy(x, sigma, opts)
    try:
        rec.record(x, obj(x))
        for _ in range(max_iter):
            if es.popsize > obj.remaining():
                raise BudgetExhausted
            pop = np.array(es.ask())
            values = obj(pop)
            es.tell(list(pop), values.tolist())
            rec.record(obj.best_x, obj.best_f)
            if es.stop().get("tolx"):
                message, success = "step size below tolx", True
                break
    except BudgetExhausted:
        message = "evaluation budget max_evals exhausted"
    except StopRequested:
        message = "stopped by callback"
    return rec.result(obj.best_x, obj.best_f, success, message)


def _cma_seed(seed: int | None) -> int:
    # pycma treats seed 0 or None as "draw from the clock": map every seed to a positive int.
    if seed is None:
        return int(np.random.default_rng().integers(1, 2**31 - 1))
    return int(np.random.default_rng(seed).integers(1, 2**31 - 1))


def nelder_mead(fun, x0, *, initial_step: float = 0.1, adaptive: bool = False, max_iter: int = 100,
                max_evals: int | None = None, bounds=None, seed: int | None = None, callback=None,
                vectorized: bool = False, **options) -> OptimizeResult:  # fmt: skip
    """SciPy's Nelder-Mead from a simplex of ``x0`` and ``x0 + initial_step * max(1, |x0_i|) e_i``
    (with ``bounds``, ``initial_step`` is a fraction of each box width)."""
    _reject("nelder_mead", options, ("initial_step", "adaptive"))
    x = check_x0(x0)
    max_iter = check_max_iter(max_iter)
    obj = Objective(fun, x.size, bounds, max_evals, vectorized)
    rec = Recorder(obj, callback)
    x = obj.clip(x)
    width = np.maximum(1.0, np.abs(x)) if obj.bounds is None else obj.bounds[:, 1] - obj.bounds[:, 0]
    simplex = np.vstack([x, x + np.diag(initial_step * width)])
    message, success = "maximum number of iterations reached", False

    def on_iteration(intermediate_result: OptimizeResult):  # SciPy keys on this name
        rec.record(intermediate_result.x, intermediate_result.fun)

    try:
        rec.record(x, obj(x))
        if max_iter > 0:
            res = scipy_minimize(lambda p: obj(p), x, method="Nelder-Mead", callback=on_iteration,
                                 bounds=None if obj.bounds is None else obj.bounds,
                                 options={"maxiter": max_iter, "maxfev": np.inf, "initial_simplex": simplex,
                                          "adaptive": adaptive, "xatol": 1e-12, "fatol": 1e-14})  # fmt: skip
            if res.status == 0:
                message, success = "simplex converged (xatol, fatol)", True
    except BudgetExhausted:
        message = "evaluation budget max_evals exhausted"
    except StopRequested:
        message = "stopped by callback"
    return rec.result(obj.best_x, obj.best_f, success, message)
