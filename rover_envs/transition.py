"""Eq. 4 as pure functions: the one transition the environments and ``RoverDescent`` share.

    theta_{t+1} = theta_t + alpha_t * direction_t
    alpha_{t+1} = alpha_t * (1 + d_alpha_t)
    delta_{t+1} = delta_t * (1 + d_delta_t)

Every function works on a batch of ``B`` slots (the vector env), and on one iterate
(``RoverDescent``) with ``B = 1``, so both layers run the same arithmetic and a trajectory of the
learned optimiser is an episode of the environment (tested).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rover_envs.features import grid_statistics

ACTION_LOW, ACTION_HIGH = -0.5, 1.0
"""The paper's action box for ``(d_alpha, d_delta)`` (section 3.2.3): at most double or halve."""

DIRECTION_LOW, DIRECTION_HIGH = -1.0, 1.0
"""Bounds of the direction entries (``direction="agent"``) and of the move choice (``move="actor"``)
when the action carries them."""


def unit(v: np.ndarray) -> np.ndarray:
    """Rows of ``v (..., d)`` scaled to unit length; a zero row stays zero (no move)."""
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.where(norm > 0, v / np.where(norm > 0, norm, 1.0), 0.0)


def clip_actions(actions: np.ndarray, with_direction: bool = False, with_choice: bool = False) -> np.ndarray:
    """Actions ``(B, k)`` clipped entry by entry to their box: ``(d_alpha, d_delta)`` to
    ``[ACTION_LOW, ACTION_HIGH]``, then, when present, a direction (2 entries) and a move choice
    (1 entry, ``move="actor"``) to ``[-1, 1]``."""
    actions = np.asarray(actions, dtype=float)
    extra = 2 * with_direction + with_choice
    if actions.ndim != 2 or actions.shape[1] != 2 + extra:
        parts = (
            "(d_alpha, d_delta)"
            + " + a direction (2)" * with_direction
            + " + a move choice (1)" * with_choice
        )
        raise ValueError(f"actions of shape {actions.shape[1:]} per slot; expected ({2 + extra},): {parts}")
    out = np.clip(actions[:, :2], ACTION_LOW, ACTION_HIGH)
    if extra:
        out = np.concatenate([out, np.clip(actions[:, 2 : 2 + extra], DIRECTION_LOW, DIRECTION_HIGH)], axis=1)
    return out


GUARDS = ("none", "border")
"""Overrides of the actor's zoom (:func:`guard_actions`): ``"none"``, the actor's actions as they
are; ``"border"``, no shrinking while the grid's minimum lies on its border."""


def guard_actions(actions: np.ndarray, grid: np.ndarray, guard: str = "border") -> np.ndarray:
    """``actions (B, >= 2)`` with ``(d_alpha, d_delta)`` raised to at least 0 in the slots whose
    raw grid ``(B, n, n)``, n odd, has its minimum on the border and strictly below its centre
    (``guard="border"``): the grid then shows its basin's minimum beyond it, so the zoom holds
    until a grid contains it (the contraction rule of pattern search: shrink only when the centre
    region holds the best sample). Strictly below: samples clipped onto a bound repeat the
    centre's value when the iterate sits on it, so a minimum on the bound does not hold the zoom.
    NaN or inf samples count as the grid's worst value. ``guard="none"``: unchanged."""
    if guard not in GUARDS:
        raise ValueError(f"unknown guard {guard!r}; valid: {', '.join(GUARDS)}")
    if guard == "none":
        return actions
    grid = np.asarray(grid, dtype=float)
    n = grid.shape[-1]
    _, on_border, _ = grid_statistics(grid)
    flat = np.where(np.isfinite(grid), grid, np.inf).reshape(len(grid), -1)
    below = flat.min(axis=1) < flat[:, (n * n) // 2]
    hold = on_border.astype(bool) & below
    out = np.array(actions, dtype=float, copy=True)
    out[hold, :2] = np.maximum(out[hold, :2], 0.0)
    return out


def zoom_caps(width, n: int):
    """``(alpha_max, delta_max)`` in a box whose smallest width is ``width`` (a number or an array of
    them; ``inf``: unbounded): a step no longer than ``width`` and an ``n x n`` grid whose half-extent
    ``delta (n - 1) / 2`` is at most ``width``; from anywhere in the box it then covers the box,
    and a wider one only repeats clipped samples. ``RoverDescent``'s ``zoom_cap`` and the
    environment's boxed episodes (``box_fraction``) apply the same caps."""
    return width, width / ((n - 1) / 2.0)


def transition(
    theta: np.ndarray,
    alpha: np.ndarray,
    delta: np.ndarray,
    direction: np.ndarray,
    actions: np.ndarray,
    clip: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One step of eq. 4 for ``B`` slots.

    Args:
        theta: iterates ``(B, d)``.
        alpha, delta: step sizes and resolutions ``(B,)``.
        direction: unit move directions ``(B, d)``.
        actions: ``(B, >= 2)``; the first two entries are ``(d_alpha, d_delta)``, already in
            their box (:func:`clip_actions`).
        clip: keeps the new iterates in the domain (a landscape's bounds), if any.

    Returns:
        ``(theta, alpha, delta)`` after the move.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        moved = theta + alpha[:, None] * direction
        alpha = alpha * (1.0 + actions[:, 0])
        delta = delta * (1.0 + actions[:, 1])
    return (moved if clip is None else clip(moved)), alpha, delta
