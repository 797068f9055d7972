"""Derivative-based baselines: gradient descent, Nesterov, Adam and Newton.

Each is ``minimize(fun, x0, **options) -> OptimizeResult``. Derivatives come from, in order:
``jac=``/``hess=`` callables, the landscape's own ``grad``/``hessian`` when ``fun`` is a
:class:`~rover_envs.landscapes.Landscape`, or central finite differences whose evaluations are
counted in ``nfev`` (``2 d`` per gradient, ``2 d^2`` per Hessian). Analytic derivative calls are
counted separately in ``njev`` / ``nhev``, as SciPy does. Iterates are clipped into ``bounds``.
The returned ``x`` is the last iterate; ``success`` is ``True`` when the gradient norm fell below
``gtol``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.optimize import OptimizeResult

from agents.baselines.objective import (
    BudgetExhausted,
    Objective,
    Recorder,
    StopRequested,
    check_max_iter,
    check_x0,
    fd_gradient,
    fd_hessian,
)


class _Derivatives:
    """Gradient and Hessian oracles with their call counts."""

    def __init__(self, obj: Objective, fun, jac, hess):
        self.obj = obj
        self.jac = jac if jac is not None else getattr(fun, "grad", None)
        self.hess = hess if hess is not None else getattr(fun, "hessian", None)
        self.njev = self.nhev = 0

    def grad(self, x: np.ndarray) -> np.ndarray:
        if self.jac is None:
            return fd_gradient(self.obj, x)
        self.njev += 1
        return np.asarray(self.jac(self.obj.clip(x)), dtype=float).reshape(x.shape)

    def hessian(self, x: np.ndarray, f_x: float) -> np.ndarray:
        if self.hess is None:
            return fd_hessian(self.obj, x, f_x)
        self.nhev += 1
        return np.asarray(self.hess(self.obj.clip(x)), dtype=float).reshape(x.size, x.size)


def _run(fun, x0, update: Callable, state: dict, *, jac, hess, max_iter, max_evals, bounds,
         callback, vectorized, gtol, need_hessian=False) -> OptimizeResult:  # fmt: skip
    """Shared loop: ``x <- update(x, g, H, state)`` until ``max_iter``, the budget or ``gtol``."""
    x = check_x0(x0)
    max_iter = check_max_iter(max_iter)
    obj = Objective(fun, x.size, bounds, max_evals, vectorized)
    der = _Derivatives(obj, fun, jac, hess)
    rec = Recorder(obj, callback)
    x = obj.clip(x)
    message, success = "maximum number of iterations reached", False
    try:
        f = obj(x)
        rec.record(x, f)
        for _ in range(max_iter):
            g = der.grad(x)
            if np.linalg.norm(g) <= gtol:
                message, success = "gradient norm below gtol", True
                break
            H = der.hessian(x, f) if need_hessian else None
            x = obj.clip(update(x, g, H, state))
            f = obj(x)
            rec.record(x, f)
    except BudgetExhausted:
        message = "evaluation budget max_evals exhausted"
    except StopRequested:
        message = "stopped by callback"
    return rec.result(x, f, success, message, njev=der.njev, nhev=der.nhev)


def _common(options: dict) -> dict:
    return {
        "jac": options.pop("jac", None), "hess": options.pop("hess", None),
        "max_iter": options.pop("max_iter", 100), "max_evals": options.pop("max_evals", None),
        "bounds": options.pop("bounds", None), "callback": options.pop("callback", None),
        "vectorized": options.pop("vectorized", False), "gtol": options.pop("gtol", 1e-10),
    }  # fmt: skip


def _reject(name: str, options: dict, valid: tuple[str, ...]) -> None:
    options.pop("seed", None)  # deterministic methods accept and ignore a seed
    if options:
        common = (
            "jac",
            "hess",
            "max_iter",
            "max_evals",
            "bounds",
            "seed",
            "callback",
            "vectorized",
            "gtol",
        )
        raise ValueError(
            f"unknown option(s) {sorted(options)} for {name}; valid: {', '.join(common + valid)}"
        )


def gradient_descent(fun, x0, *, lr: float = 1e-3, **options) -> OptimizeResult:
    """``x <- x - lr * g``. Default ``lr=1e-3`` is stable on Rosenbrock's valley floor."""
    common = _common(options)
    _reject("gd", options, ("lr",))
    return _run(fun, x0, lambda x, g, H, s: x - lr * g, {}, **common)


def nesterov(fun, x0, *, lr: float = 5e-4, momentum: float = 0.9, **options) -> OptimizeResult:
    """Nesterov's accelerated gradient in the look-ahead form (Sutskever et al., 2013):
    ``v <- m v - lr g(x + m v)``, ``x <- x + v``; the look-ahead point is the stored iterate."""
    common = _common(options)
    _reject("nesterov", options, ("lr", "momentum"))

    def update(x, g, H, s):
        v = s.get("v", np.zeros_like(x))
        v_new = momentum * v - lr * g
        s["v"] = v_new
        return x + momentum * v_new - lr * g  # next look-ahead point

    return _run(fun, x0, update, {}, **common)


def adam(fun, x0, *, lr: float = 0.05, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
         **options) -> OptimizeResult:  # fmt: skip
    """Adam (Kingma & Ba, 2014) with bias correction."""
    common = _common(options)
    _reject("adam", options, ("lr", "beta1", "beta2", "eps"))

    def update(x, g, H, s):
        t = s["t"] = s.get("t", 0) + 1
        m = s["m"] = beta1 * s.get("m", 0.0) + (1 - beta1) * g
        v = s["v"] = beta2 * s.get("v", 0.0) + (1 - beta2) * g * g
        return x - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)

    return _run(fun, x0, update, {}, **common)


def newton(fun, x0, *, lr: float = 1.0, damping: float = 0.0, **options) -> OptimizeResult:
    """Newton's method ``x <- x - lr (H + damping I)^{-1} g`` (no line search, so it is attracted
    to saddles as in the paper's Figure 2); a singular system falls back to ``-lr g``."""
    common = _common(options)
    _reject("newton", options, ("lr", "damping"))

    def update(x, g, H, s):
        A = H + damping * np.eye(x.size)
        try:
            step = np.linalg.solve(A, g)
        except np.linalg.LinAlgError:
            step = g
        if not np.all(np.isfinite(step)):
            step = g
        return x - lr * step

    return _run(fun, x0, update, {}, need_hessian=True, **common)
