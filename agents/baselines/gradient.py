"""Derivative-based baselines: gradient descent, Nesterov, Adam and Newton.

Each is ``minimize(fun, x0, **options) -> OptimizeResult`` with the common options of
:mod:`agents.objective`. Derivatives come from, in order: ``jac=``/``hess=`` callables, the
landscape's own ``grad``/``hessian`` when ``fun`` is a :class:`~rover_envs.landscapes.Landscape`,
or central finite differences whose evaluations are counted in ``nfev`` (``2 d`` per gradient,
``2 d^2`` per Hessian). Analytic derivative calls are counted separately in ``njev`` / ``nhev``,
as SciPy does. Iterates are clipped into ``bounds``.

The returned ``x`` is the last iterate; ``success`` is ``True`` when the gradient norm fell
below ``gtol`` (SciPy's ``tol`` sets it). A run that reaches a point where ``fun`` or its
gradient is NaN or inf stops there and returns the best finite point it evaluated.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.optimize import OptimizeResult

from agents.objective import (
    BudgetExhausted,
    Objective,
    Options,
    Recorder,
    StopRequested,
    check_x0,
    fd_gradient,
    fd_hessian,
    parse_options,
)

MAX_ITER = 100
GTOL = 1e-10


class _Derivatives:
    """Gradient and Hessian oracles with their call counts."""

    def __init__(self, obj: Objective, fun, jac, hess):
        self.obj = obj
        self.jac = jac if callable(jac) else getattr(fun, "grad", None)
        self.hess = hess if callable(hess) else getattr(fun, "hessian", None)
        self.njev = self.nhev = 0

    def grad(self, x: np.ndarray) -> np.ndarray:
        if self.jac is None:
            return fd_gradient(self.obj, x)
        self.njev += 1
        return np.asarray(self.jac(self.obj.clip(x), *self.obj.args), dtype=float).reshape(x.shape)

    def hessian(self, x: np.ndarray, f_x: float) -> np.ndarray:
        if self.hess is None:
            return fd_hessian(self.obj, x, f_x)
        self.nhev += 1
        return np.asarray(self.hess(self.obj.clip(x), *self.obj.args), dtype=float).reshape(x.size, x.size)


def _run(fun, x0, update: Callable, opts: Options, gtol: float, need_hessian: bool = False) -> OptimizeResult:
    """Shared loop: ``x <- update(x, g, H, state)`` until ``max_iter``, the budget, ``gtol`` or a
    non-finite value."""
    x = check_x0(x0)
    obj = Objective.from_options(fun, x.size, opts)
    der = _Derivatives(obj, fun, opts.jac, opts.hess)
    rec = Recorder(obj, opts.callback)
    gtol = opts.tol if opts.tol is not None else gtol
    state: dict = {}
    x = obj.clip(x)
    message, success = "maximum number of iterations reached", False
    try:
        f = obj(x)
        if not np.isfinite(f):
            obj.best()  # nothing finite yet: a clear error
        rec.record(x, f)
        for _ in range(opts.max_iter):
            g = der.grad(x)
            if not np.all(np.isfinite(g)):
                message = f"the gradient is not finite at x={x.tolist()}; stopped"
                break
            if np.linalg.norm(g) <= gtol:
                message, success = "gradient norm below gtol", True
                break
            H = der.hessian(x, f) if need_hessian else None
            with np.errstate(over="ignore", invalid="ignore"):
                x_new = obj.clip(update(x, g, H, state))
            f_new = obj(x_new) if np.all(np.isfinite(x_new)) else np.nan
            if not np.isfinite(f_new):  # overflowed, or fun is undefined there
                message = f"fun is not finite at the next iterate {x_new.tolist()}; stopped"
                break
            x, f = x_new, f_new
            rec.record(x, f)
    except BudgetExhausted:
        message = "evaluation budget max_evals exhausted"
    except StopRequested:
        message = "stopped by callback"
    if message.endswith("stopped"):  # where fun or its gradient is undefined
        message += "; returning the best finite point evaluated"
        x, f = obj.best()
    return rec.result(x, f, success, message, opts.disp, njev=der.njev, nhev=der.nhev)


def gradient_descent(fun, x0, *, lr: float = 1e-3, gtol: float = GTOL, **options) -> OptimizeResult:
    """``x <- x - lr * g``. Default ``lr=1e-3`` is stable on Rosenbrock's valley floor."""
    opts = parse_options("gd", options, max_iter=MAX_ITER, own=("lr", "gtol"))
    return _run(fun, x0, lambda x, g, H, s: x - lr * g, opts, gtol)


def nesterov(
    fun, x0, *, lr: float = 5e-4, momentum: float = 0.9, gtol: float = GTOL, **options
) -> OptimizeResult:
    """Nesterov's accelerated gradient in the look-ahead form (Sutskever et al., 2013):
    ``v <- m v - lr g(x + m v)``, ``x <- x + v``; the look-ahead point is the stored iterate."""
    opts = parse_options("nesterov", options, max_iter=MAX_ITER, own=("lr", "momentum", "gtol"))

    def update(x, g, H, s):
        v = s.get("v", np.zeros_like(x))
        v_new = momentum * v - lr * g
        s["v"] = v_new
        return x + momentum * v_new - lr * g  # next look-ahead point

    return _run(fun, x0, update, opts, gtol)


def adam(
    fun,
    x0,
    *,
    lr: float = 0.05,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    gtol: float = GTOL,
    **options,
) -> OptimizeResult:
    """Adam (Kingma & Ba, 2014) with bias correction."""
    opts = parse_options("adam", options, max_iter=MAX_ITER, own=("lr", "beta1", "beta2", "eps", "gtol"))

    def update(x, g, H, s):
        t = s["t"] = s.get("t", 0) + 1
        m = s["m"] = beta1 * s.get("m", 0.0) + (1 - beta1) * g
        v = s["v"] = beta2 * s.get("v", 0.0) + (1 - beta2) * g * g
        return x - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)

    return _run(fun, x0, update, opts, gtol)


def newton(
    fun, x0, *, lr: float = 1.0, damping: float = 0.0, gtol: float = GTOL, **options
) -> OptimizeResult:
    """Newton's method ``x <- x - lr (H + damping I)^{-1} g`` (no line search, so it is attracted
    to saddles as in the paper's Figure 2); a singular system falls back to ``-lr g``."""
    opts = parse_options("newton", options, max_iter=MAX_ITER, own=("lr", "damping", "gtol"))

    def update(x, g, H, s):
        A = H + damping * np.eye(x.size)
        try:
            step = np.linalg.solve(A, g)
        except np.linalg.LinAlgError:
            step = g
        if not np.all(np.isfinite(step)):
            step = g
        return x - lr * step

    return _run(fun, x0, update, opts, gtol, need_hessian=True)
