"""The learned optimiser: the frozen angle network plus the recurrent step-size/resolution actor.

:class:`RoverPolicy` bundles both networks; it is what ``make train-ddpg`` ships and what
:class:`RoverDescent` runs. :meth:`RoverDescent.minimize` has SciPy's API (2-D functions):

>>> from agents import RoverDescent
>>> from rover_envs.landscapes import make
>>> f = make("rosenbrock")
>>> res = RoverDescent.pretrained().minimize(f, [-1.2, 1.0], bounds=f.bounds)  # doctest: +SKIP

Each iteration evaluates the ``n x n`` grid around the iterate (``n^2`` evaluations counted in
``nfev``; one call with ``vectorized=True``), moves ``theta <- theta + alpha * direction`` and
updates ``alpha`` and ``delta`` by the actor's action (eq. 4). The grid's centre sample is
``f(theta)``, so the trajectory costs nothing extra; one more evaluation scores the last iterate.

Initial step size and resolution: the environment trains with ``alpha0`` and ``delta0`` equal
to 0.01-0.3 and 0.005-0.1 times the distance to the optimum (geometric means 0.055 and 0.022).
Without that distance we guess it as ``L`` = half the mean width of ``bounds`` or, unbounded,
``max(1, ||x0||)``, and start at ``alpha0 = 0.055 L`` and ``delta0 = 0.022 L``; pass
``step_size`` / ``resolution`` to override. The policy recovers from poor guesses (appendix
6.2), at the cost of iterations.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import numpy as np
import torch
from scipy.optimize import OptimizeResult

from agents.baselines.objective import (
    BudgetExhausted,
    Objective,
    Recorder,
    StopRequested,
    check_max_iter,
    check_x0,
)
from agents.rdpg.networks import RecurrentActor
from rover_envs.angle_net import build_angle_net
from rover_envs.core import ACTION_HIGH, ACTION_LOW
from rover_envs.grid import grid_points, rescale

POLICY_NAME = "rover_policy.pt"
STEP_SIZE_SCALE, RESOLUTION_SCALE = 0.055, 0.022
"""Default ``alpha0`` and ``delta0`` per unit of the guessed length scale (module docstring)."""
RETRAIN_HINT = "retrain it with `make train-ddpg`"


def default_policy_path() -> Path:
    override = os.environ.get("ROVER_POLICY")
    return Path(override) if override else Path(str(resources.files("agents") / "pretrained" / POLICY_NAME))


class RoverPolicy:
    """Frozen angle network (direction) + recurrent actor (step size, resolution)."""

    def __init__(self, angle_net: torch.nn.Module, angle_arch: dict, actor: RecurrentActor, actor_arch: dict,
                 meta: dict | None = None):  # fmt: skip
        self.angle_net, self.angle_arch = angle_net.eval().requires_grad_(False), dict(angle_arch)
        self.actor, self.actor_arch = actor, dict(actor_arch)
        self.grid_size = int(angle_arch.get("grid_size", 7))
        self.meta = meta or {}

    def save(self, path: str | Path) -> None:
        """One checkpoint for both networks, written atomically."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        torch.save({"angle": {"state_dict": self.angle_net.state_dict(), "arch": self.angle_arch},
                    "actor": {"state_dict": self.actor.state_dict(), "arch": self.actor_arch},
                    "meta": self.meta}, tmp)  # fmt: skip
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str | Path) -> RoverPolicy:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"policy weights not found at {path}; {RETRAIN_HINT}")
        try:
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
            angle = build_angle_net(**ckpt["angle"]["arch"])
            angle.load_state_dict(ckpt["angle"]["state_dict"])
            actor = RecurrentActor(**ckpt["actor"]["arch"])
            actor.load_state_dict(ckpt["actor"]["state_dict"])
        except Exception as exc:
            raise ValueError(f"policy weights at {path} are unreadable ({exc}); {RETRAIN_HINT}") from exc
        actor.eval().requires_grad_(False)
        return cls(angle, ckpt["angle"]["arch"], actor, ckpt["actor"]["arch"], ckpt.get("meta"))

    @torch.inference_mode()
    def direction(self, obs: np.ndarray) -> np.ndarray:
        y = self.angle_net(torch.from_numpy(np.ascontiguousarray(obs, dtype=np.float32))).double().numpy()
        norm = np.linalg.norm(y, axis=1, keepdims=True)
        return np.where(norm > 0, y / np.where(norm > 0, norm, 1.0), 0.0)


