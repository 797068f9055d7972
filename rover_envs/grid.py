"""Grid observations ``s_delta^n(f, theta)`` (paper eq. 1) and their [0, 1] rescaling.

The grid is centred on the iterate: sample ``(i, j)`` sits at
``theta + delta * (i - (n - 1) / 2, j - (n - 1) / 2)``, so for odd ``n`` the centre sample is
``theta`` itself. Row index ``i`` moves along the first coordinate (or dimension ``dims[0]``),
column index ``j`` along the second (``dims[1]``): ``grid[i, j]`` is what ``imshow`` shows
with ``origin="lower"`` transposed, and what the direction providers assume.

In ``d > 2`` dimensions a grid lives in the plane of two coordinates ``(i, j)`` (section 3.3);
every other coordinate stays at ``theta``'s value. All functions broadcast over leading axes,
so many iterates and many pairs are handled in one call.
"""

from __future__ import annotations

import warnings

import numpy as np

GRID_SIZE = 7
"""The grid size ``n`` the paper and the shipped networks use (49 samples per observation)."""

FLAT_RTOL = 64 * np.finfo(np.float64).eps
"""A grid whose range is below this fraction of its magnitude is flat (rounding noise)."""


def offsets(n: int) -> np.ndarray:
    """Centred offsets ``i - (n - 1) / 2`` for ``i = 0..n-1``: ``(n,)``."""
    if n < 2:
        raise ValueError(f"grid_size must be at least 2; got {n}")
    return np.arange(n, dtype=float) - (n - 1) / 2.0


def quadratic_design(n: int) -> np.ndarray:
    """``(n * n, 6)``: the design matrix of ``c + a_u u + a_v v + b_uu u^2 + b_uv u v + b_vv v^2`` on
    an ``n x n`` grid (``u``, ``v``: offsets in grid units along the first and second axis), rows in
    the grid's flattened order (what the quadratic-fit direction and the grid's shape fit)."""
    o = offsets(n)
    u, v = np.meshgrid(o, o, indexing="ij")
    return np.stack([np.ones_like(u), u, v, u * u, u * v, v * v], axis=-1).reshape(-1, 6)


def grid_points(
    theta: np.ndarray,
    delta: np.ndarray,
    n: int,
    dims: np.ndarray | None = None,
    shape: np.ndarray | None = None,
) -> np.ndarray:
    """Sample locations of the grid.

    Args:
        theta: iterates, ``(..., d)``.
        delta: resolutions, ``(...)`` (broadcast against ``theta[..., 0]``).
        n: grid size.
        dims: ``(..., 2)`` integer pairs of coordinates spanning the grid; ``None`` means
            ``(0, 1)`` (and requires ``d == 2``).
        shape: ``(B, 2, 2)`` grid shapes ``A`` for a batch of 2-D iterates ``(B, 2)``: sample
            ``(i, j)`` at ``theta + delta * A (o_i, o_j)`` (:mod:`rover_envs.metric`); ``None``
            is the square grid.

    Returns:
        ``(..., n, n, d)`` points.
    """
    theta = np.asarray(theta, dtype=float)
    d = theta.shape[-1]
    o = offsets(n)
    step = np.asarray(delta, dtype=float)[..., None, None]
    if dims is None:
        if d != 2:
            raise ValueError(f"dims=None needs 2-D iterates; got d={d}, pass dims pairs")
        if shape is not None:
            base = np.stack(np.meshgrid(o, o, indexing="ij"), axis=-1)  # (n, n, 2)
            return theta[:, None, None, :] + step[..., None] * np.einsum("bkl,ijl->bijk", shape, base)
        u = step * o[:, None]
        v = step * o[None, :]
        return np.stack(np.broadcast_arrays(theta[..., None, None, 0] + u, theta[..., None, None, 1] + v), -1)
    dims = np.asarray(dims)
    if dims.shape[-1] != 2 or np.any(dims[..., 0] == dims[..., 1]):
        raise ValueError("dims must be (..., 2) pairs of two different coordinates")
    if np.any((dims < 0) | (dims >= d)):
        raise ValueError(f"dims must lie in [0, {d}); got {dims.min()}..{dims.max()}")
    lead = np.broadcast_shapes(theta.shape[:-1], dims.shape[:-1], np.shape(delta))
    pts = np.broadcast_to(theta[..., None, None, :], (*lead, n, n, d)).copy()
    flat = pts.reshape(-1, n, n, d)  # a view: each grid's two coordinates are written in place
    grid = np.arange(flat.shape[0])
    step = np.broadcast_to(np.asarray(delta, dtype=float), lead).reshape(-1, 1, 1)
    flat[grid, :, :, np.broadcast_to(dims[..., 0], lead).reshape(-1)] += step * o[:, None]
    flat[grid, :, :, np.broadcast_to(dims[..., 1], lead).reshape(-1)] += step * o[None, :]
    return pts


def rescale(values: np.ndarray) -> np.ndarray:
    """Map each ``(..., n, n)`` grid linearly onto [0, 1] (min -> 0, max -> 1).

    A flat grid (range below ``FLAT_RTOL`` of its magnitude, or exactly zero) maps to zeros
    instead of dividing by zero. Non-finite samples (NaN or inf from a user's function) are the
    worst values of their grid: they map to 1 and the finite samples set the scale; a grid
    without any finite sample maps to ones.
    """
    bad = ~np.isfinite(values)
    if bad.any():
        finite = np.where(bad, np.nan, values)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN grids: handled below
            lo = np.nanmin(finite, axis=(-2, -1), keepdims=True)
            hi = np.nanmax(finite, axis=(-2, -1), keepdims=True)
        lo, hi = np.nan_to_num(lo, nan=0.0), np.nan_to_num(hi, nan=0.0)
        return np.where(bad, 1.0, _rescale_finite(np.where(bad, hi, values), lo, hi))
    lo = values.min(axis=(-2, -1), keepdims=True)
    hi = values.max(axis=(-2, -1), keepdims=True)
    return _rescale_finite(values, lo, hi)


def _rescale_finite(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    span = hi - lo
    flat = span <= FLAT_RTOL * np.maximum(np.abs(hi), np.abs(lo))
    return np.where(flat, 0.0, (values - lo) / np.where(flat, 1.0, span))


def sample_grid(
    f, theta: np.ndarray, delta: np.ndarray, n: int, dims: np.ndarray | None = None
) -> np.ndarray:
    """``s_delta^n(f, theta)``: raw values of a vectorised ``f`` on the grid, ``(..., n, n)``."""
    return np.asarray(f(grid_points(theta, delta, n, dims)), dtype=float)
