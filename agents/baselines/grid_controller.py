"""The hand-designed grid controller: the schedule a learned actor has to beat.

It pays for the same ``n x n`` grids as Rover Descent and replaces the learned actor by a
success rule (in the spirit of the 1/5th rule of evolution strategies). Each iteration:

1. samples the grid around ``theta`` at resolution ``delta = resolution_ratio * alpha``;
2. takes a direction from the grid alone: the shipped angle network (``direction="angle_net"``)
   or the Newton direction of a least-squares quadratic fit (``"quadratic_fit"``);
3. evaluates the step's end point ``theta + alpha * direction`` once; if it is lower than the
   grid's centre ``f(theta)`` the step succeeded and ``alpha`` grows (``x grow``), otherwise it
   shrinks (``x shrink``);
4. moves by a rule of :mod:`rover_envs.moves`: ``"best_sample"`` (default: the step if it
   succeeded, else the grid's best sample when that is lower than the centre), ``"keep"`` (else
   stay) or ``"eq4"`` (always the step).

With ``metric="grid_fit"`` the grid and the step follow the adapted shape of
:mod:`rover_envs.metric` (the learned optimiser's option, run the same way), so the two can be
compared with and without it. One iteration costs ``n^2 + 1`` evaluations. The initial ``alpha``
is ``step_size`` times the length scale :func:`agents.objective.guess_scale` guesses from
``bounds`` or ``x0`` (the rule ``RoverDescent`` uses). The defaults were chosen on
training-distribution landscapes with held-out seeds (``python -m experiments.tune_controller`` ->
results/grid_controller.md), never on a test function. ``success`` means ``alpha`` and ``delta``
fell below ``xtol * max(1, ||theta||)``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from scipy.optimize import OptimizeResult

from agents.objective import (
    BudgetExhausted,
    Objective,
    Recorder,
    StopRequested,
    check_x0,
    guess_scale,
    parse_options,
)
from rover_envs import metric as metric_mod
from rover_envs.directions import make_direction
from rover_envs.grid import GRID_SIZE, grid_points, rescale
from rover_envs.moves import MOVES, MoveInputs

MAX_ITER = 100
RULES = ("best_sample", "keep", "eq4")
DIRECTIONS = ("angle_net", "quadratic_fit")


@functools.cache
def _provider(direction: str):
    """The direction provider (the angle network is loaded once per process)."""
    return make_direction(direction)


@dataclass(frozen=True)
class Settings:
    """The controller's hyper-parameters (see the module docstring)."""

    step_size: float
    resolution_ratio: float
    grow: float
    shrink: float
    direction: str
    move: str
    grid_size: int
    xtol: float
    metric: str = "none"

    def __post_init__(self):
        if (
            self.move not in RULES
            or self.direction not in DIRECTIONS
            or self.metric not in metric_mod.METRICS
        ):
            raise ValueError(
                f"move must be one of {RULES}, direction one of {DIRECTIONS} and metric one of "
                f"{metric_mod.METRICS}"
            )
        ok = self.step_size > 0 and self.resolution_ratio > 0 and self.grow >= 1 and 0 < self.shrink <= 1
        if not ok or self.grid_size % 2 == 0 or self.grid_size < 3:
            raise ValueError(
                "need step_size > 0, resolution_ratio > 0, grow >= 1, 0 < shrink <= 1, odd grid_size"
            )


def grid_controller(
    fun,
    x0,
    *,
    step_size: float = 3.0,
    resolution_ratio: float = 0.0625,
    grow: float = 2.0,
    shrink: float = 0.5,
    direction: str = "angle_net",
    move: str = "best_sample",
    grid_size: int = GRID_SIZE,
    xtol: float = 1e-10,
    metric: str = "none",
    **options,
) -> OptimizeResult:
    """Minimise a 2-D ``fun`` with the grid controller (see the module docstring)."""
    opts = parse_options(
        "grid_controller", options, max_iter=MAX_ITER, own=tuple(Settings.__dataclass_fields__)
    )
    x = check_x0(x0)
    if x.size != 2:
        raise ValueError(f"grid_controller handles 2-D problems; x0 has {x.size} entries")
    xtol = opts.tol if opts.tol is not None else xtol
    settings = Settings(step_size, resolution_ratio, grow, shrink, direction, move, grid_size, xtol, metric)
    obj = Objective.from_options(fun, 2, opts)
    rec = Recorder(obj, opts.callback, extra=("step_size", "resolution"))
    alpha = step_size * guess_scale(x, obj.bounds)
    try:
        message, success = _iterate(obj, rec, obj.clip(x), alpha, settings, opts.max_iter)
    except BudgetExhausted:
        message, success = "evaluation budget max_evals exhausted", False
    except StopRequested:
        message, success = "stopped by callback", False
    return rec.result(*obj.best(), success, message, opts.disp)


def _iterate(obj: Objective, rec: Recorder, x: np.ndarray, alpha: float, s: Settings, max_iter: int):
    """The loop; returns ``(message, success)``."""
    n, provider, theta = s.grid_size, _provider(s.direction), x[None]
    shape = metric_mod.initial(1, s.metric)
    cost = n * n + 1
    for _ in range(max_iter):
        delta = s.resolution_ratio * alpha
        if obj.remaining() < cost:
            if obj.remaining() >= 1:
                rec.record(theta[0], obj(theta[0]), step_size=alpha, resolution=delta)
            return f"evaluation budget max_evals={obj.max_evals} cannot pay for an iteration ({cost})", False
        points = obj.clip(grid_points(theta, np.array([delta]), n, shape=shape).reshape(1, -1, 2))
        values = obj(points[0])[None]
        f = values[0, (n * n) // 2]
        rec.record(theta[0], f, step_size=alpha, resolution=delta)
        if not np.isfinite(f):
            return (
                f"fun is not finite at the iterate {theta[0].tolist()}; stopped with the best finite point",
                False,
            )
        if max(alpha, delta) <= s.xtol * max(1.0, float(np.linalg.norm(theta[0]))):
            return "step size and resolution below xtol", True
        obs = rescale(values.reshape(1, n, n))[:, None].astype(np.float32)
        step = obj.clip(theta + alpha * metric_mod.apply(shape, provider(obs)))
        f_step = obj(step)  # the one evaluation every rule here uses
        inputs = MoveInputs(theta, step, np.array([f]), points, values, None)
        theta = MOVES[s.move](inputs, lambda p, f_step=f_step: f_step).theta
        alpha *= s.grow if np.isfinite(f_step[0]) and f_step[0] < f else s.shrink
        if shape is not None:
            shape = metric_mod.update(shape, values.reshape(1, n, n), metric=s.metric)
    rec.record(theta[0], obj(theta[0]), step_size=alpha, resolution=s.resolution_ratio * alpha)
    return "maximum number of iterations reached", False
