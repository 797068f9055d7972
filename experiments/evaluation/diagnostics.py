"""Diagnostics of the learned optimiser on the test functions: what limits it, direction or schedule?

* :func:`angle_errors` — the angle network against the best teacher at random points, for the
  test functions and, as the reference, held-out training landscapes;
* :func:`oracle_direction_regrets` — the same actor with the landscape's steepest descent in
  place of the angle network;
* :func:`schedule_regrets` — the angle network under a fixed coarse-to-fine schedule
  (:class:`ScheduleActor`) whose initial alpha/delta and switch point are picked per function;
* :func:`teacher_regrets` — the warm start's privileged teacher (it knows the distance to the
  minimiser) driving the same angle network;
* :func:`move_rule_regrets` — the shipped actor under each move rule of :mod:`rover_envs.moves`,
  and the hand-designed grid controller, on the same problems.

The oracle and the per-function picks look at the test functions themselves: they say what
*could* work, and are never used to choose the shipped recipe.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from agents.angle.bc import angle_errors_deg
from agents.baselines.tuning import grid_search
from agents.rover import RoverDescent
from experiments.evaluation.runs import ITERS, Problem, basin_hits, problems
from rover_envs.core import sample_start
from rover_envs.directions import best_teacher_move
from rover_envs.grid import grid_points, rescale
from rover_envs.landscapes import FAMILY_NAMES, FUNCTIONS, SharedBatch, make

ZOOMS = (0.02, 0.1, 0.3)
"""Grid resolution / distance to the minimiser at which angle errors are measured."""


def _points(name: str, points: int, rng: np.random.Generator):
    """``(landscapes, theta)``: points uniform in the middle half of a test function's domain,
    or held-out starts of a training family (one landscape each)."""
    if name in FUNCTIONS:
        f = make(name)
        b, x_star = f.bounds, f.minimum[0]
        theta = np.clip(x_star + rng.uniform(-0.5, 0.5, (points, 2)) * (b[:, 1] - b[:, 0]), b[:, 0], b[:, 1])
        return [f] * points, theta
    lands = [make(name, rng=rng) for _ in range(points)]
    return lands, np.array([sample_start(f, f.minimum[0], rng) for f in lands])


def angle_errors(rover: RoverDescent, seed: int, points: int = 400) -> dict[str, dict[float, float]]:
    """Median angle (degrees) between the angle network and the best teacher, per problem (test
    functions and training families) and zoom."""
    return direction_errors(rover.policy.direction, rover.policy.grid_size, seed, points)


def direction_errors(
    direction,
    grid_size: int,
    seed: int,
    points: int = 400,
    zooms=ZOOMS,
    names=(*FAMILY_NAMES, *FUNCTIONS),
    stat=np.median,
) -> dict[str, dict[float, float]]:
    """``stat`` (default the median) of the angle in degrees between ``direction`` (grids
    ``(B, 1, n, n)`` -> unit vectors ``(B, 2)``) and the best teacher, per problem and zoom
    (grid resolution / distance to the minimiser). The same seed gives the same points and
    landscapes to every direction."""
    rng = np.random.default_rng(seed)
    out = {}
    for name in names:
        lands, theta = _points(name, points, rng)
        x_star = np.array([f.minimum[0] for f in lands])
        teacher = best_teacher_move(SharedBatch(lands), theta, x_star).direction
        dist = np.linalg.norm(theta - x_star, axis=1)
        out[name] = {}
        for zoom in zooms:
            pts = grid_points(theta, dist * zoom, grid_size)
            grids = rescale(np.stack([f(p) for f, p in zip(lands, pts)]))[:, None]
            out[name][zoom] = float(stat(angle_errors_deg(direction(grids), teacher)))
    return out


def oracle_direction_regrets(rover: RoverDescent, runs: int, seed: int) -> dict[str, tuple[float, float]]:
    """Median final regret on each test function with the angle network and with the
    landscape's steepest-descent direction in its place (same actor, same starts)."""
    out = {}
    for name in FUNCTIONS:
        probs = problems(name, runs, np.random.default_rng(seed))

        def steepest(obs, theta, f=probs[0].fun):
            g = f.grad(theta)
            n = np.linalg.norm(g)
            return -g / n if n > 0 else g

        oracle = RoverDescent(rover.policy, direction=steepest)
        net = [rover.minimize(p.fun, p.x0, bounds=p.bounds, vectorized=True).fun - p.f_star for p in probs]
        grad = [oracle.minimize(p.fun, p.x0, bounds=p.bounds, vectorized=True).fun - p.f_star for p in probs]
        out[name] = (float(np.median(net)), float(np.median(grad)))
    return out


