"""The objective wrapper every optimiser shares: bounds, evaluation budget, counting, history.

:class:`Objective` turns a user's ``fun`` into the one thing optimisers call. It clips points
into ``bounds`` before ``fun`` sees them, counts every evaluation (finite-difference ones
included), refuses to exceed ``max_evals`` (raising :class:`BudgetExhausted` *before* the call
that would overrun it), rejects non-finite values with an error that says what to do, and
remembers the best point seen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.optimize import OptimizeResult


class BudgetExhausted(Exception):
    """Raised inside an optimiser when the next evaluation would exceed ``max_evals``."""


class StopRequested(Exception):
    """Raised when the user's callback asks to stop."""


def as_bounds(bounds, dim: int) -> np.ndarray | None:
    """``None`` or a validated ``(d, 2)`` float array (accepts SciPy's ``Bounds`` too)."""
    if bounds is None:
        return None
    if hasattr(bounds, "lb") and hasattr(bounds, "ub"):
        bounds = np.stack(np.broadcast_arrays(bounds.lb, bounds.ub), axis=-1)
    b = np.asarray(bounds, dtype=float)
    if b.shape != (dim, 2) or np.any(b[:, 0] > b[:, 1]):
        raise ValueError(f"bounds must be a ({dim}, 2) array of [low, high] rows with low <= high")
    return b


