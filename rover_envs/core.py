"""The batched engine behind both environments: initial state, transition, observation,
reward and termination as small functions over ``B`` slots.

:class:`~rover_envs.env.RoverLandscapeEnv` drives one slot and
:class:`~rover_envs.vector.RoverLandscapeVectorEnv` drives ``N``; both run this same code, so a
vector env and ``N`` single envs seeded alike produce identical episodes.

Conventions (documented for users in the env's docstring):

* Initial iterate: drawn by the family's start distribution (``families.py``) or, for an
  analytic function, its hard start perturbed by 2% of the domain width.
* Initial step size and resolution: ``L0 * exp(U[log lo, log hi])`` with ``L0`` the distance
  from the initial iterate to the minimiser (the landscape's natural length scale as seen from
  the start; 1 if the start is the minimiser). Defaults: ``alpha0 / L0`` in [0.01, 0.3] (30
  steps at the largest doubling rate reach any distance; the smallest needs the agent to grow
  it) and ``delta0 / L0`` in [0.005, 0.1] (the 7x7 grid spans 3%-60% of the way to the optimum).
  With ``initial_scale="domain"`` ``L0`` is instead what a user of ``RoverDescent`` knows: half
  the width of the landscape's bounds (analytic functions), or for unbounded landscapes the
  half-width of a box in which the start and the minimiser lie uniformly (``DOMAIN_FILL`` of it),
  ``distance / rho`` with ``rho`` the distance of two uniform points of ``[-0.8, 0.8]^2``.
* Divergence: an episode terminates with ``info["diverged"]`` when the iterate, step size or
  resolution stops being finite or the iterate is farther than ``1000 * L0`` from the minimiser;
  it terminates with ``info["nonfinite"]`` when the landscape is NaN or inf *at the iterate*.
  Either way the observation is the last finite one and the reward is that of a point whose
  regret is ``reward_clip`` times the initial regret.
* Non-finite samples elsewhere on the grid (a user's function undefined beyond some border)
  do not end the episode: they are the grid's worst values (1 after rescaling,
  :func:`rover_envs.grid.rescale`), the rule ``RoverDescent`` follows too.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from rover_envs import grid as grid_mod
from rover_envs import metric as metric_mod
from rover_envs.features import HistoryFeatures
from rover_envs.grid import GRID_SIZE
from rover_envs.landscapes import FUNCTIONS, NAMES, VALIDATION_ONLY, AnalyticLandscape
from rover_envs.landscapes.base import Landscape, SharedBatch
from rover_envs.landscapes.families import ALL_FAMILIES, DRAWS, MIXTURES, sample_fields
from rover_envs.landscapes.fields import NOISE_UNITS, FieldBatch, FieldLandscape
from rover_envs.moves import EVALUATING, MOVES, MoveInputs
from rover_envs.rewards import REWARDS, RewardInputs, reward_parts, running_mean_of
from rover_envs.transition import GUARDS, clip_actions, guard_actions, transition, unit, zoom_caps

INITIAL_SCALES = ("distance", "domain")
DOMAIN_FILL = 0.8
"""Unbounded landscapes under ``initial_scale="domain"``: start and minimiser lie uniformly in the
central ``DOMAIN_FILL`` of a box (BBOB's starts in [-4, 4] of [-5, 5])."""
MIN_RHO = 0.02
"""Floor of the start-minimiser distance in half-widths (a start on the minimiser would make
the box infinite)."""

DIVERGENCE_FACTOR = 1e3

BOX_WIDTH = 10.0
"""``box_fraction``'s boxes: their width per coordinate (BBOB's domain is [-5, 5]^2)."""
BOX_MARGIN = 0.5
"""Minimiser and start lie at least this far inside a drawn box."""
BOX_DRAWS = 5
"""Uniform draws per slot for a box: boxed or not, the box's offset, the start."""
SIDE_GAP = (0.5, 3.0)
"""``box_side_fraction``'s boxes leave the minimiser this far beyond one side (uniform)."""
SIDE_DRAWS = 4
"""Uniform draws per slot with ``box_side_fraction > 0``: beyond a side or not, axis, sign, gap."""
SIDE_SCAN = 41
"""Points of the scan along the side that seeds the search for a side box's minimum."""


def box_minimum(land, bounds: np.ndarray, starts, maxiter: int = 500) -> tuple[np.ndarray, float]:
    """``(x, value)``: the lowest point of ``land`` in ``bounds`` (``(d, 2)``) that bounded L-BFGS-B
    with the landscape's gradient (``land.grad``) reaches from any of ``starts``."""
    from scipy.optimize import minimize

    def value_and_grad(x):
        return float(land(x[None])[0]), np.asarray(land.grad(x[None])[0], dtype=float)

    options = {"ftol": 0.0, "gtol": 1e-14, "maxiter": maxiter}
    best = min(
        (
            minimize(value_and_grad, x, jac=True, method="L-BFGS-B", bounds=bounds, options=options)
            for x in starts
        ),
        key=lambda r: r.fun,
    )
    return np.asarray(best.x, dtype=float), float(best.fun)


@dataclass(frozen=True)
class EngineConfig:
    """Validated environment parameters (the env's keyword arguments; see its docstring).

    Every value is checked here, when the environment (or an experiment's config) is built,
    so that a bad one is a ``ValueError`` naming the argument, never a crash deep in numpy.
    """

    family: str = "all"
    """A training family, a mixture ("all", "all_rippled", "broad") or an analytic test function."""
    reward: str = "running_mean"
    """Reward variant: running_mean (eq. 7), normalized (eq. 6), raw (eq. 5) or final (sparse)."""
    grid_size: int = GRID_SIZE
    """n: the agent sees n x n samples."""
    noise: float = 0.0
    """Observation noise (GP-posterior draws in units of the field's amplitude; additive for
    analytic functions); 0 is noiseless."""
    reward_window: int = 5
    """k of eq. 7: the running mean covers the last k iterates."""
    reward_clip: float = 10.0
    """The normalised rewards are clipped below at -reward_clip (inf: no clipping)."""
    horizon: int = 30
    """Episode length; the environment truncates itself after this many steps."""
    step_size_range: tuple[float, float] = (0.01, 0.3)
    """alpha0 / L0 is log-uniform in this range (L0: initial distance to the minimiser)."""
    resolution_range: tuple[float, float] = (0.005, 0.1)
    """delta0 / L0 is log-uniform in this range."""
    initial_scale: str = "distance"
    """L0, the length that step_size_range and resolution_range are relative to: distance (from
    the start to the minimiser: privileged) or domain (what RoverDescent knows: half the width of
    the bounds, or of a box in which start and minimiser lie uniformly; core module docstring)."""
    features: bool = False
    """Observe scale-free statistics of the episode's history beside the grid (the observation
    becomes {"grid", "features"}; rover_envs.features)."""
    noise_unit: str = "amplitude"
    """What noise = 1 means on the random families: amplitude (the field's largest conditioning
    value), or kernel (eq. 11's own prior standard deviation |2 pi S|^(-1/4): noise = 1 samples the
    GP posterior as the paper's appendix 6.1 states; bowls get none). Analytic functions take
    noise as an absolute standard deviation and only with amplitude."""
    move: str = "eq4"
    """Where the iterate goes after a grid: eq4 (the paper: always the step), keep (take the step
    only if its end point is lower than the grid's centre), best_sample (else the grid's best
    sample), actor (the action's last entry picks the step or the best sample); see
    rover_envs.moves."""
    metric: str = "none"
    """The grid's shape: none (the paper's square grid), grid_fit (a sheared, stretched grid
    adapted to the curvature the grids show) or grid_fit_floor (the same from fits whose flat
    curvature the fit cannot resolve, raised to the smallest it can); rover_envs.metric."""
    metric_rate: float = metric_mod.DEFAULT_RATE
    """grid_fit's step: the exponent of the fitted Hessian in one update, in (0, 1]."""
    metric_min_r2: float = metric_mod.MIN_R2
    """grid_fit updates the shape only from fits that explain at least this fraction of a grid's
    variance, in [0, 1] (grid_fit_floor: the fits that need the floor only)."""
    guard: str = "none"
    """An override of the agent's zoom: none (the paper: the action as given) or border (d_alpha
    and d_delta at least 0 while the grid's minimum lies on its border: shrink only when the grid
    holds its basin's minimum inside; rover_envs.transition.guard_actions)."""
    box_fraction: float = 0.0
    """The fraction of random-field episodes played in a box of width BOX_WIDTH, in [0, 1]: the
    minimiser and the start lie uniformly in it, at least BOX_MARGIN from every side; grid
    samples and steps are clipped into it and step size and resolution capped as
    RoverDescent(boundary="clip", zoom_cap=True) does, so that the policy meets in training
    the bounds that problems in deployment have. 0: unbounded, the paper."""
    box_side_fraction: float = 0.0
    """Of the boxed episodes, the fraction whose box leaves the landscape's minimiser SIDE_GAP
    beyond one side (drawn uniformly), as a constrained problem with an active bound: the
    episode's minimum (reward, regret, the teacher's distance) is then the box's, found by
    bounded L-BFGS-B with the landscape's gradient; in [0, 1], needs box_fraction > 0."""

    def __post_init__(self):
        if self.family in VALIDATION_ONLY:
            raise ValueError(
                f"family {self.family!r} is a validation landscape (landscapes.make({self.family!r}, rng)), "
                f"not a training family; valid: {', '.join(NAMES)}"
            )
        _choice("family", self.family, NAMES)
        _choice("reward", self.reward, tuple(REWARDS))
        _choice("move", self.move, tuple(MOVES))
        _choice("noise_unit", self.noise_unit, NOISE_UNITS)
        _choice("initial_scale", self.initial_scale, INITIAL_SCALES)
        _choice("metric", self.metric, metric_mod.METRICS)
        _choice("guard", self.guard, GUARDS)
        _number("metric_rate", self.metric_rate, minimum=0.0, strict=True)
        if self.metric_rate > 1:
            raise ValueError(f"metric_rate must be in (0, 1]; got {self.metric_rate!r}")
        _number("metric_min_r2", self.metric_min_r2, minimum=0.0)
        if self.metric_min_r2 > 1:
            raise ValueError(f"metric_min_r2 must be in [0, 1]; got {self.metric_min_r2!r}")
        _number("box_fraction", self.box_fraction, minimum=0.0)
        if self.box_fraction > 1:
            raise ValueError(f"box_fraction must be in [0, 1]; got {self.box_fraction!r}")
        _number("box_side_fraction", self.box_side_fraction, minimum=0.0)
        if self.box_side_fraction > 1:
            raise ValueError(f"box_side_fraction must be in [0, 1]; got {self.box_side_fraction!r}")
        if self.box_side_fraction > 0 and self.box_fraction == 0:
            raise ValueError(
                "box_side_fraction is a fraction of the boxed episodes: set box_fraction > 0 too"
            )
        if self.box_fraction > 0 and self.family in FUNCTIONS:
            raise ValueError(
                f"box_fraction draws boxes around random fields; {self.family!r} is an analytic "
                "function with its own bounds (a box for any landscape: reset(options={'bounds': ...}))"
            )
        if self.metric != "none" and (self.grid_size < 3):
            raise ValueError(f"metric={self.metric!r} fits a quadratic to the grid: grid_size must be >= 3")
        if not isinstance(self.features, bool | np.bool_):
            raise ValueError(f"features must be true or false; got {self.features!r}")
        if self.features and (self.grid_size % 2 == 0 or self.grid_size < 3):
            raise ValueError(
                "features compare the grid's inner 3x3 with the whole: grid_size must be odd and >= 3"
            )
        if self.noise_unit == "kernel" and self.family in FUNCTIONS:
            raise ValueError(
                f"noise_unit='kernel' is the GP posterior of the random families; {self.family!r} is "
                "an analytic function (its noise is an absolute standard deviation: noise_unit='amplitude')"
            )
        if self.move != "eq4" and self.grid_size % 2 == 0:
            raise ValueError(
                f"move={self.move!r} compares with the grid's centre sample: grid_size must be odd"
            )
        _integer("grid_size", self.grid_size, minimum=2)
        _integer("reward_window", self.reward_window)
        _integer("horizon", self.horizon)
        _number("noise", self.noise, minimum=0.0)
        _number("reward_clip", self.reward_clip, minimum=0.0, strict=True, allow_inf=True)
        for name in ("step_size_range", "resolution_range"):
            object.__setattr__(self, name, _range(name, getattr(self, name)))


def _choice(name: str, value, valid: tuple[str, ...]) -> None:
    if not isinstance(value, str) or value not in valid:
        raise ValueError(f"unknown {name} {value!r}; valid: {', '.join(valid)}")


def _integer(name: str, value, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")


def _is_real(value) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def _number(name: str, value, minimum: float, strict: bool = False, allow_inf: bool = False) -> None:
    ok = _is_real(value) and not np.isnan(value) and (allow_inf or np.isfinite(value))
    if not ok or value < minimum or (strict and value == minimum):
        finite = "" if allow_inf else "finite "
        raise ValueError(
            f"{name} must be a {finite}number {'>' if strict else '>='} {minimum:g}; got {value!r}"
        )


def _range(name: str, value) -> tuple[float, float]:
    """``(lo, hi)`` as two floats with ``0 < lo <= hi < inf``."""
    items = list(value) if isinstance(value, list | tuple | np.ndarray) else None
    if items is None or len(items) != 2 or not all(_is_real(v) for v in items):
        raise ValueError(f"{name} must be a pair (lo, hi) of numbers; got {value!r}")
    lo, hi = float(items[0]), float(items[1])
    if not (0 < lo <= hi < np.inf):
        raise ValueError(f"{name} must be (lo, hi) with 0 < lo <= hi < inf; got {(lo, hi)}")
    return lo, hi


def sample_start(landscape: Landscape, x_star: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Initial iterate for ``landscape`` (see the module docstring)."""
    if isinstance(landscape, FieldLandscape):
        return ALL_FAMILIES[landscape.family].sample_start(rng, landscape.params, x_star)
    if isinstance(landscape, AnalyticLandscape):
        return landscape.sample_start(rng)
    raise ValueError(
        "a custom landscape needs an explicit start: reset(options={'landscape': f, 'theta': x0})"
    )


class Engine:
    """State and dynamics of ``B`` slots (one per sub-environment)."""

    def __init__(self, cfg: EngineConfig, num_slots: int, direction_fn):
        self.cfg = cfg
        self.B = num_slots
        self.n = cfg.grid_size
        self.direction_fn = direction_fn
        self.batch: FieldBatch | SharedBatch | None = None
        self._shared: dict = {}
        B, k = num_slots, cfg.reward_window
        self.theta = np.zeros((B, 2))
        self.x_star = np.zeros((B, 2))
        self.f_star = np.zeros(B)
        self.alpha = np.ones(B)
        self.delta = np.ones(B)
        self.scale = np.ones(B)
        self.f = np.zeros(B)
        self.f0 = np.zeros(B)
        self.best = np.zeros(B)  # the best value over the iterates so far (the log_best reward)
        self.t = np.zeros(B, dtype=np.int64)
        self.n_evals = np.zeros(B, dtype=np.int64)
        self.history = np.zeros((B, k))
        self.count = np.zeros(B, dtype=np.int64)
        self.obs = np.zeros((B, 1, self.n, self.n), dtype=np.float32)
        self.features = HistoryFeatures(B, cfg.horizon) if cfg.features else None
        self.grid = np.zeros((B, self.n, self.n))
        self.shape = metric_mod.initial(B, cfg.metric)
        self.lo, self.hi = np.full((B, 2), -np.inf), np.full((B, 2), np.inf)
        self.boxed = np.zeros(B, dtype=bool)
        self.side = np.zeros(B, dtype=bool)  # boxes that leave the minimiser beyond a side

    # ------------------------------------------------------------------ reset
    def landscape(self, i: int) -> Landscape | None:
        """The landscape of slot ``i`` (``None`` before the first reset)."""
        return None if self.batch is None else self.batch.landscape(i)

    def reset_slots(self, slots, rngs, options: dict | None = None) -> None:
        """Start new episodes in ``slots``, each drawing from its own generator."""
        options = dict(options or {})
        _check_options(options)
        idx = np.array(list(slots), dtype=np.int64)
        if options.get("landscape") is not None:
            theta = self._reset_custom(idx, rngs, options["landscape"], options.get("theta"))
        elif self.cfg.family in FUNCTIONS:
            theta = self._reset_analytic(idx, rngs)
        else:
            theta = self._reset_random(idx, rngs)
        self._set_box(idx, None)
        if options.get("bounds") is not None:
            self._set_box(idx, options["bounds"])
        elif self.cfg.box_fraction > 0 and options.get("landscape") is None:
            theta = self._draw_boxes(idx, rngs, theta)
        if options.get("theta") is not None:
            theta = np.broadcast_to(_as_point(options["theta"]), theta.shape).copy()
        batch = self.batch if len(idx) == self.B else self.batch.subset(idx)
        theta = self._inside(idx, batch.clip(theta))
        schedule = np.stack([rngs[i].random(2) for i in idx])
        dist = np.linalg.norm(theta - self.x_star[idx], axis=1)
        scale = np.where(dist > 0, dist, 1.0)
        length = scale if self.cfg.initial_scale == "distance" else self._domain_scale(idx, rngs, dist)
        (a_lo, a_hi), (d_lo, d_hi) = self.cfg.step_size_range, self.cfg.resolution_range
        alpha = length * np.exp(np.log(a_lo) + schedule[:, 0] * np.log(a_hi / a_lo))
        delta = length * np.exp(np.log(d_lo) + schedule[:, 1] * np.log(d_hi / d_lo))
        alpha = _option_scalar(options, "step_size", alpha)
        delta = _option_scalar(options, "resolution", delta)
        alpha, delta = self._capped(idx, alpha, delta)
        self.theta[idx], self.scale[idx], self.alpha[idx], self.delta[idx] = theta, scale, alpha, delta
        self.t[idx], self.count[idx], self.n_evals[idx] = 0, 0, 0
        if self.shape is not None:
            self.shape[idx] = np.eye(2)
        grid, f, finite = self._observe(idx, rngs, batch=batch)
        if not np.all(finite):
            bad = theta[np.flatnonzero(~finite)[0]]
            raise ValueError(
                f"the landscape is NaN or inf at the initial iterate {bad.tolist()}; choose another "
                "start (options['theta']) or a landscape that is finite there"
            )
        self._store_obs(idx, grid)
        if self.features is not None:
            self.features.reset(idx, grid, alpha, delta)
        self.f[idx] = self.f0[idx] = self.best[idx] = f
        low = self.side[idx] & (f < self.f_star[idx])  # a start below the search's box minimum
        self.f_star[idx[low]], self.x_star[idx[low]] = f[low], theta[low]
        self._push_history(idx, f)

    def _domain_scale(self, idx: np.ndarray, rngs, dist: np.ndarray) -> np.ndarray:
        """``L0`` for ``initial_scale="domain"``: half the mean width of a slot's bounds, else the
        half-width of a box that holds start and minimiser uniformly (one draw per slot)."""
        u = np.stack([rngs[i].random(4) for i in idx])
        a, b = DOMAIN_FILL * (2.0 * u[:, :2] - 1.0), DOMAIN_FILL * (2.0 * u[:, 2:] - 1.0)
        rho = np.maximum(np.linalg.norm(a - b, axis=1), MIN_RHO)
        out = np.where(dist > 0, dist, 1.0) / rho
        width = self.hi[idx] - self.lo[idx]
        box = np.all(np.isfinite(width), axis=1)
        out = np.where(box, 0.5 * np.mean(np.where(box[:, None], width, 0.0), axis=1), out)
        if isinstance(self.batch, FieldBatch):  # random fields have no bounds of their own
            return out
        for j, i in enumerate(idx):
            land = self.landscape(i)
            bounds = None if land is None or box[j] else land.bounds  # an episode's box comes first
            if bounds is not None and np.all(np.isfinite(bounds)):
                out[j] = 0.5 * float(np.mean(bounds[:, 1] - bounds[:, 0]))
        return out

    def _reset_random(self, idx: np.ndarray, rngs) -> np.ndarray:
        """New random fields for ``idx``: one ``rng.random`` call per slot, then batched maths."""
        families = MIXTURES.get(self.cfg.family, (self.cfg.family,))
        new = sample_fields(np.stack([rngs[i].random(DRAWS) for i in idx]), families)
        if isinstance(self.batch, FieldBatch):
            self.batch.put(idx, new.params, new.names, new.x_star, new.f_star)
        elif len(idx) == self.B:
            self.batch = FieldBatch(new.params, new.names, new.x_star, new.f_star, self.cfg.noise)
        else:  # some slots hold custom landscapes: keep the general batch
            for j, i in enumerate(idx):
                minimum = (new.x_star[j], new.f_star[j])
                self.batch.replace(
                    i, FieldLandscape(new.params.take(j), new.names[j], minimum, self.cfg.noise)
                )
        self.x_star[idx], self.f_star[idx] = new.x_star, new.f_star
        return new.theta

    def _set_box(self, idx: np.ndarray, bounds) -> None:
        """Slots ``idx`` in the box ``bounds`` (``(2, 2)``, ``[low, high]`` per coordinate) or in
        none (``None``)."""
        box = np.array([[-np.inf, np.inf]] * 2) if bounds is None else _as_box(bounds)
        self.lo[idx], self.hi[idx] = box[:, 0], box[:, 1]
        self.boxed[idx] = bounds is not None
        self.side[idx] = False

    def _draw_boxes(self, idx: np.ndarray, rngs, theta: np.ndarray) -> np.ndarray:
        """``box_fraction`` of the slots ``idx`` in a box around their minimiser, started uniformly
        in it (``BOX_DRAWS`` draws per slot); returns the initial iterates."""
        u = np.stack([rngs[i].random(BOX_DRAWS) for i in idx])
        boxed = u[:, 0] < self.cfg.box_fraction
        span = BOX_WIDTH - 2.0 * BOX_MARGIN
        lo = self.x_star[idx] - BOX_MARGIN - span * u[:, 1:3]
        side = np.zeros(len(idx), dtype=bool)
        if self.cfg.box_side_fraction > 0:
            v = np.stack([rngs[i].random(SIDE_DRAWS) for i in idx])
            side = boxed & (v[:, 0] < self.cfg.box_side_fraction)
            rows = np.flatnonzero(side)
            axis, beyond_high = (v[rows, 1] < 0.5).astype(int), v[rows, 2] < 0.5
            gap = SIDE_GAP[0] + (SIDE_GAP[1] - SIDE_GAP[0]) * v[rows, 3]
            x = self.x_star[idx[rows], axis]
            lo[rows, axis] = np.where(beyond_high, x - gap - BOX_WIDTH, x + gap)
        start = lo + BOX_MARGIN + span * u[:, 3:5]
        self.lo[idx] = np.where(boxed[:, None], lo, -np.inf)
        self.hi[idx] = np.where(boxed[:, None], lo + BOX_WIDTH, np.inf)
        self.boxed[idx], self.side[idx] = boxed, side
        for i in idx[side]:
            self.x_star[i], self.f_star[i] = self._box_minimum(i)
        return np.where(boxed[:, None], start, theta)

    def _box_minimum(self, i: int) -> tuple[np.ndarray, float]:
        """Slot ``i``'s least value in its box, by bounded L-BFGS-B with the landscape's gradient
        from the projection of its minimiser and the lowest of ``SIDE_SCAN`` points along the box's
        sides (a side box's minimum lies on a side unless a rival basin inside is lower); should the
        episode's iterate ever go lower, that value becomes the minimum from then on."""
        land = self.landscape(i)
        t = np.linspace(0.0, 1.0, SIDE_SCAN)[:, None]
        corners = np.array([[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]], dtype=float)
        ring = np.concatenate([c0 + t * (c1 - c0) for c0, c1 in itertools.pairwise(corners)])
        ring = self.lo[i] + ring * (self.hi[i] - self.lo[i])
        starts = (np.clip(self.x_star[i], self.lo[i], self.hi[i]), ring[np.argmin(land(ring))])
        return box_minimum(land, np.stack([self.lo[i], self.hi[i]], axis=-1), starts, maxiter=500)

    def _inside(self, idx, points: np.ndarray) -> np.ndarray:
        """``points`` (``(len(idx), 2)`` or ``(len(idx), m, 2)``) clipped into their slots' boxes."""
        if not self.boxed[idx].any():
            return points
        lo, hi = self.lo[idx], self.hi[idx]
        if points.ndim == 3:
            lo, hi = lo[:, None], hi[:, None]
        return np.clip(points, lo, hi)

    def _capped(self, idx, alpha: np.ndarray, delta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Step sizes and resolutions of slots ``idx`` no wider than their boxes can show
        (``RoverDescent``'s ``zoom_cap``; unchanged without a box)."""
        if not self.boxed[idx].any():
            return alpha, delta
        alpha_max, delta_max = zoom_caps(np.min(self.hi[idx] - self.lo[idx], axis=1), self.n)
        return np.minimum(alpha, alpha_max), np.minimum(delta, delta_max)

    def _reset_analytic(self, idx: np.ndarray, rngs) -> np.ndarray:
        land = self._shared.get("analytic")
        if land is None:
            land = self._shared["analytic"] = FUNCTIONS[self.cfg.family](noise=self.cfg.noise)
        self._install(idx, land)
        return np.stack([land.sample_start(rngs[i]) for i in idx])

    def _reset_custom(self, idx: np.ndarray, rngs, land: Landscape, theta) -> np.ndarray:
        if land.dim != 2:
            raise ValueError(f"the environment is 2-D; the landscape has dim={land.dim}")
        self._install(idx, land)
        if theta is not None:
            return np.broadcast_to(_as_point(theta), (len(idx), 2)).copy()
        return np.stack([sample_start(land, land.minimum[0], rngs[i]) for i in idx])

    def _install(self, idx: np.ndarray, land: Landscape) -> None:
        """Put one landscape object in slots ``idx`` (analytic or user landscapes)."""
        x_star, f_star = land.minimum
        if self.batch is None or len(idx) == self.B:
            self.batch = SharedBatch([land] * self.B)
        else:
            if not isinstance(self.batch, SharedBatch):
                self.batch = SharedBatch([self.batch.landscape(i) for i in range(self.B)])
            for i in idx:
                self.batch.replace(i, land)
        self.x_star[idx], self.f_star[idx] = x_star, f_star

    # ------------------------------------------------------------------ step pieces
    def _observe(self, idx: np.ndarray, rngs, skip: np.ndarray | None = None, batch=None):
        """Raw grids, noiseless values at the iterates and whether those are finite, for slots
        ``idx`` (non-finite samples elsewhere on a grid are the rescaling's business).

        Slots flagged in ``skip`` (about to be reset) draw no noise from their generator.
        ``batch`` is the landscapes of ``idx`` when the caller already has them.
        """
        pts = grid_mod.grid_points(self.theta[idx], self.delta[idx], self.n, shape=self._shape(idx))
        if batch is None:
            batch = self.batch if len(idx) == self.B else self.batch.subset(idx)
        flat = self._inside(idx, pts.reshape(len(idx), -1, 2))
        values = batch.values(flat)
        c = self.n // 2
        if self.n % 2 == 1:
            f = values[:, c * self.n + c]
        else:
            f = batch.values(self.theta[idx][:, None, :])[:, 0]
        grid = self._noisy(values, flat, idx, rngs, skip, batch).reshape(len(idx), self.n, self.n)
        return grid, f, np.isfinite(f)

    def _noisy(self, values, points, idx, rngs, skip, batch) -> np.ndarray:
        """Observed values: ``values (len(idx), m)`` at ``points`` plus the configured noise, one
        draw per point from each slot's generator (none for slots in ``skip``)."""
        if self.cfg.noise == 0:
            return values
        scales = batch.noise_scales(points, self.cfg.noise_unit)
        m = points.shape[1]
        eps = np.stack(
            [np.zeros(m) if skip is not None and skip[i] else rngs[i].standard_normal(m) for i in idx]
        )
        return values + self.cfg.noise * scales * eps

    def _store_obs(self, idx: np.ndarray, grid: np.ndarray) -> None:
        self.grid[idx] = grid
        self.obs[idx, 0] = grid_mod.rescale(grid)

    def _push_history(self, idx: np.ndarray, f: np.ndarray) -> None:
        k = self.history.shape[1]
        self.history[idx, self.count[idx] % k] = f
        self.count[idx] += 1
        self.n_evals[idx] += self.n * self.n

    def _shape(self, idx) -> np.ndarray | None:
        return None if self.shape is None else self.shape[idx]

    def directions(self, actions: np.ndarray) -> np.ndarray:
        """Move directions for every slot: unit vectors from the provider or the action, mapped
        by the grid's shape when it is adapted (``A u``, :mod:`rover_envs.metric`)."""
        if self.direction_fn is None:
            u = unit(actions[:, 2:4])
        else:
            u = self.direction_fn(self.obs, self.batch, self.theta, self.x_star)
        return metric_mod.apply(self.shape, u)

    def step(self, actions: np.ndarray, rngs, skip: np.ndarray | None = None) -> dict:
        """Advance every slot by one transition (eq. 4); return per-slot arrays.

        Slots in the boolean mask ``skip`` are about to be reset: they are stepped with the
        others (cheaper than splitting the batch) but draw nothing from their generators.
        """
        cfg = self.cfg
        actions = clip_actions(
            actions, with_direction=self.direction_fn is None, with_choice=cfg.move == "actor"
        )
        direction = self.directions(actions)
        actions = guard_actions(actions, self.grid, cfg.guard)
        theta, delta = self.theta, self.delta
        every = np.arange(self.B)
        step, self.alpha, self.delta = transition(
            self.theta,
            self.alpha,
            self.delta,
            direction,
            actions,
            clip=lambda x: self._inside(every, self.batch.clip(x)),
        )
        self.alpha, self.delta = self._capped(every, self.alpha, self.delta)
        self.theta, accepted = self._move(theta, delta, step, actions, rngs, skip)
        if self.shape is not None:  # the grid just read shapes the next one
            self.shape = metric_mod.update(
                self.shape, self.grid, cfg.metric_rate, cfg.metric_min_r2, cfg.metric
            )
        self.t += 1
        idx = np.arange(self.B)
        with np.errstate(over="ignore", invalid="ignore"):
            grid, f, finite = self._observe(idx, rngs, skip)
        lower = self.side & finite & (f < self.f_star)  # below the search's box minimum: it missed a basin
        self.f_star[lower], self.x_star[lower] = f[lower], self.theta[lower]
        far = np.linalg.norm(self.theta - self.x_star, axis=1) > DIVERGENCE_FACTOR * self.scale
        state_ok = np.all(np.isfinite(self.theta), axis=1) & np.isfinite(self.alpha) & np.isfinite(self.delta)
        diverged = ~state_ok | far
        nonfinite = ~finite & ~diverged
        failed = diverged | nonfinite
        penalty = self.f_star + min(cfg.reward_clip, 1e6) * (self.f0 - self.f_star)
        f_eff = np.where(failed, penalty, f)
        truncated = (self.t >= cfg.horizon) & ~failed
        inputs = RewardInputs(
            f=f_eff,
            f_star=self.f_star,
            f0=self.f0,
            f_mean=running_mean_of(self.history, self.count),
            last=truncated | failed,
            clip=cfg.reward_clip,
            best=self.best.copy(),
        )
        parts = reward_parts(inputs)
        self.best = np.where(failed, self.best, np.minimum(self.best, f))
        ok = np.flatnonzero(~failed)
        self._store_obs(ok, grid[ok])
        if self.features is not None:
            evaluated = cfg.move in EVALUATING
            self.features.update(
                ok, grid[ok], accepted[ok] if evaluated else None, self.t[ok], self.alpha[ok], self.delta[ok]
            )
        self.f = np.where(failed, self.f, f)
        self._push_history(idx, f_eff)
        return {
            "reward": parts[cfg.reward],
            "accepted": accepted,
            "terminated": failed,
            "truncated": truncated,
            "rewards": parts,
            "diverged": diverged,
            "nonfinite": nonfinite,
        }

    def _move(self, theta, delta, step, actions, rngs, skip) -> tuple[np.ndarray, np.ndarray]:
        """The configured move rule (:mod:`rover_envs.moves`) on the current grid; returns the new
        iterates and whether each took its step."""
        rule = self.cfg.move
        if rule == "eq4":
            return step, np.ones(self.B, bool)
        c = self.n // 2
        inputs = MoveInputs(
            theta,
            step,
            self.grid[:, c, c],
            self._inside(
                np.arange(self.B),
                grid_mod.grid_points(theta, delta, self.n, shape=self.shape).reshape(self.B, -1, 2),
            ),
            self.grid.reshape(self.B, -1),
            actions[:, -1] if rule == "actor" else None,
        )

        def evaluate(points: np.ndarray) -> np.ndarray:
            pts = points[:, None, :]
            with np.errstate(over="ignore", invalid="ignore"):
                return self._noisy(self.batch.values(pts), pts, np.arange(self.B), rngs, skip, self.batch)[
                    :, 0
                ]

        move = MOVES[rule](inputs, evaluate)
        if rule in EVALUATING:
            self.n_evals += 1
        return move.theta, move.accepted

    def _grid_distance(self, idx) -> np.ndarray:
        """Distance to the minimiser in the grid's coordinates, ``|A^-1 (theta - x*)|`` (the
        Euclidean one on the square grid; privileged, like ``distance``)."""
        offset = self.theta[idx] - self.x_star[idx]
        if self.shape is not None:
            offset = np.linalg.solve(self.shape[idx], offset[..., None])[..., 0]
        return np.linalg.norm(offset, axis=-1)

    def _best_sample_distance(self, idx) -> np.ndarray:
        """Distance from each grid's lowest finite sample to the minimiser, in the grid's
        coordinates as ``grid_distance`` (privileged; ``move="actor"`` only: the warm-start
        teacher's move choice, :mod:`agents.rdpg.warmstart`)."""
        every = np.arange(self.B)
        points = grid_mod.grid_points(self.theta, self.delta, self.n, shape=self.shape)
        points = self._inside(every, points.reshape(self.B, -1, 2))
        values = np.where(np.isfinite(self.grid), self.grid, np.inf).reshape(self.B, -1)
        offset = points[every, np.argmin(values, axis=1)] - self.x_star
        if self.shape is not None:
            offset = np.linalg.solve(self.shape, offset[..., None])[..., 0]
        return np.linalg.norm(offset, axis=-1)[idx]

    def observation(self, idx):
        """The observation of slots ``idx``: the rescaled grids, or with ``features`` the dict
        ``{"grid": grids, "features": (..., N_FEATURES)}`` (copies)."""
        if self.features is None:
            return self.obs[idx].copy()
        return {"grid": self.obs[idx].copy(), "features": self.features.values[idx].copy()}

    def info(self, idx) -> dict:
        """Per-slot diagnostics as arrays (the envs format them)."""
        return {
            "f": self.f[idx],
            "regret": self.f[idx] - self.f_star[idx],
            "f_star": self.f_star[idx],
            "theta": self.theta[idx].copy(),
            "distance": np.linalg.norm(self.theta[idx] - self.x_star[idx], axis=-1),
            "grid_distance": self._grid_distance(idx),
            "step_size": self.alpha[idx],
            "resolution": self.delta[idx],
            "n_evals": self.n_evals[idx],
            "t": self.t[idx],
            **({"best_sample_distance": self._best_sample_distance(idx)} if self.cfg.move == "actor" else {}),
        }


_OPTION_KEYS = ("landscape", "theta", "step_size", "resolution", "bounds")


def _check_options(options: dict) -> None:
    unknown = sorted(set(options) - set(_OPTION_KEYS))
    if unknown:
        raise ValueError(f"unknown reset option(s) {unknown}; valid: {', '.join(_OPTION_KEYS)}")
    land = options.get("landscape")
    if land is not None and not isinstance(land, Landscape):
        raise ValueError("options['landscape'] must be a rover_envs.landscapes.Landscape")


def _as_point(theta) -> np.ndarray:
    point = np.asarray(theta, dtype=float)
    if point.shape != (2,) or not np.all(np.isfinite(point)):
        raise ValueError(f"options['theta'] must be 2 finite numbers; got {theta!r}")
    return point


def _as_box(bounds) -> np.ndarray:
    try:
        box = np.array(bounds, dtype=float)
    except (TypeError, ValueError):
        box = None
    if box is None or box.shape != (2, 2) or np.isnan(box).any() or not np.all(box[:, 0] < box[:, 1]):
        raise ValueError(
            "options['bounds'] must be [[low, high], [low, high]] with low < high (inf allowed); "
            f"got {bounds!r}"
        )
    return box


def _option_scalar(options: dict, key: str, default: np.ndarray) -> np.ndarray:
    if options.get(key) is None:
        return default
    value = float(options[key])
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"options[{key!r}] must be a finite number > 0; got {options[key]!r}")
    return np.full_like(default, value)
