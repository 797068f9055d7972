"""Grid metric adaptation: a sheared, stretched grid whose shape follows the landscape's curvature.

Beyond the paper. The paper's grid is square and axis-aligned: on a landscape whose curvatures
differ by a factor ``kappa`` the grid must resolve the steep direction, so a step along the flat
one covers ``1 / sqrt(kappa)`` of what it would on a round bowl (the square-grid policy's weakest
validation family was the ill-conditioned bowls, condition numbers up to 10^6). CMA-ES adapts a
covariance matrix, Nelder-Mead its simplex. With ``metric="grid_fit"`` the optimiser keeps a
shape matrix ``A`` (symmetric positive definite, ``det A = 1``; the identity at the start), and
everything the policy sees and does happens in the coordinates ``z`` of ``x = theta + A z``:

* sample ``(i, j)`` of the grid sits at ``theta + delta * A (o_i, o_j)``;
* the move is ``theta + alpha * A u`` for the unit direction ``u`` read from that grid, so a step
  is longer than ``alpha`` along the directions ``A`` stretches;
* after each grid, a least-squares quadratic fit of its raw values (grid units, the same fit as
  the ``quadratic_fit`` direction) estimates the Hessian ``H`` in ``z``; where ``H`` is positive
  definite and *its curvatures stand out from the fit's residual* (both eigenvalues larger than
  ``SIGNIFICANCE`` standard errors), the shape becomes ``C = A H^(-rate) A`` rescaled to ``det C =
  1`` and ``A = C^(1/2)``, its condition number capped at ``MAX_CONDITION``. Saddles, slopes,
  noise and ripples finer than the grid fail the test and leave ``A`` as it is. ``min_r2 > 0``
  also asks the quadratic to explain that fraction of the grid's variance, so that on a rippled
  bowl the shape adapts only where the grid sees the bowl alone (``MIN_R2``).

``metric="grid_fit_floor"`` keeps a fit whose *steep* curvature stands out even when the flat one
does not: the flat eigenvalue is raised to the smallest curvature the fit can resolve
(``SIGNIFICANCE`` standard errors), so the shape stretches only as far as the evidence allows. On
an ill-conditioned bowl seen through a distortion (a non-quadratic residual of a few % of the
steep curvature), ``grid_fit`` never adapts: the residual hides the flat curvature and both must
stand out. A fit whose smaller eigenvalue is significantly negative (a saddle) still fails.
With ``grid_fit_floor``, ``min_r2`` tests only the fits that need the floor (a fit whose
curvatures both stand out is taken as ``grid_fit`` takes it), so that grids whose steep curvature
comes from ripples do not stretch the grid while those of a distorted bowl do.

``rate = 1`` whitens an exact quadratic in one grid; smaller rates move part of the way, so a
fit that a non-quadratic landscape misleads is corrected by the next ones. ``delta`` and
``alpha`` keep their meaning as lengths in ``z`` (``det A = 1``: the grid's area is unchanged),
so the step-size and resolution schedule the actor learned carries over. The update reads only
observed values: it is part of the optimiser (``RoverDescent`` runs the same functions), not an
oracle.
"""

from __future__ import annotations

import functools

import numpy as np

from rover_envs.grid import quadratic_design

METRICS = ("none", "grid_fit", "grid_fit_floor")
"""``metric=`` values: the paper's square grid, or the adapted shapes of this module."""
DEFAULT_RATE = 0.5
"""Exponent of the Hessian in one update (1: whiten an exact quadratic in one grid)."""
SIGNIFICANCE = 3.0
"""A curvature counts when it exceeds this many standard errors of the fit."""
MIN_R2 = 0.0
"""A fit counts only when it explains at least this fraction of the grid's variance; 0 (the
default, the shipped recipe's) tests significance alone. 0.99 helps a policy trained on square
grids that is run on adapted ones (100 held-out rippled bowls: solved 0.85 without the test, 0.91
with it, 0.96 on square grids); a policy trained on adapted grids solves more without it (0.91
against 0.89 over four validation families; docs/rdpg.md)."""
ROUNDING = 1e-12
"""``grid_fit_floor``: curvatures below this (in units of the grid's range) are rounding, not
evidence (an exact plane's fit has a residual of ~1e-17, no floor at all)."""
MAX_CONDITION = 1e8
"""Cap on the condition number of ``C = A^2`` (the grid's aspect ratio at most 1e4)."""


