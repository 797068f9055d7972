"""Rover Descent over pairs of dimensions (paper section 3.3): the loop behind
``RoverDescent.minimize(..., pairs=...)`` for ``d >= 2``.

Every pair ``(i, j)`` of coordinates keeps its own step size, resolution, recurrent state and
history features (:class:`PairStates`, allocated the first time the pair is drawn, from the
initial alpha and delta). One iteration:

1. the strategy draws the pairs (:mod:`agents.pairs`; each unordered pair once);
2. their grids, each in the plane of its pair around the iterate at the pair's resolution, are
   **one** evaluation of ``m * n * n`` points (one ``(m n^2, d)`` array when ``vectorized``);
3. one batched angle-net pass gives the pairs' directions, one batched actor step their
   ``(d_alpha, d_delta)``; each pair's 2-D step is ``alpha_ij * direction_ij`` (eq. 4, with the
   pair's alpha before its update, as in 2-D);
4. eqs. 8-10 combine the 2-D steps by least squares (:func:`agents.pairs.combine`: per
   coordinate, the mean over the sampled pairs that contain it);
5. the policy's move rule decides where the iterate goes, on the combined step and all the
   grids' samples at once: ``eq4`` takes the combined step; ``keep`` evaluates it and takes it
   only if lower than ``f(theta)``; ``best_sample`` then falls back to the lowest sample of any
   pair's grid. ``actor`` (a per-pair choice) has no combined meaning: ``minimize`` refuses it.

Each sampled pair's features see the combined move's outcome (accepted or not) and the global
iteration count. With ``d = 2`` and ``AllPairs()`` this is the 2-D optimiser, value for value
(tested).
"""

from __future__ import annotations

import numpy as np
import torch

from agents.objective import Objective
from agents.pairs import combine, normalise_pairs
from rover_envs.features import HistoryFeatures
from rover_envs.grid import grid_points, rescale
from rover_envs.moves import EVALUATING, MOVES, MoveInputs
from rover_envs.transition import clip_actions


