"""SciPy's ``minimize`` API, shared by every optimiser of the project (baselines and the learned one).

Two pieces:

* :func:`parse_options` reads the options every optimiser accepts — ``max_iter``, ``max_evals``,
  ``bounds``, ``seed``, ``callback``, ``vectorized``, ``args``, ``jac``, ``hess``, ``tol``,
  ``disp`` — and SciPy's names for the same things (``maxiter``, ``maxfev``), so that every
  optimiser also works as ``scipy.optimize.minimize(fun, x0, method=<optimiser>, options=...)``
  (SciPy's custom-method protocol passes ``hessp`` and ``constraints`` too: accepted when
  empty, a clear error otherwise).
* :class:`Objective` turns a user's ``fun`` into the one thing optimisers call. It clips points
  into ``bounds`` before ``fun`` sees them, counts every evaluation (finite-difference ones
  included), refuses to exceed ``max_evals`` (raising :class:`BudgetExhausted` *before* the call
  that would overrun it) and remembers the best *finite* point seen. NaN and inf values are
  returned to the optimiser, which treats them as the worst possible values (never the best
  point); :meth:`Objective.best` raises :class:`NonFiniteError` only when no finite value was
  ever seen, so a run that wanders where ``fun`` is undefined still returns its best point.

:class:`Recorder` keeps the per-iteration history and calls the user's callback the way SciPy
does: ``callback(intermediate_result)`` when its one parameter has that name, else
``callback(xk)``; returning ``True`` or raising ``StopIteration`` stops the run.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import OptimizeResult


class BudgetExhausted(Exception):
    """Raised inside an optimiser when the next evaluation would exceed ``max_evals``."""


class StopRequested(Exception):
    """Raised when the user's callback asks to stop."""


class NonFiniteError(ValueError):
    """``fun`` returned no finite value at all: there is no point to return."""


SCIPY_NAMES = {"maxiter": "max_iter", "maxfev": "max_evals"}
"""SciPy's option names and ours (``scipy.optimize.minimize(..., options={"maxiter": 30})``)."""

COMMON = (
    "max_iter",
    "max_evals",
    "bounds",
    "seed",
    "callback",
    "vectorized",
    "args",
    "jac",
    "hess",
    "tol",
    "disp",
)
"""The options every optimiser accepts (besides its own hyper-parameters)."""


@dataclass
class Options:
    """The common options, validated (see :func:`parse_options`)."""

    max_iter: int
    max_evals: int | None = None
    bounds: Any = None
    seed: int | None = None
    callback: Callable | None = None
    vectorized: bool = False
    args: tuple = ()
    jac: Any = None
    hess: Any = None
    tol: float | None = None
    disp: bool = False


def parse_options(method: str, options: dict, *, max_iter: int, own: tuple[str, ...] = ()) -> Options:
    """The common options out of ``options`` (what an optimiser's ``**options`` caught).

    Args:
        method: the optimiser's name, for error messages.
        options: keyword arguments besides the optimiser's own hyper-parameters.
        max_iter: the optimiser's default iteration limit.
        own: its hyper-parameter names (listed in the error for an unknown option).

    Raises:
        ValueError: an unknown option, an option given under both names, a bad value, or
            ``hessp`` / ``constraints`` (which no optimiser here uses).
    """
    options = dict(options)
    for scipy_name, name in SCIPY_NAMES.items():
        if scipy_name in options:
            if name in options:
                raise ValueError(f"{method}: {name} and SciPy's {scipy_name} are the same option; pass one")
            options[name] = options.pop(scipy_name)
    if options.pop("hessp", None) is not None:
        raise ValueError(f"{method} does not use Hessian-vector products (hessp); pass hess= or nothing")
    if options.pop("constraints", None):
        raise ValueError(f"{method} handles bounds (a box), not general constraints")
    unknown = sorted(set(options) - set(COMMON))
    if unknown:
        valid = ", ".join((*COMMON, *SCIPY_NAMES, *own))
        raise ValueError(f"unknown option(s) {unknown} for {method}; valid: {valid}")
    opts = Options(**{"max_iter": max_iter, **options})
    opts.max_iter = check_max_iter(opts.max_iter)
    if opts.max_evals is not None and (
        isinstance(opts.max_evals, bool)
        or not isinstance(opts.max_evals, int | np.integer)
        or opts.max_evals < 1
    ):
        raise ValueError(f"max_evals must be a positive integer or None; got {opts.max_evals!r}")
    if not isinstance(opts.args, tuple):
        opts.args = (opts.args,)  # SciPy's rule for a single extra argument
    if opts.tol is not None and not (np.isfinite(opts.tol) and opts.tol > 0):
        raise ValueError(f"tol must be a finite number > 0; got {opts.tol!r}")
    if opts.jac is True:
        raise ValueError(
            "jac=True (fun returns (f, g)) is handled by scipy.optimize.minimize; here pass jac as a callable"
        )
    return opts


