"""Derivative-free baselines: CMA-ES (pycma) and Nelder-Mead (SciPy), behind the shared API.

Both see ``fun`` only through the counting, clipping, budgeted
:class:`~agents.objective.Objective`, so ``nfev`` is exact and ``max_evals`` is never exceeded
(CMA-ES stops before a generation that would not fit). One iteration is one CMA-ES generation
or one Nelder-Mead iteration. The returned ``x`` is the best finite point evaluated; NaN and inf
values rank as the worst. ``jac`` and ``hess`` are accepted (SciPy passes them) and unused.
"""

from __future__ import annotations

import warnings

import cma
import numpy as np
from scipy.optimize import OptimizeResult
from scipy.optimize import minimize as scipy_minimize

from agents.objective import (
    BudgetExhausted,
    Objective,
    Recorder,
    StopRequested,
    check_x0,
    length_scales,
    parse_options,
    worst_if_nonfinite,
)

MAX_ITER = 100
CMA_CONVERGED = ("tolx", "tolfun", "tolfunhist", "tolxstagnation", "tolflatfitness")
"""pycma's termination criteria that mean the search converged (the others mean it failed)."""


def cma_es(
    fun, x0, *, sigma0: float = 0.5, popsize: int | None = None, tolx: float = 1e-14, **options
) -> OptimizeResult:
    """CMA-ES (Hansen, 2016) with initial step ``sigma0`` (in units of the coordinates; with
    ``bounds`` it is scaled by the mean box width, unbounded coordinates counting as 1) and
    pycma's default population ``4 + floor(3 ln d)`` unless ``popsize`` is given. ``seed`` makes
    runs reproducible. The run ends where pycma's own termination criteria say so (as
    ``cma.fmin`` does; ``tolfun`` and ``tolstagnation`` are off), so that a caller with budget left
    restarts instead of spending it on a converged search; ``success`` means a convergence
    criterion (``tolx``, SciPy's ``tol``, or ``tolxstagnation``, ``tolflatfitness``) stopped it."""
    opts = parse_options("cma_es", options, max_iter=MAX_ITER, own=("sigma0", "popsize", "tolx"))
    x = check_x0(x0)
    obj = Objective.from_options(fun, x.size, opts)
    rec = Recorder(obj, opts.callback)
    cma_opts = {
        "verbose": -9,
        "seed": _cma_seed(opts.seed),
        "maxiter": opts.max_iter + 1,
        "tolx": opts.tol if opts.tol is not None else tolx,
        "tolfun": 0,
        "tolfunhist": 0,
        "tolstagnation": 10**9,
    }
    sigma = sigma0
    if obj.bounds is not None:
        cma_opts["bounds"] = [obj.bounds[:, 0].tolist(), obj.bounds[:, 1].tolist()]
        sigma = sigma0 * float(np.mean(length_scales(obj.bounds, x, 1.0)))
    if popsize is not None:
        cma_opts["popsize"] = int(popsize)
    x = obj.clip(x)
    message, success = "maximum number of iterations reached", False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        es = cma.CMAEvolutionStrategy(x, sigma, cma_opts)
    try:
        rec.record(x, obj(x))
        for _ in range(opts.max_iter):
            if es.popsize > obj.remaining():
                raise BudgetExhausted
            pop = np.array(es.ask())
            values = obj(pop)
            es.tell(list(pop), worst_if_nonfinite(values).tolist())
            rec.record(x if obj.best_x is None else obj.best_x, obj.best_f)  # best so far
            stop = es.stop()
            if stop:
                message = "pycma stopped: " + ", ".join(stop)
                success = any(key in CMA_CONVERGED for key in stop)
                break
    except BudgetExhausted:
        message = "evaluation budget max_evals exhausted"
    except StopRequested:
        message = "stopped by callback"
    return rec.result(*obj.best(), success, message, opts.disp)


def _cma_seed(seed: int | None) -> int:
    # pycma treats seed 0 or None as "draw from the clock": map every seed to a positive int.
    if seed is None:
        return int(np.random.default_rng().integers(1, 2**31 - 1))
    return int(np.random.default_rng(seed).integers(1, 2**31 - 1))


def nelder_mead(
    fun,
    x0,
    *,
    initial_step: float = 0.1,
    adaptive: bool = False,
    xatol: float = 1e-12,
    fatol: float = 1e-14,
    **options,
) -> OptimizeResult:
    """SciPy's Nelder-Mead from a simplex of ``x0`` and ``x0 + initial_step * max(1, |x0_i|) e_i``
    (with ``bounds``, ``initial_step`` is a fraction of each finite box width). ``success``
    means the simplex converged (``xatol`` and ``fatol``, both set by SciPy's ``tol``)."""
    opts = parse_options(
        "nelder_mead", options, max_iter=MAX_ITER, own=("initial_step", "adaptive", "xatol", "fatol")
    )
    x = check_x0(x0)
    obj = Objective.from_options(fun, x.size, opts)
    rec = Recorder(obj, opts.callback)
    x = obj.clip(x)
    width = length_scales(obj.bounds, x, np.maximum(1.0, np.abs(x)))
    simplex = np.vstack([x, x + np.diag(initial_step * width)])
    if opts.tol is not None:
        xatol = fatol = opts.tol
    message, success = "maximum number of iterations reached", False

    def on_iteration(intermediate_result: OptimizeResult):  # SciPy keys on this name
        rec.record(intermediate_result.x, intermediate_result.fun)

    try:
        f0 = obj(x)
        rec.record(x, f0)
        if opts.max_iter > 0:
            with np.errstate(invalid="ignore"):  # inf - inf in its convergence test: not converged
                res = scipy_minimize(
                    lambda p: worst_if_nonfinite(obj(p)),
                    x,
                    method="Nelder-Mead",
                    callback=on_iteration,
                    bounds=obj.bounds,
                    options={
                        "maxiter": opts.max_iter,
                        "maxfev": np.inf,
                        "initial_simplex": simplex,
                        "adaptive": adaptive,
                        "xatol": xatol,
                        "fatol": fatol,
                    },
                )
            if res.status == 0:
                message, success = "simplex converged (xatol, fatol)", True
    except BudgetExhausted:
        message = "evaluation budget max_evals exhausted"
    except StopRequested:
        message = "stopped by callback"
    return rec.result(*obj.best(), success, message, opts.disp)
