"""Direction providers: the teachers (gradient, Newton, best of both), a quadratic fit of the grid
and, lazily, the angle net.

A provider maps the current observations and, for teachers, the landscapes and iterates to
unit move directions ``(B, 2)``. Teachers read the landscape's analytic derivatives; they are
oracles used to generate behaviour-cloning data (section 3.2.2) and as reference policies.

**Best teacher.** Section 3.2.2 keeps, at every step, the teacher whose move decreases f most.
A direction alone has no decrease, so each teacher's step length comes from a line search: the
best of 25 lengths ``s * 2^k`` (``k = -20..4``) where ``s`` is the distance to the minimiser,
plus the teacher's natural step (the full Newton step; the Cauchy step ``g^T g / g^T H g`` for
gradient descent when the curvature along ``g`` is positive). The geometric grid brackets the
line minimum within a factor of sqrt(2) at any distance from the optimum, is vectorised (one
batched evaluation of ``B x 2 x 26`` points) and cannot be fooled by non-convexity the way a
local Armijo search can; the natural steps make it exact on quadratics. Ties, and points where
neither teacher decreases f, go to gradient descent.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from rover_envs.grid import quadratic_design
from rover_envs.landscapes.base import LandscapeBatch
from rover_envs.transition import unit

_EXPONENTS = 2.0 ** np.arange(-20, 5)


def gradient_step(batch: LandscapeBatch, theta: np.ndarray) -> np.ndarray:
    """Steepest-descent direction ``-g`` (unnormalised), ``(B, d)``."""
    return -batch.grads(theta)


def newton_step(batch: LandscapeBatch, theta: np.ndarray) -> np.ndarray:
    """Full Newton step ``-H^{-1} g``; ``-g`` where ``H`` is singular or ill-conditioned."""
    g = batch.grads(theta)
    H = batch.hessians(theta)
    det_ok = np.abs(np.linalg.det(H)) > 1e-12 * np.maximum(np.linalg.norm(H, axis=(-2, -1)) ** 2, 1e-300)
    safe = np.where(det_ok[:, None, None], H, np.eye(H.shape[-1]))
    step = -np.linalg.solve(safe, g[..., None])[..., 0]
    return np.where(det_ok[:, None], step, -g)


class TeacherMove(NamedTuple):
    direction: np.ndarray  # (B, d) unit directions of the chosen teacher
    step: np.ndarray  # (B,) line-search step length along it
    value: np.ndarray  # (B,) f after the move
    use_newton: np.ndarray  # (B,) bool: Newton was the better teacher


def _line_search(batch, theta, direction, scale, natural):
    """Best step along each unit direction over the geometric grid plus a natural step."""
    steps = np.concatenate([scale[:, None] * _EXPONENTS[None, :], natural[:, None]], axis=1)
    pts = batch.clip(theta[:, None, :] + steps[..., None] * direction[:, None, :])
    vals = batch.values(pts)
    vals = np.where(np.isfinite(vals), vals, np.inf)
    j = np.argmin(vals, axis=1)
    rows = np.arange(len(theta))
    return steps[rows, j], vals[rows, j]


def best_teacher_move(batch: LandscapeBatch, theta: np.ndarray, x_star: np.ndarray) -> TeacherMove:
    """The better of the gradient and Newton moves (see the module docstring)."""
    g = batch.grads(theta)
    H = batch.hessians(theta)
    f = batch.values(theta[:, None, :])[:, 0]
    scale = np.maximum(np.linalg.norm(theta - x_star, axis=-1), 1e-12)
    d_g = unit(-g)
    curv = np.einsum("bi,bij,bj->b", g, H, g)
    gg = np.einsum("bi,bi->b", g, g)
    cauchy = np.where(curv > 0, gg / np.where(curv > 0, curv, 1.0), 0.0) * np.sqrt(gg)
    n_step = newton_step(batch, theta)
    d_n = unit(n_step)
    t_g, v_g = _line_search(batch, theta, d_g, scale, cauchy)
    t_n, v_n = _line_search(batch, theta, d_n, scale, np.linalg.norm(n_step, axis=-1))
    use_newton = (v_n < v_g) & (v_n < f)
    direction = np.where(use_newton[:, None], d_n, d_g)
    return TeacherMove(direction, np.where(use_newton, t_n, t_g), np.where(use_newton, v_n, v_g), use_newton)


DirectionFn = Callable[[np.ndarray, LandscapeBatch, np.ndarray, np.ndarray], np.ndarray]


def gradient_direction(obs, batch, theta, x_star):
    return unit(gradient_step(batch, theta))


def newton_direction(obs, batch, theta, x_star):
    return unit(newton_step(batch, theta))


def best_teacher_direction(obs, batch, theta, x_star):
    return best_teacher_move(batch, theta, x_star).direction


@functools.cache
def _fit_operator(n: int) -> np.ndarray:
    """``(6, n*n)``: least-squares coefficients of ``c + a_u u + a_v v + b_uu u^2 + b_uv u v + b_vv v^2``
    from an ``n x n`` grid (``u``, ``v``: offsets in grid units along the first and second axis)."""
    return np.linalg.pinv(quadratic_design(n))


def quadratic_fit_direction(obs, batch=None, theta=None, x_star=None):
    """The Newton direction of a least-squares quadratic fit of each grid, ``(B, 2)``.

    Reads only the observation (like the angle network, unlike the teachers): the fit's gradient
    ``g`` and Hessian ``H`` (in grid units; rescaling the values does not change the direction),
    then ``-H^{-1} g`` where ``H`` is positive definite and ``-g`` elsewhere. Non-finite samples
    (already the grid's worst values after rescaling) enter the fit as such.
    """
    n = obs.shape[-1]
    grids = np.asarray(obs, dtype=float).reshape(len(obs), n * n)
    _, a_u, a_v, b_uu, b_uv, b_vv = (grids @ _fit_operator(n).T).T
    h11, h12, h22 = 2.0 * b_uu, b_uv, 2.0 * b_vv
    det = h11 * h22 - h12 * h12
    definite = (det > 1e-12 * np.maximum(h11 * h11 + h22 * h22, 1e-300)) & (h11 > 0)
    safe = np.where(definite, det, 1.0)
    newton = -np.stack([(h22 * a_u - h12 * a_v) / safe, (h11 * a_v - h12 * a_u) / safe], axis=-1)
    return unit(np.where(definite[:, None], newton, -np.stack([a_u, a_v], axis=-1)))


TEACHERS: dict[str, DirectionFn] = {
    "gradient": gradient_direction,
    "newton": newton_direction,
    "best_teacher": best_teacher_direction,
}
"""Teacher direction providers: ``fn(obs, batch, theta, x_star) -> (B, d)`` unit vectors."""

GRID_DIRECTIONS: dict[str, DirectionFn] = {"quadratic_fit": quadratic_fit_direction}
"""Hand-designed providers that, like the angle network, see the grid only."""

DIRECTION_NAMES: tuple[str, ...] = ("angle_net", *GRID_DIRECTIONS, *TEACHERS, "agent")
"""Every ``direction=`` the environment accepts: the frozen angle network (torch, loaded
lazily from the shipped weights), the quadratic fit of the grid, the teachers, or ``"agent"``
(the action carries it)."""


def make_direction(name: str, angle_net_path=None) -> DirectionFn | None:
    """The provider called ``name`` (``None`` for ``"agent"``)."""
    if name == "agent":
        return None
    if name == "angle_net":
        from rover_envs.angle_net import FrozenAngleNet

        return FrozenAngleNet.load(angle_net_path)
    providers = {**GRID_DIRECTIONS, **TEACHERS}
    if name not in providers:
        raise ValueError(f"unknown direction {name!r}; valid: {', '.join(DIRECTION_NAMES)}")
    return providers[name]
