"""``RoverLandscape-v0``: optimisation as navigation on a partially observed loss landscape."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from rover_envs.core import Engine, EngineConfig
from rover_envs.directions import TEACHERS, make_direction
from rover_envs.features import FEATURE_BOUND, N_FEATURES
from rover_envs.transition import ACTION_HIGH, ACTION_LOW, DIRECTION_HIGH, DIRECTION_LOW

DEFAULT_DIRECTION = "angle_net"


def make_spaces(
    grid_size: int, direction: str, move: str = "eq4", features: bool = False
) -> tuple[spaces.Space, spaces.Box]:
    """Observation and action spaces of one environment. The observation is the rescaled grid, or
    with ``features`` a ``Dict`` of it and the history features (:mod:`rover_envs.features`); the
    action is ``(d_alpha, d_delta)``, then the direction (``direction="agent"``) and the move
    choice (``move="actor"``) when the action carries them."""
    obs = spaces.Box(0.0, 1.0, (1, grid_size, grid_size), np.float32)
    if features:
        feats = spaces.Box(-FEATURE_BOUND, FEATURE_BOUND, (N_FEATURES,), np.float32)
        obs = spaces.Dict({"grid": obs, "features": feats})
    low, high = [ACTION_LOW, ACTION_LOW], [ACTION_HIGH, ACTION_HIGH]
    extra = 2 * (direction == "agent") + (move == "actor")
    low, high = [*low, *[DIRECTION_LOW] * extra], [*high, *[DIRECTION_HIGH] * extra]
    return obs, spaces.Box(np.array(low, np.float32), np.array(high, np.float32))


def build_engine(num_slots: int, direction: str, angle_net_path=None, **kwargs) -> Engine:
    """Validate keyword arguments and build the engine (shared by both env classes)."""
    valid = (*EngineConfig.__dataclass_fields__, "direction", "angle_net_path", "render_mode")
    unknown = sorted(set(kwargs) - set(valid))
    if unknown:
        raise ValueError(f"unknown argument(s) {unknown}; valid: {', '.join(valid)}")
    cfg = EngineConfig(**kwargs)
    if cfg.metric != "none" and direction in TEACHERS:
        raise ValueError(
            f"metric={cfg.metric!r} maps a direction read from the adapted grid; the teacher {direction!r} "
            "reads the landscape's own coordinates: use metric='none', or a grid direction (angle_net, "
            "quadratic_fit, agent)"
        )
    provider = make_direction(direction, angle_net_path)
    expected = getattr(provider, "grid_size", cfg.grid_size)
    if expected != cfg.grid_size:
        raise ValueError(
            f"the angle net was trained on {expected}x{expected} grids; got grid_size={cfg.grid_size} "
            f"(use grid_size={expected}, or train a network for this size)"
        )
    return Engine(cfg, num_slots, provider)


def resolve_horizon(kwargs: dict, max_episode_steps: int | None) -> dict:
    """``kwargs`` with ``horizon`` set from Gymnasium's ``max_episode_steps`` when that is given:
    the environment truncates itself, so the two must be one number (a conflict is an error)."""
    if max_episode_steps is None or max_episode_steps == -1:  # -1: gym.make's "no TimeLimit"
        return kwargs
    if "horizon" in kwargs and kwargs["horizon"] != max_episode_steps:
        raise ValueError(
            f"horizon={kwargs['horizon']!r} and max_episode_steps={max_episode_steps!r} disagree; the "
            "environment's horizon is its time limit: pass one of them"
        )
    return {**kwargs, "horizon": max_episode_steps}


def _make_time_limit() -> int | None:
    """The ``max_episode_steps`` given to ``gymnasium.make`` when it is constructing this env.

    Gymnasium consumes that argument for its ``TimeLimit`` wrapper and never tells the env
    (Farama-Foundation/Gymnasium#615, #871), yet this env must know where its episodes end (the
    sparse ``final`` reward pays there). ``make`` calls the entry point directly, so its frame
    is the first one above the constructors.
    """
    frame = inspect.currentframe()
    caller = frame.f_back if frame is not None else None
    while caller is not None and caller.f_code.co_name == "__init__":
        caller = caller.f_back
    if caller is None or caller.f_code is not gym.envs.registration.make.__code__:
        return None
    return caller.f_locals.get("max_episode_steps")


class RoverLandscapeEnv(gym.Env):
    """
    ## Description

    Minimising a 2-D function as navigation (Faury & Vasile, "Rover Descent"). At iterate
    ``theta`` the agent sees only an ``n x n`` grid of function samples around ``theta`` at
    spacing ``delta`` (eq. 1), rescaled to [0, 1]. A direction provider turns the grid into a
    unit direction; the agent chooses how the step size ``alpha`` and the resolution ``delta``
    change. Each episode draws a new landscape from a training family (appendix 6.1) or uses
    an analytic test function (appendix 6.3).

    ## Action Space

    ``Box([-0.5, -0.5], [1, 1], (2,), float32)``: ``(d_alpha, d_delta)``. The transition is
    eq. 4: ``theta <- theta + alpha * direction``, then ``alpha <- alpha * (1 + d_alpha)`` and
    ``delta <- delta * (1 + d_delta)``. With ``direction="agent"`` the action is
    ``Box([-0.5, -0.5, -1, -1], [1, 1, 1, 1])`` and its last two entries, normalised, are the
    move direction (a zero vector does not move). With ``move="actor"`` one more entry in
    [-1, 1] chooses where the iterate goes (above 0: the grid's best sample, else the step).
    Each entry is clipped to its own bounds.

    The move itself follows ``move`` (:mod:`rover_envs.moves`): ``"eq4"`` (default, the paper:
    always the step), ``"keep"`` (the step's end point is evaluated, one more evaluation; the
    step is taken only if it is lower than the grid's centre), ``"best_sample"`` (as keep, but
    a failed step moves to the grid's best sample when that is lower) or ``"actor"``.
    ``info["step_accepted"]`` says whether the step was taken.

    ## Observation Space

    ``Box(0, 1, (1, n, n), float32)``: ``obs[0, i, j]`` is the sample at
    ``theta + delta * (i - (n-1)/2, j - (n-1)/2)``, linearly mapped so the grid's minimum is 0
    and its maximum 1; a flat grid is all zeros. With ``noise > 0`` samples are noisy draws.
    With ``metric="grid_fit"`` the offsets are mapped by the grid's adapted shape ``A``.

    ## Rewards

    ``reward="running_mean"`` (default, eq. 7, window ``reward_window=5``):
    ``-(f(theta_t) - f*) / (mean of f over the last k iterates - f*)``; ``"normalized"``
    (eq. 6): regret over the initial regret; ``"raw"`` (eq. 5): ``-f(theta_t)``; ``"final"``:
    ``-f(theta_T)`` on the last step only. Rewards use the noiseless ``f``; the normalised
    variants are clipped below at ``-reward_clip``. ``info["rewards"]`` holds all four.

    ## Starting State

    A fresh landscape per episode; the initial iterate is "far enough" from the minimiser (per
    family, see ``rover_envs.landscapes.families``); ``alpha0`` and ``delta0`` are log-uniform
    in ``step_size_range`` and ``resolution_range`` times ``L0``, the initial distance to the
    minimiser. ``reset(options=...)`` accepts ``landscape`` (any
    :class:`~rover_envs.landscapes.Landscape`), ``theta``, ``step_size``, ``resolution``,
    ``bounds`` (a box ``[[lo, hi], [lo, hi]]`` for the episode: grid samples and steps are clipped
    into it and ``alpha``, ``delta`` capped, as ``RoverDescent`` does under bounds).

    ## Episode End

    Truncation after ``horizon`` (30) steps: the env truncates itself, and
    ``gym.make(..., max_episode_steps=k)`` sets ``horizon=k`` (Gymnasium's ``TimeLimit`` and the
    env then agree; ``horizon`` and ``max_episode_steps`` that differ are an error). The
    sparse ``final`` reward pays on the step that truncates. Termination when the iterate
    diverges (non-finite, or farther than 1000 ``L0`` from the minimiser: ``info["diverged"]``)
    or the landscape is NaN/inf at the iterate (``info["nonfinite"]``); the observation is then
    the last finite one and the reward that of a regret ``reward_clip`` times the initial one.
    NaN/inf samples elsewhere on the grid do not end the episode: they are the grid's worst
    values (observed as 1).

    ## Arguments

    ``family`` ("all", "quadratic", "valley", "saddle", "plateau_cliff", or an analytic
    function: "rosenbrock", "ackley", "rastrigin", "mccormick", "beale", "styblinski_tang";
    beyond the paper, "rippled", "ill_conditioned", "multiscale", "funnels", "steps",
    "ill_log_steps" and the mixtures "all_rippled", "broad"),
    ``reward``, ``grid_size`` (7), ``noise`` (0), ``noise_unit`` ("amplitude"; "kernel": eq. 11's
    own prior variance, the paper's literal GP posterior), ``direction`` ("angle_net": the shipped frozen
    angle network, batched over the vector env; "quadratic_fit": the Newton direction of a
    least-squares quadratic fit of the grid; "best_teacher", "gradient", "newton" read the
    landscape's derivatives; "agent"), ``angle_net_path`` (other weights for "angle_net"),
    ``move`` ("eq4"), ``metric`` ("none"; "grid_fit": a grid sheared and stretched to the curvature
    the grids show; "grid_fit_floor": the same, also from fits whose flat curvature is below the
    fit's resolution; :mod:`rover_envs.metric`), ``metric_rate`` (0.5) and ``metric_min_r2`` (0),
    ``box_fraction`` (0: the fraction of random-field episodes played in a box of width 10 around
    the minimiser, docs/environment.md), ``box_side_fraction`` (0: of those, the fraction whose box
    leaves the minimiser beyond a side; the episode's minimum is then the box's), ``guard``
    ("none"; "border": no shrinking while the grid's minimum lies on its border below its centre),
    ``reward_window`` (5), ``reward_clip`` (10),
    ``horizon`` (30), ``step_size_range`` ((0.01, 0.3)), ``resolution_range``
    ((0.005, 0.1)), ``render_mode`` (None or "rgb_array").

    ``info`` (after ``reset`` and every ``step``): ``f`` (noiseless value), ``regret``,
    ``f_star``, ``theta``, ``distance`` (from ``theta`` to the minimiser; privileged, like
    ``regret``), ``grid_distance`` (the same in the grid's coordinates, ``|A^-1 (theta - x*)|``;
    equal to ``distance`` on the square grid), ``step_size``, ``resolution``, ``n_evals``
    (function evaluations so far, grids included: ``n^2`` per observation, and one per step for the
    rules that evaluate the step's end point), ``t``, and after steps ``rewards``, ``diverged``,
    ``nonfinite``, ``step_accepted``. The episode's landscape is ``env.unwrapped.landscape``.

    >>> import gymnasium as gym
    >>> env = gym.make("rover_envs:RoverLandscape-v0", family="valley")
    >>> obs, info = env.reset(seed=0)
    >>> obs.shape
    (1, 7, 7)
    >>> obs, reward, terminated, truncated, info = env.step(env.action_space.sample())

    ## Version History

    * v0: initial release. The env's own ``horizon`` is its time limit (no separate
      ``TimeLimit`` unless ``max_episode_steps`` is given, which then sets the horizon).
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 4}

    def __init__(self, direction: str = DEFAULT_DIRECTION, render_mode: str | None = None, **kwargs):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"unknown render_mode {render_mode!r}; valid: None, 'rgb_array'")
        self._engine = build_engine(1, direction, **resolve_horizon(kwargs, _make_time_limit()))
        self.direction = direction
        self.render_mode = render_mode
        self.observation_space, self.action_space = make_spaces(
            self._engine.n, direction, self.config.move, self.config.features
        )
        self._trajectory: list[np.ndarray] = []
        self._spec = None

    @property
    def config(self) -> EngineConfig:
        return self._engine.cfg

    @property
    def spec(self):
        """The ``EnvSpec`` ``gymnasium.make`` built this env from, with ``max_episode_steps``
        equal to the env's own horizon (``make`` records ``None`` on the unwrapped env)."""
        return self._spec

    @spec.setter
    def spec(self, value) -> None:
        self._spec = (
            None if value is None else dataclasses.replace(value, max_episode_steps=self.config.horizon)
        )

    @property
    def landscape(self):
        """The current episode's landscape (``None`` before the first reset)."""
        return self._engine.landscape(0)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        self._engine.reset_slots([0], [self.np_random], options)
        self._trajectory = [self._engine.theta[0].copy()]
        return self._engine.observation(0), self._info()

    def step(self, action):
        if self.landscape is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        action = np.asarray(action, dtype=float).reshape(1, -1)
        if action.shape[1] != self.action_space.shape[0]:
            raise ValueError(f"action must have shape {self.action_space.shape}; got {action.shape[1:]}")
        out = self._engine.step(action, [self.np_random])
        self._trajectory.append(self._engine.theta[0].copy())
        info = self._info()
        info["rewards"] = {k: float(v[0]) for k, v in out["rewards"].items()}
        info["diverged"] = bool(out["diverged"][0])
        info["nonfinite"] = bool(out["nonfinite"][0])
        info["step_accepted"] = bool(out["accepted"][0])
        return (
            self._engine.observation(0),
            float(out["reward"][0]),
            bool(out["terminated"][0]),
            bool(out["truncated"][0]),
            info,
        )

    def _info(self) -> dict[str, Any]:
        info = self._engine.info(0)
        return {k: (v.copy() if isinstance(v, np.ndarray) else v.item()) for k, v in info.items()}

    def render(self):
        if self.render_mode != "rgb_array":
            return None
        from rover_envs.render import render_frame

        e = self._engine
        shape = None if e.shape is None else e.shape[0]
        return render_frame(
            self.landscape, np.array(self._trajectory), e.theta[0], e.delta[0], e.n, shape=shape
        )