@functools.cache
def _fit(n: int) -> tuple[np.ndarray, np.ndarray, float]:
    """``(pinv (6, n^2), hat (n^2, n^2), curvature standard-error factor)`` of the quadratic
    ``c + a_u u + a_v v + b_uu u^2 + b_uv u v + b_vv v^2`` on the ``n x n`` grid (grid units).

    The factor times the residual standard deviation bounds the standard error of every Hessian
    entry (``2 b_uu``, ``b_uv``, ``2 b_vv``)."""
    design = quadratic_design(n)
    pinv = np.linalg.pinv(design)
    cov = np.linalg.inv(design.T @ design)
    factor = float(max(2.0 * np.sqrt(cov[3, 3]), np.sqrt(cov[4, 4]), 2.0 * np.sqrt(cov[5, 5])))
    return pinv, design @ pinv, factor


def identity(num: int) -> np.ndarray:
    """``num`` identity shapes ``(num, 2, 2)``."""
    return np.broadcast_to(np.eye(2), (num, 2, 2)).copy()


def initial(num: int, metric: str) -> np.ndarray | None:
    """The shapes at the start of ``num`` runs: identities for ``"grid_fit"``, ``None`` (the square
    grid, nothing to track) for ``"none"``."""
    return None if metric == "none" else identity(num)


def apply(shape: np.ndarray | None, directions: np.ndarray) -> np.ndarray:
    """Moves ``A u`` for unit directions ``u (B, 2)`` read from the grids (unchanged without a shape)."""
    return directions if shape is None else np.einsum("bij,bj->bi", shape, directions)