def as_bounds(bounds, dim: int) -> np.ndarray | None:
    """``None`` or a validated ``(d, 2)`` float array; accepts SciPy's ``Bounds`` and
    ``(low, high)`` rows with ``None`` or ``+-inf`` for an open side (clipping leaves it open)."""
    if bounds is None:
        return None
    if hasattr(bounds, "lb") and hasattr(bounds, "ub"):
        bounds = np.stack(np.broadcast_arrays(bounds.lb, bounds.ub), axis=-1)
    try:
        rows = [[-np.inf if lo is None else lo, np.inf if hi is None else hi] for lo, hi in bounds]
        b = np.asarray(rows, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"bounds must be {dim} (low, high) pairs of numbers (None: unbounded); got {bounds!r}"
        ) from exc
    if b.shape != (dim, 2) or np.any(np.isnan(b)) or np.any(b[:, 0] > b[:, 1]):
        raise ValueError(f"bounds must be a ({dim}, 2) array of [low, high] rows with low <= high")
    return b


def length_scales(bounds: np.ndarray | None, x0: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """Per coordinate: the width of ``bounds`` where both sides are finite, else ``fallback``
    (an optimiser's rule for an unbounded coordinate), shape ``(d,)``."""
    fallback = np.broadcast_to(np.asarray(fallback, dtype=float), x0.shape)
    if bounds is None:
        return fallback.copy()
    width = bounds[:, 1] - bounds[:, 0]
    return np.where(np.isfinite(width), width, fallback)


def guess_scale(x0: np.ndarray, bounds: np.ndarray | None) -> float:
    """A length scale for a problem whose minimiser is unknown: the mean over coordinates of half
    the width of ``bounds``, an unbounded coordinate counting ``max(1, ||x0||)``."""
    x0 = np.asarray(x0, dtype=float)
    unbounded = 2.0 * max(1.0, float(np.linalg.norm(x0)))  # a "width" of twice the guess
    return 0.5 * float(np.mean(length_scales(bounds, x0, unbounded)))


class Objective:
    """Counting, clipping, budgeted view of ``fun``.

    Args:
        fun: ``f(x: (d,), *args) -> float`` or, with ``vectorized=True``,
            ``f(x: (..., d), *args) -> (...)``.
        dim: the problem's dimension.
        bounds: ``None`` or ``(d, 2)`` (see :func:`as_bounds`).
        max_evals: hard budget of evaluations (``None``: unlimited).
        vectorized: whether ``fun`` takes batches.
        args: extra positional arguments to ``fun``.
    """

    def __init__(
        self,
        fun: Callable,
        dim: int,
        bounds=None,
        max_evals: int | None = None,
        vectorized: bool = False,
        args: tuple = (),
    ):
        if not callable(fun):
            raise TypeError(f"fun must be callable; got {type(fun).__name__}")
        self.fun = fun
        self.dim = dim
        self.bounds = as_bounds(bounds, dim)
        self.max_evals = max_evals
        self.vectorized = vectorized
        self.args = tuple(args)
        self.nfev = 0
        self.best_x: np.ndarray | None = None
        self.best_f = np.inf

    @classmethod
    def from_options(cls, fun: Callable, dim: int, opts: Options) -> Objective:
        return cls(fun, dim, opts.bounds, opts.max_evals, opts.vectorized, opts.args)

    def clip(self, x: np.ndarray) -> np.ndarray:
        return x if self.bounds is None else np.clip(x, self.bounds[:, 0], self.bounds[:, 1])

    def reflect(self, x: np.ndarray) -> np.ndarray:
        """``x`` folded into the bounds: mirrored at each bound (periodically between two finite
        ones; at the one finite bound of a half-bounded coordinate)."""
        if self.bounds is None:
            return x
        lo, hi = self.bounds[:, 0], self.bounds[:, 1]
        both = np.isfinite(lo) & np.isfinite(hi)
        width = np.where(both & (hi > lo), hi - lo, 1.0)
        z = np.mod(x - np.where(both, lo, 0.0), 2.0 * width)
        folded = lo + np.where(z > width, 2.0 * width - z, z)
        out = np.where(x < lo, 2.0 * lo - x, np.where(x > hi, 2.0 * hi - x, x))  # one finite bound
        return self.clip(np.where(both, folded, out))

    def remaining(self) -> float:
        return np.inf if self.max_evals is None else self.max_evals - self.nfev

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Evaluate at ``(d,)`` (returns a float) or ``(m, d)`` (returns ``(m,)``); values may be
        NaN or inf (the caller decides what that means)."""
        x = self.clip(np.asarray(x, dtype=float))
        pts = x.reshape(-1, self.dim)
        m = pts.shape[0]
        if m > self.remaining():
            raise BudgetExhausted
        if self.vectorized:
            values = np.asarray(self.fun(pts, *self.args), dtype=float).reshape(-1)
            if values.shape != (m,):
                raise ValueError(f"vectorized fun must map (m, d) to (m,); got {values.shape} for m={m}")
        else:
            values = np.array([_scalar(self.fun(p, *self.args)) for p in pts])
        self.nfev += m
        finite = np.isfinite(values)
        if finite.any():
            i = int(np.argmin(np.where(finite, values, np.inf)))
            if values[i] < self.best_f:
                self.best_f, self.best_x = float(values[i]), pts[i].copy()
        return values if x.ndim > 1 else float(values[0])

    def best(self) -> tuple[np.ndarray, float]:
        """The best finite point evaluated and its value.

        Raises:
            NonFiniteError: every value so far was NaN or inf (or nothing was evaluated).
        """
        if self.best_x is None:
            raise NonFiniteError(
                f"fun returned no finite value in {self.nfev} evaluation(s); the optimisers need "
                "finite values somewhere: pass bounds= to keep points where fun is defined, or make "
                "fun return a large finite value where it is not"
            )
        return self.best_x.copy(), self.best_f


def _scalar(value: Any) -> float:
    arr = np.asarray(value, dtype=float)
    if arr.size != 1:
        raise ValueError(
            f"fun must return a scalar for a 1-D point; got shape {arr.shape} "
            "(pass vectorized=True for batched functions)"
        )
    return float(arr.reshape(()))


def worst_if_nonfinite(values):
    """``values`` with NaN and inf replaced by ``+inf`` (what ranking optimisers need)."""
    values = np.asarray(values, dtype=float)
    out = np.where(np.isfinite(values), values, np.inf)
    return out if out.ndim else float(out)


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


def _callback_style(callback: Callable) -> str:
    """SciPy's rule: ``"result"`` when the one parameter is named ``intermediate_result``."""
    try:
        params = inspect.signature(callback).parameters
    except (TypeError, ValueError):  # builtins without a signature
        return "x"
    return "result" if set(params) == {"intermediate_result"} else "x"


class Recorder:
    """Collects the per-iteration history and builds the final ``OptimizeResult``."""

    def __init__(self, obj: Objective, callback: Callable | None, extra: tuple[str, ...] = ()):
        self.obj = obj
        self.callback = callback
        self.style = None if callback is None else _callback_style(callback)
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
            try:
                stop = (
                    self.callback(intermediate_result=inter)
                    if self.style == "result"
                    else self.callback(inter.x)
                )
            except StopIteration:
                stop = True
            if stop is True:
                raise StopRequested

    @property
    def nit(self) -> int:
        return max(len(self.rows["x"]) - 1, 0)

    def result(self, x, f, success: bool, message: str, disp: bool = False, **fields) -> OptimizeResult:
        history = {k: np.array(v) for k, v in self.rows.items()}
        res = OptimizeResult(
            x=np.array(x, dtype=float),
            fun=float(f),
            nit=self.nit,
            nfev=self.obj.nfev,
            success=bool(success),
            status=0 if success else 1,
            message=message,
            history=history,
            **fields,
        )
        if disp:
            print(f"{message}: fun={res.fun:.6g}, nit={res.nit}, nfev={res.nfev}")
        return res


def check_x0(x0) -> np.ndarray:
    x0 = np.array(x0, dtype=float).reshape(-1)
    if x0.size == 0 or not np.all(np.isfinite(x0)):
        raise ValueError(f"x0 must be a non-empty vector of finite numbers; got {x0!r}")
    return x0


def check_max_iter(max_iter) -> int:
    if isinstance(max_iter, bool) or not isinstance(max_iter, int | np.integer) or max_iter < 0:
        raise ValueError(f"max_iter must be a non-negative integer; got {max_iter!r}")
    return int(max_iter)