class RoverDescent:
    """The learned zeroth-order optimiser with SciPy's ``minimize`` API."""

    def __init__(self, policy: RoverPolicy, direction=None):
        """``direction(obs, theta) -> (2,)`` replaces the angle network when given (diagnostics:
        e.g. the steepest-descent direction of a landscape, to separate direction from schedule)."""
        self.policy = policy
        self.direction = direction

    @classmethod
    def pretrained(cls, path: str | Path | None = None) -> RoverDescent:
        """The shipped policy (``agents/pretrained/rover_policy.pt``, made by ``make train-ddpg``)."""
        return cls(RoverPolicy.load(path or default_policy_path()))

    @staticmethod
    def initial_schedule(x0: np.ndarray, bounds: np.ndarray | None) -> tuple[float, float]:
        """``(alpha0, delta0)`` by the rule in the module docstring."""
        if bounds is not None:
            scale = 0.5 * float(np.mean(bounds[:, 1] - bounds[:, 0]))
        else:
            scale = max(1.0, float(np.linalg.norm(x0)))
        return STEP_SIZE_SCALE * scale, RESOLUTION_SCALE * scale

    @torch.inference_mode()
    def minimize(
        self, fun, x0, *, max_iter: int = 30, max_evals: int | None = None, bounds=None,
        seed: int | None = None, callback=None, vectorized: bool = False,
        step_size: float | None = None, resolution: float | None = None,
    ) -> OptimizeResult:  # fmt: skip
        """Minimise a 2-D ``fun`` from ``x0``. Returns an ``OptimizeResult`` whose ``x`` is the
        best iterate and whose ``history`` holds ``x``, ``fun``, ``nfev``, ``step_size`` and
        ``resolution`` per iteration. ``seed`` is accepted for API symmetry (the policy is
        deterministic)."""
        x = check_x0(x0)
        if x.size != 2:
            raise ValueError(f"RoverDescent.minimize handles 2-D problems; x0 has {x.size} entries")
        max_iter = check_max_iter(max_iter)
        obj = Objective(fun, 2, bounds, max_evals, vectorized)
        alpha0, delta0 = self.initial_schedule(x, obj.bounds)
        alpha, delta = float(step_size or alpha0), float(resolution or delta0)
        if not (alpha > 0 and delta > 0 and np.isfinite(alpha) and np.isfinite(delta)):
            raise ValueError("step_size and resolution must be finite and > 0")
        n = self.policy.grid_size
        rec = Recorder(obj, callback, extra=("step_size", "resolution"))
        theta = obj.clip(x)
        hidden = self.policy.actor.initial(1)
        start = torch.ones(1, dtype=torch.bool)
        message = "maximum number of iterations reached"
        try:
            for _ in range(max_iter):
                values = obj(grid_points(theta, delta, n).reshape(-1, 2)).reshape(1, n, n)
                rec.record(
                    theta,
                    values[0, n // 2, n // 2] if n % 2 else obj(theta),
                    step_size=alpha,
                    resolution=delta,
                )
                obs = rescale(values)[:, None].astype(np.float32)
                if self.direction is None:
                    direction = self.policy.direction(obs)[0]
                else:
                    direction = np.asarray(self.direction(obs, theta), dtype=float).reshape(2)
                action, hidden = self.policy.actor.act(torch.from_numpy(obs), hidden, start)
                start = torch.zeros(1, dtype=torch.bool)
                d_alpha, d_delta = np.clip(action[0].double().numpy(), ACTION_LOW, ACTION_HIGH)
                theta = obj.clip(theta + alpha * direction)
                alpha, delta = alpha * (1.0 + d_alpha), delta * (1.0 + d_delta)
            rec.record(theta, obj(theta), step_size=alpha, resolution=delta)
        except BudgetExhausted:
            message = "evaluation budget max_evals exhausted"
        except StopRequested:
            message = "stopped by callback"
        best = int(np.argmin(rec.rows["fun"])) if rec.rows["fun"] else None
        x_best = rec.rows["x"][best] if best is not None else theta
        f_best = rec.rows["fun"][best] if best is not None else np.nan
        return rec.result(x_best, f_best, message != "stopped by callback" and best is not None, message)
