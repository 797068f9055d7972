"""Move rules: where the iterate goes once a grid has been paid for.

Eq. 4 always takes the step ``theta + alpha * direction`` and throws away what the grid showed;
the alternatives use it. Every rule is a pure batched function of a :class:`MoveInputs` (``B``
slots) and an ``evaluate(points (B, d)) -> (B,)`` that samples the function once per slot (the
rules in ``EVALUATING`` call it once; the caller counts it), and returns a :class:`Move`:

* ``eq4`` — the paper's move: always the step (no extra evaluation);
* ``keep`` — evaluate the step's end point; take it if it is lower than the grid's centre
  ``f(theta)``, else stay at ``theta`` (never moves to a worse point than the centre);
* ``best_sample`` — as ``keep``, but when the step fails move to the grid's best sample if it is
  lower than the centre (never worse than the centre either);
* ``actor`` — the action's last entry chooses: above 0 the grid's best finite sample (``theta``
  itself when nothing on the grid is lower), otherwise the step (no extra evaluation).

Values are what the agent observes (noisy samples with ``noise > 0``); NaN or inf is never lower
than anything, so a rule never moves to an undefined point except eq. 4 and the actor's step.
The environments and ``RoverDescent`` call the same functions (tested).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np


class MoveInputs(NamedTuple):
    theta: np.ndarray  # (B, d) the iterate the grid was taken at
    step: np.ndarray  # (B, d) theta + alpha * direction, already in the domain
    centre: np.ndarray  # (B,) observed value at theta (the grid's centre sample)
    points: np.ndarray  # (B, m, d) the grid's sample points
    values: np.ndarray  # (B, m) observed values there (NaN/inf allowed)
    choice: np.ndarray | None  # (B,) the actor's choice in [-1, 1] (rule "actor" only)


class Move(NamedTuple):
    theta: np.ndarray  # (B, d) the new iterate
    accepted: np.ndarray  # (B,) bool: the step was taken


Evaluate = Callable[[np.ndarray], np.ndarray]


def _lower(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a < b`` with NaN/inf never lower (and never a reason to move)."""
    return np.isfinite(a) & (a < b)


def _best_sample(m: MoveInputs) -> tuple[np.ndarray, np.ndarray]:
    """The grid's best sample per slot and whether it is lower than the centre."""
    finite = np.where(np.isfinite(m.values), m.values, np.inf)
    j = np.argmin(finite, axis=1)
    rows = np.arange(len(j))
    return m.points[rows, j], _lower(finite[rows, j], m.centre)


def eq4(m: MoveInputs, evaluate: Evaluate) -> Move:
    return Move(m.step, np.ones(len(m.step), bool))


def keep(m: MoveInputs, evaluate: Evaluate) -> Move:
    accepted = _lower(evaluate(m.step), m.centre)
    return Move(np.where(accepted[:, None], m.step, m.theta), accepted)


def best_sample(m: MoveInputs, evaluate: Evaluate) -> Move:
    accepted = _lower(evaluate(m.step), m.centre)
    best, better = _best_sample(m)
    fallback = np.where(better[:, None], best, m.theta)
    return Move(np.where(accepted[:, None], m.step, fallback), accepted)


def actor(m: MoveInputs, evaluate: Evaluate) -> Move:
    if m.choice is None:
        raise ValueError("move='actor' needs the actor's choice (the action's last entry)")
    best, _ = _best_sample(m)
    to_best = m.choice > 0
    return Move(np.where(to_best[:, None], best, m.step), ~to_best)


MOVES: dict[str, Callable[[MoveInputs, Evaluate], Move]] = {
    "eq4": eq4,
    "keep": keep,
    "best_sample": best_sample,
    "actor": actor,
}
"""Move rules by name; ``eq4`` (the paper's) is the default everywhere."""

EVALUATING = frozenset({"keep", "best_sample"})
"""Rules that spend one evaluation per step at the step's end point."""
