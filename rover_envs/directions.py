"""Direction providers: the teachers (gradient, Newton, best of both) and, lazily, the angle net.

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

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

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


TEACHERS: dict[str, DirectionFn] = {
    "gradient": gradient_direction,
    "newton": newton_direction,
    "best_teacher": best_teacher_direction,
}
"""Teacher direction providers: ``fn(obs, batch, theta, x_star) -> (B, d)`` unit vectors."""

DIRECTION_NAMES: tuple[str, ...] = ("angle_net", *TEACHERS, "agent")
"""Every ``direction=`` the environment accepts: the frozen angle network (torch, loaded
lazily from the shipped weights), the teachers, or ``"agent"`` (the action carries it)."""


def make_direction(name: str, angle_net_path=None) -> DirectionFn | None:
    """The provider called ``name`` (``None`` for ``"agent"``)."""
    if name == "agent":
        return None
    if name == "angle_net":
        from rover_envs.angle_net import FrozenAngleNet

        return FrozenAngleNet.load(angle_net_path)
    if name not in TEACHERS:
        raise ValueError(f"unknown direction {name!r}; valid: {', '.join(DIRECTION_NAMES)}")
    return TEACHERS[name]
