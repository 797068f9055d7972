"""The global minimum of a batch of random fields (``f_star`` of the training families).

Closed form where there is one; otherwise a multi-start trust-region search, vectorised over
landscapes and starts. Whoever draws fields (:func:`rover_envs.landscapes.families.sample_fields`,
:meth:`~rover_envs.landscapes.families.Family.sample`) computes their minima here, in one
batch, and passes them to the landscape objects.
"""

from __future__ import annotations

import numpy as np

from rover_envs.landscapes.fields import FieldParams, field_grads, field_hessians, field_values

_SEARCH_GRID = 14
_SEARCH_STARTS = 3
_NEWTON_ITERS = 25
_NEWTON_TRIES = 0.25 ** np.arange(6)
_GRADIENT_TRIES = 0.25 ** np.arange(14)


def field_minimum(p: FieldParams) -> tuple[np.ndarray, np.ndarray]:
    """Global minimiser and minimum of each field: ``(B, 2)``, ``(B,)``.

    Closed form for a bowl, rippled or not (``mu``: the ripples vanish there), and for a single
    negative bump (its centre, the only critical point below the plateau). Otherwise a multi-start search (see
    :func:`_search_minimum`), vectorised over landscapes and starts.
    """
    has_bumps = np.any(p.w != 0.0, axis=1)
    has_quad = np.any(p.Q != 0.0, axis=(1, 2))
    n_bumps = np.sum(p.w != 0.0, axis=1)
    x_star = p.mu.copy()
    single = has_bumps & ~has_quad & (n_bumps == 1) & (p.w[:, 0] < 0)
    x_star[single] = p.c[single, 0]
    hard = np.flatnonzero(has_bumps & ~single)
    if hard.size:
        x_star[hard] = _search_minimum(p.take(hard))
    f_star = field_values(p, x_star[:, None, :])[:, 0]
    return x_star, f_star


def _grid(lo: np.ndarray, hi: np.ndarray, n: int) -> np.ndarray:
    """``(B, n*n, 2)`` regular grids over the boxes ``[lo, hi]``."""
    t = np.linspace(0.0, 1.0, n)
    g0 = lo[:, None, 0] + (hi - lo)[:, None, 0] * t[None, :]
    g1 = lo[:, None, 1] + (hi - lo)[:, None, 1] * t[None, :]
    return np.stack(np.broadcast_arrays(g0[:, :, None], g1[:, None, :]), -1).reshape(len(lo), -1, 2)


def _search_minimum(p: FieldParams) -> np.ndarray:
    """Multi-start search for fields with several bumps.

    Candidates: the conditioning points, a 14x14 grid over their bounding box plus one unit
    (an ill-conditioned Gram matrix gives large weights of both signs and structure finer than
    the kernel's length scale near the points), and a 14x14 grid three length scales beyond.
    The best three start trust-region Newton iterations: the shifted-Newton step (at most one
    length scale long) and the steepest-descent direction are each tried at several lengths,
    and the best decrease is taken. Each landscape stops on its own criterion, so its result
    never depends on which other landscapes share the batch (the vector env must match single
    environments exactly).
    """
    B = p.size
    used = p.w != 0.0
    ell = np.max(np.linalg.norm(p.L, axis=1), axis=1)  # longest length scale
    cmask = np.where(used[..., None], p.c, np.nan)
    cmin, cmax = np.nanmin(cmask, axis=1), np.nanmax(cmask, axis=1)
    pts = np.concatenate(
        [
            p.c,
            _grid(cmin - 1.0, cmax + 1.0, _SEARCH_GRID),
            _grid(cmin - 3.0 * ell[:, None], cmax + 3.0 * ell[:, None], _SEARCH_GRID),
        ],
        axis=1,
    )
    vals = field_values(p, pts)
    best = np.argsort(vals, axis=1)[:, :_SEARCH_STARTS]
    x = np.take_along_axis(pts, best[..., None], axis=1)  # (B, S, 2)
    fx = np.take_along_axis(vals, best, axis=1)
    active = np.arange(B)
    for _ in range(_NEWTON_ITERS):
        sub = p.take(active) if active.size < B else p
        x_new, f_new = _descent_step(sub, x[active], fx[active], ell[active])
        # a row is done when its best start moves less than 1e-9 (a Newton step that small
        # leaves an error of order 1e-18; no move means neither direction decreases f any
        # more); starts crawling across a flat far field do not hold it up
        best = np.argmin(f_new, axis=1)
        rows = np.arange(active.size)
        moved = np.max(np.abs(x_new[rows, best] - x[active][rows, best]), axis=1)
        x[active], fx[active] = x_new, f_new
        active = active[moved > 1e-9 * np.maximum(1.0, np.max(np.abs(x_new[rows, best]), axis=1))]
        if active.size == 0:
            break
    return x[np.arange(B), np.argmin(fx, axis=1)]


def _descent_step(p: FieldParams, x: np.ndarray, fx: np.ndarray, ell: np.ndarray):
    """One trust-region step for every start: the best of shifted-Newton and steepest-descent
    moves at several lengths, kept only if it decreases f.

    The 2x2 algebra is explicit: numpy's batched ``eigvalsh``/``solve`` cost more in call
    overhead than the arithmetic on a handful of matrices.
    """
    g = field_grads(p, x)
    H = field_hessians(p, x)
    a, b, c = H[..., 0, 0], H[..., 0, 1], H[..., 1, 1]
    lam_min = 0.5 * (a + c) - np.sqrt(0.25 * (a - c) ** 2 + b * b)
    shift = np.maximum(0.0, -lam_min) + 1e-9 + 1e-6 * np.abs(lam_min)
    a, c = a + shift, c + shift
    det = a * c - b * b
    newton = -np.stack([c * g[..., 0] - b * g[..., 1], a * g[..., 1] - b * g[..., 0]], -1) / det[..., None]
    radius = ell[:, None, None]
    n_len = np.linalg.norm(newton, axis=-1, keepdims=True)
    newton = newton * np.minimum(1.0, radius / np.maximum(n_len, 1e-300))
    g_len = np.linalg.norm(g, axis=-1, keepdims=True)
    steepest = -g * (radius / np.maximum(g_len, 1e-300))
    moves = np.concatenate(
        [
            _NEWTON_TRIES[None, None, :, None] * newton[:, :, None, :],
            _GRADIENT_TRIES[None, None, :, None] * steepest[:, :, None, :],
        ],
        axis=2,
    )
    B, S, _ = x.shape
    cand = x[:, :, None, :] + moves
    cv = field_values(p, cand.reshape(B, -1, 2)).reshape(B, S, -1)
    j = np.argmin(cv, axis=-1)
    fnew = np.take_along_axis(cv, j[..., None], -1)[..., 0]
    xnew = np.take_along_axis(cand, j[..., None, None], 2)[:, :, 0]
    better = fnew < fx
    return np.where(better[..., None], xnew, x), np.where(better, fnew, fx)