class PairStates:
    """Per-pair alpha, delta, recurrent state and features, in slots allocated on first use."""

    def __init__(self, actor, d: int, alpha0: float, delta0: float, horizon: int, features: bool):
        self.actor, self.d, self.alpha0, self.delta0 = actor, d, alpha0, delta0
        self.slot: dict[int, int] = {}
        self.alpha = np.zeros(0)
        self.delta = np.zeros(0)
        self.hidden = actor.initial(0)
        self.history = HistoryFeatures(0, horizon) if features else None

    def slots(self, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Slot indices of ``pairs`` and which of them are new (allocated now)."""
        keys = pairs[:, 0] * self.d + pairs[:, 1]
        new = np.array([k not in self.slot for k in keys.tolist()], dtype=bool)
        if new.any():
            start = len(self.alpha)
            for offset, k in enumerate(keys[new].tolist()):
                self.slot[k] = start + offset
            self._grow(start + int(new.sum()))
        return np.array([self.slot[k] for k in keys.tolist()], dtype=np.int64), new

    def _grow(self, size: int) -> None:
        extra = size - len(self.alpha)
        self.alpha = np.concatenate([self.alpha, np.full(extra, self.alpha0)])
        self.delta = np.concatenate([self.delta, np.full(extra, self.delta0)])
        more, h = self.actor.initial(extra), self.hidden
        self.hidden = type(h)(
            torch.cat([h[0], more[0]], dim=1), torch.cat([h[1], more[1]], dim=1), torch.cat([h[2], more[2]])
        )
        if self.history is not None:
            self.history.grow(size)

    def gather_hidden(self, idx: np.ndarray):
        t = torch.from_numpy(idx)
        h = self.hidden
        return type(h)(h[0][:, t], h[1][:, t], h[2][t])

    def scatter_hidden(self, idx: np.ndarray, new) -> None:
        t = torch.from_numpy(idx)
        self.hidden[0][:, t] = new[0]
        self.hidden[1][:, t] = new[1]
        self.hidden[2][t] = new[2]


def iterate_pairs(
    rover, obj: Objective, rec, x, alpha0, delta0, max_iter, xtol, move, strategy, rng, cap=None
):
    """The loop of the module docstring; returns ``(message, success)`` like the 2-D loop;
    ``cap``: ``(alpha_max, delta_max)`` for every pair (``RoverDescent``'s ``zoom_cap``)."""
    policy = rover.policy
    n, d = policy.grid_size, x.size
    features = bool(getattr(policy.actor, "n_features", 0))
    states = PairStates(policy.actor, d, alpha0, delta0, max_iter, features)
    theta = x[None]
    accepted = None
    for it in range(max_iter):
        pairs = normalise_pairs(strategy(rng, d), d)
        m = len(pairs)
        cost = m * n * n + (move in EVALUATING)
        idx, new = states.slots(pairs)
        alpha, delta = states.alpha[idx], states.delta[idx]
        if obj.remaining() < cost:
            message = (
                f"evaluation budget max_evals={obj.max_evals} cannot pay for an iteration "
                f"({m} grids of {n * n} points{' + 1' if move in EVALUATING else ''} = {cost})"
            )
            if obj.remaining() >= 1:
                rec.record(theta[0], obj(theta[0]), step_size=np.median(alpha), resolution=np.median(delta))
            return message + ("; only x0 was evaluated" if it == 0 else ""), False
        points = grid_points(theta[0], delta, n, pairs)  # (m, n, n, d)
        values = obj(points.reshape(-1, d)).reshape(m, n, n)
        f = values[0, n // 2, n // 2] if n % 2 else obj(theta[0])
        rec.record(theta[0], f, step_size=float(np.median(alpha)), resolution=float(np.median(delta)))
        if not np.isfinite(f):
            return (
                f"fun is not finite at the iterate {theta[0].tolist()}; stopped with the best finite point",
                False,
            )
        if max(states.alpha.max(), states.delta.max()) <= xtol * max(1.0, float(np.linalg.norm(theta[0]))):
            return "step size and resolution below xtol (every pair drawn so far)", True
        obs = rescale(values)[:, None].astype(np.float32)
        direction = np.asarray(rover._direction_batch(obs, theta), dtype=float)
        feats = ()
        if states.history is not None:
            hist = states.history
            if new.any():
                hist.reset(idx[new], values[new], alpha[new], delta[new])
            old = ~new
            if old.any():
                acc = None if accepted is None else np.full(int(old.sum()), accepted)
                hist.update(idx[old], values[old], acc, np.full(int(old.sum()), it), alpha[old], delta[old])
            feats = (torch.from_numpy(hist.values[idx].copy()),)
        start = torch.from_numpy(new.copy())
        action, hidden = policy.actor.act(torch.from_numpy(obs), states.gather_hidden(idx), start, *feats)
        states.scatter_hidden(idx, hidden)
        actions = clip_actions(action.double().numpy())
        with np.errstate(over="ignore", invalid="ignore"):
            steps = alpha[:, None] * direction
            states.alpha[idx] = alpha * (1.0 + actions[:, 0])
            states.delta[idx] = delta * (1.0 + actions[:, 1])
            if cap is not None:
                states.alpha[idx] = np.minimum(states.alpha[idx], cap[0])
                states.delta[idx] = np.minimum(states.delta[idx], cap[1])
            proposal = obj.clip(theta + combine(pairs, steps, d)[None])
        moved = MOVES[move](
            MoveInputs(theta, proposal, np.array([f]), points.reshape(1, -1, d), values.reshape(1, -1), None),
            obj,
        )
        theta = moved.theta
        accepted = bool(moved.accepted[0]) if move in EVALUATING else None
    rec.record(
        theta[0],
        obj(theta[0]),
        step_size=float(np.median(states.alpha)),
        resolution=float(np.median(states.delta)),
    )
    return "maximum number of iterations reached", False