def fitted_hessians(
    grids: np.ndarray, min_r2: float = MIN_R2, floor: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Hessians of the least-squares quadratic of each raw grid ``(B, n, n)`` in grid units, up to
    a positive factor per grid (values are scaled to a unit range first), ``(B, 2, 2)``, and whether
    each fit passes the module docstring's tests ``(B,)`` (a grid with a non-finite sample or no
    variation never does). ``floor``: ``grid_fit_floor``'s tests (``min_r2`` applies to the fits
    that need the floor only), and the flat curvature raised to the resolvable one."""
    B, n = len(grids), grids.shape[-1]
    pinv, hat, factor = _fit(n)
    values = grids.reshape(B, n * n)
    finite = np.all(np.isfinite(values), axis=1)
    values = np.where(finite[:, None], values, 0.0)
    centred = values - values.mean(axis=1, keepdims=True)
    scale = np.max(np.abs(centred), axis=1)
    values = centred / np.where(scale > 0, scale, 1.0)[:, None]  # well-scaled for the test below
    coef = values @ pinv.T
    residual = values - values @ hat.T
    ss_res = np.sum(residual**2, axis=1)
    sigma = np.sqrt(ss_res / (n * n - 6))
    H = np.stack(
        [np.stack([2.0 * coef[:, 3], coef[:, 4]], -1), np.stack([coef[:, 4], 2.0 * coef[:, 5]], -1)], -2
    )
    lam = np.linalg.eigvalsh(H)
    r2 = 1.0 - ss_res / np.maximum(np.sum(values**2, axis=1), 1e-300)
    resolved = SIGNIFICANCE * factor * sigma
    ok = finite & (scale > 0)
    if not floor:
        return H, ok & (lam[:, 0] > resolved) & (r2 >= min_r2)
    lam, V = np.linalg.eigh(H)
    resolved = np.maximum(resolved, ROUNDING)
    clear = lam[:, 0] > resolved  # both curvatures stand out: no fit-quality test
    ok &= (lam[:, 1] > resolved) & (lam[:, 0] > -resolved) & (clear | (r2 >= min_r2))
    lam = np.stack([np.maximum(lam[:, 0], resolved), lam[:, 1]], -1)
    return np.einsum("bij,bj,bkj->bik", V, lam, V), ok


def _power(M: np.ndarray, p: float, max_condition: float = np.inf) -> np.ndarray:
    """``M^p`` of symmetric positive definite ``(B, 2, 2)``, normalised to determinant 1, its
    condition number capped at ``max_condition``."""
    lam, V = np.linalg.eigh(M)
    log_lam = p * np.log(lam)
    log_lam -= log_lam.mean(axis=1, keepdims=True)  # det 1
    half = 0.5 * np.log(max_condition)
    log_lam = np.clip(log_lam, -half, half)
    return np.einsum("bij,bj,bkj->bik", V, np.exp(log_lam), V)


def update(
    shape: np.ndarray,
    grids: np.ndarray,
    rate: float = DEFAULT_RATE,
    min_r2: float = MIN_R2,
    metric: str = "grid_fit",
) -> np.ndarray:
    """The shapes after observing raw ``grids (B, n, n)`` sampled with ``shape (B, 2, 2)``
    (module docstring; ``metric`` one of the adapted ``METRICS``); slots whose fit fails its tests
    keep their shape."""
    H, ok = fitted_hessians(grids, min_r2, floor=metric == "grid_fit_floor")
    if not ok.any():
        return shape
    idx = np.flatnonzero(ok)
    A = shape[idx]
    C = A @ _power(H[idx], -rate) @ A
    out = shape.copy()
    out[idx] = _power(0.5 * (C + np.swapaxes(C, -1, -2)), 0.5, np.sqrt(MAX_CONDITION))
    return out


MODEL_R2 = 1.0 - 1e-6
""":func:`model_minimum`: the quadratic must explain at least this fraction of the grid's variance
(a residual of 0.1 % of the grid's spread), so that only a grid on a smooth minimum proposes one."""


def model_minimum(grid: np.ndarray, r2: float = MODEL_R2) -> tuple[np.ndarray, float] | None:
    """The minimum of the least-squares quadratic of one raw grid ``(n, n)``: ``(z, drop)``, ``z``
    its offsets in grid units (sample ``(i, j)`` sits at offsets ``(o_i, o_j)``) and ``drop`` how far
    the model falls from the grid's centre to it (the grid's raw units), or None where the fit does
    not describe a minimum inside the grid: a non-finite sample, no variation, a residual above
    ``1 - r2`` of the variance (default ``MODEL_R2``), a curvature that does not stand out from the residual
    (``SIGNIFICANCE`` standard errors) or a minimum beyond the grid's outer samples."""
    n = grid.shape[-1]
    values = np.asarray(grid, dtype=float).reshape(n * n)
    if not np.isfinite(values).all():
        return None
    pinv, hat, factor = _fit(n)
    centred = values - values.mean()
    scale = float(np.max(np.abs(centred)))
    if not scale > 0:
        return None
    centred = centred / scale
    coef = pinv @ centred
    residual = centred - hat @ centred
    ss_res = float(residual @ residual)
    if ss_res > (1.0 - r2) * float(centred @ centred):
        return None
    H = np.array([[2.0 * coef[3], coef[4]], [coef[4], 2.0 * coef[5]]])
    if np.linalg.eigvalsh(H)[0] <= SIGNIFICANCE * factor * np.sqrt(ss_res / (n * n - 6)):
        return None
    z = -np.linalg.solve(H, coef[1:3])
    if np.max(np.abs(z)) > (n - 1) / 2:
        return None
    return z, float(0.5 * z @ H @ z) * scale