class ScheduleActor:
    """A fixed coarse-to-fine schedule in the actor's interface: (d_alpha, d_delta) = ``coarse``
    for the first ``switch`` iterations, then ``fine`` (a diagnostic, not a learned policy)."""

    def __init__(self, switch: int, coarse=(-0.1, 0.0), fine=(-0.35, -0.4)):
        self.switch, self.coarse, self.fine = switch, coarse, fine

    def initial(self, n: int) -> int:
        return 0

    def act(self, obs, t: int, start):
        import torch

        return torch.tensor([self.coarse if t < self.switch else self.fine], dtype=torch.float64), t + 1


SCHEDULE_GRID = {"step_size": [0.05, 0.2, 0.5], "resolution": [0.1, 0.3, 0.6], "switch": [15, 20]}
"""The fixed schedule's initial alpha and delta (x half the bounds' mean width) and switch point."""


def schedule_regrets(rover: RoverDescent, runs: int, seed: int) -> dict[str, dict]:
    """The angle network driven by a fixed coarse-to-fine schedule (alpha shrinking 10% per
    iteration at a constant resolution, then both shrinking fast), its parameters picked per
    function on ``SCHEDULE_GRID``: does a good schedule exist for this direction?"""
    out = {}
    for name in FUNCTIONS:
        probs = problems(name, runs, np.random.default_rng(seed))

        def regrets(g: dict, probs: list[Problem] = probs) -> list[float]:
            policy = SimpleNamespace(
                grid_size=rover.policy.grid_size,
                direction=rover.policy.direction,
                actor=ScheduleActor(g["switch"]),
            )
            opt, regs = RoverDescent(policy), []
            for p in probs:
                w = 0.5 * float(np.mean(p.bounds[:, 1] - p.bounds[:, 0]))
                res = opt.minimize(
                    p.fun,
                    p.x0,
                    bounds=p.bounds,
                    vectorized=True,
                    step_size=g["step_size"] * w,
                    resolution=g["resolution"] * w,
                )
                regs.append(res.fun - p.f_star)
            return regs

        found = grid_search(regrets, SCHEDULE_GRID, score=np.median)
        out[name] = {
            "median": float(np.median(found.value)),
            "global_basin": basin_hits(found.value),
            "hyper": found.best,
        }
    return out


def teacher_gains(rover: RoverDescent) -> tuple[float, float]:
    """The warm-start teacher's gains in the policy's training config (the defaults otherwise)."""
    from agents.rdpg.warmstart import WarmStartConfig

    ws = {**vars(WarmStartConfig()), **rover.policy.meta.get("config", {}).get("warm_start", {})}
    return float(ws["step_gain"]), float(ws["resolution_gain"])


def teacher_regrets(
    probs: dict[str, list[Problem]], seed: int, step_gain: float, resolution_gain: float
) -> dict:
    """A ceiling: the warm start's privileged teacher (:mod:`agents.rdpg.warmstart`; it knows the
    distance to the minimiser and sets alpha and delta from it) driving the same angle network
    from the learned optimiser's default initial alpha and delta, on ``probs[name]``."""
    from agents.rdpg.warmstart import teacher_episodes
    from rover_envs.env import build_engine

    engine = build_engine(1, "angle_net", horizon=ITERS)
    rngs = [np.random.default_rng(seed)]
    out = {}
    for name, runs in probs.items():
        regs = []
        for p in runs:
            a0, d0 = RoverDescent.initial_schedule(p.x0, p.bounds)
            options = {"landscape": p.fun, "theta": p.x0, "step_size": a0, "resolution": d0}
            regs.append(float(teacher_episodes(engine, rngs, step_gain, resolution_gain, options)[0][0]))
        out[name] = {"median": float(np.median(regs)), "global_basin": basin_hits(regs)}
    return out


MOVE_VARIANTS = ("eq4", "keep", "best_sample")


def move_rule_regrets(rover: RoverDescent, probs: dict[str, list[Problem]], budget: int) -> dict[str, dict]:
    """Median final regret per problem of the shipped actor under each move rule (30 iterations;
    the rules that evaluate the step's end point spend 30 evaluations more) and of the grid
    controller with each direction at ``budget`` evaluations (its defaults, chosen on training
    landscapes)."""
    from agents.baselines import grid_controller

    out = {}
    for name, runs in probs.items():
        row = {}
        for move in MOVE_VARIANTS:
            regs = [
                rover.minimize(p.fun, p.x0, bounds=p.bounds, vectorized=True, move=move).fun - p.f_star
                for p in runs
            ]
            row[f"rover {move}"] = float(np.median(regs))
        for direction in ("angle_net", "quadratic_fit"):
            regs = [
                grid_controller(
                    p.fun,
                    p.x0,
                    bounds=p.bounds,
                    vectorized=True,
                    max_evals=budget,
                    max_iter=10**6,
                    direction=direction,
                ).fun
                - p.f_star
                for p in runs
            ]
            row[f"grid_controller {direction}"] = float(np.median(regs))
        out[name] = row
    return out