class Objective:
    """Counting, clipping, budgeted view of ``fun``.

    Args:
        fun: ``f(x: (d,)) -> float`` or, with ``vectorized=True``, ``f(x: (..., d)) -> (...)``.
        dim: the problem's dimension.
        bounds: ``None`` or ``(d, 2)``.
        max_evals: hard budget of evaluations (``None``: unlimited).
        vectorized: whether ``fun`` takes batches.
    """

    def __init__(self, fun: Callable, dim: int, bounds=None, max_evals: int | None = None,
                 vectorized: bool = False):  # fmt: skip
        if not callable(fun):
            raise TypeError(f"fun must be callable; got {type(fun).__name__}")
        if max_evals is not None and (not isinstance(max_evals, int | np.integer) or max_evals < 1):
            raise ValueError(f"max_evals must be a positive integer or None; got {max_evals!r}")
        self.fun = fun
        self.dim = dim
        self.bounds = as_bounds(bounds, dim)
        self.max_evals = max_evals
        self.vectorized = vectorized
        self.nfev = 0
        self.best_x: np.ndarray | None = None
        self.best_f = np.inf

    def clip(self, x: np.ndarray) -> np.ndarray:
        return x if self.bounds is None else np.clip(x, self.bounds[:, 0], self.bounds[:, 1])

    def remaining(self) -> float:
        return np.inf if self.max_evals is None else self.max_evals - self.nfev

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Evaluate at ``(d,)`` (returns a float) or ``(m, d)`` (returns ``(m,)``)."""
        x = self.clip(np.asarray(x, dtype=float))
        pts = x.reshape(-1, self.dim)
        m = pts.shape[0]
        if m > self.remaining():
            raise BudgetExhausted
        if self.vectorized:
            values = np.asarray(self.fun(pts), dtype=float).reshape(-1)
            if values.shape != (m,):
                raise ValueError(f"vectorized fun must map (m, d) to (m,); got {values.shape} for m={m}")
        else:
            values = np.array([_scalar(self.fun(p)) for p in pts])
        self.nfev += m
        bad = ~np.isfinite(values)
        if np.any(bad):
            raise ValueError(
                f"fun returned {values[bad][0]} at x={pts[bad][0].tolist()}; the optimisers need "
                "finite values: pass bounds= to keep points where fun is defined, or make fun "
                "return a large finite value there"
            )
        i = int(np.argmin(values))
        if values[i] < self.best_f:
            self.best_f, self.best_x = float(values[i]), pts[i].copy()
        return values if x.ndim > 1 else float(values[0])


def _scalar(value: Any) -> float:
    arr = np.asarray(value, dtype=float)
    if arr.size != 1:
        raise ValueError(f"fun must return a scalar for a 1-D point; got shape {arr.shape} "
                         "(pass vectorized=True for batched functions)")  # fmt: skip
    return float(arr.reshape(()))


def _interior(obj: Objective, x: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """``x`` moved (by at most ``reach``) so that the stencil ``x +- reach`` fits in the bounds.

    Clipping a stencil point onto the boundary would silently halve a difference quotient;
    differentiating ``reach`` (about 1e-4 relative) inside the box instead costs O(reach).
    """
    if obj.bounds is None:
        return x
    lo, hi = obj.bounds[:, 0] + reach, obj.bounds[:, 1] - reach
    return np.where(lo <= hi, np.clip(x, lo, hi), x)


def fd_gradient(obj: Objective, x: np.ndarray, f_x: float | None = None) -> np.ndarray:
    """Central finite-difference gradient (``2 d`` counted evaluations)."""
    d = x.size
    h = np.cbrt(np.finfo(float).eps) * np.maximum(1.0, np.abs(x))
    x = _interior(obj, x, h)
    E = np.eye(d) * h
    vals = obj(np.concatenate([x + E, x - E]))
    return (vals[:d] - vals[d:]) / (2.0 * h)


def fd_hessian(obj: Objective, x: np.ndarray, f_x: float) -> np.ndarray:
    """Finite-difference Hessian from ``2 d^2`` counted evaluations (plus ``f(x)``, which costs
    one more evaluation when the stencil had to move inside the bounds)."""
    d = x.size
    h = np.power(np.finfo(float).eps, 0.25) * np.maximum(1.0, np.abs(x))
    moved = _interior(obj, x, 2.0 * h)
    if not np.array_equal(moved, x):
        x, f_x = moved, obj(moved)
    E = np.eye(d) * h
    pts = [x + E[i] + s * E[j] for i in range(d) for j in range(i, d) for s in ((1, -1) if j > i else (1,))]
    pts += [x - E[i] - s * E[j] for i in range(d) for j in range(i, d) for s in ((1, -1) if j > i else (1,))]
    vals = obj(np.array(pts))
    half = len(vals) // 2
    plus, minus = iter(vals[:half]), iter(vals[half:])
    H = np.zeros((d, d))
    for i in range(d):
        for j in range(i, d):
            if i == j:  # f(x + 2h e_i) - 2 f(x) + f(x - 2h e_i), step 2h
                H[i, i] = (next(plus) - 2.0 * f_x + next(minus)) / (4.0 * h[i] ** 2)
            else:  # f(++) - f(+-) - f(-+) + f(--)
                pp, pm = next(plus), next(plus)
                mm, mp = next(minus), next(minus)
                H[i, j] = H[j, i] = (pp - pm - mp + mm) / (4.0 * h[i] * h[j])
    return H


class Recorder:
    """Collects the per-iteration history and builds the final ``OptimizeResult``."""

    def __init__(self, obj: Objective, callback: Callable | None, extra: tuple[str, ...] = ()):
        self.obj = obj
        self.callback = callback
        self.rows: dict[str, list] = {"x": [], "fun": [], "nfev": [], **{k: [] for k in extra}}

    def record(self, x: np.ndarray, f: float, **extra) -> None:
        """Store iteration ``len(history) - 1``; call the user's callback (which may stop)."""
        self.rows["x"].append(np.array(x, dtype=float))
        self.rows["fun"].append(float(f))
        self.rows["nfev"].append(self.obj.nfev)
        for key, value in extra.items():
            self.rows[key].append(value)
        if self.callback is not None and len(self.rows["x"]) > 1:
            inter = OptimizeResult(x=np.array(x, dtype=float), fun=float(f), nit=self.nit, nfev=self.obj.nfev)
            if self.callback(inter) is True:
                raise StopRequested

    @property
    def nit(self) -> int:
        return max(len(self.rows["x"]) - 1, 0)

    def result(self, x, f, success: bool, message: str, **fields) -> OptimizeResult:
        history = {k: np.array(v) for k, v in self.rows.items()}
        return OptimizeResult(x=np.array(x, dtype=float), fun=float(f), nit=self.nit, nfev=self.obj.nfev,
                              success=bool(success), message=message, history=history, **fields)  # fmt: skip


def check_x0(x0) -> np.ndarray:
    x0 = np.array(x0, dtype=float).reshape(-1)
    if x0.size == 0 or not np.all(np.isfinite(x0)):
        raise ValueError(f"x0 must be a non-empty vector of finite numbers; got {x0!r}")
    return x0


def check_max_iter(max_iter) -> int:
    if not isinstance(max_iter, int | np.integer) or max_iter < 0:
        raise ValueError(f"max_iter must be a non-negative integer; got {max_iter!r}")
    return int(max_iter)
