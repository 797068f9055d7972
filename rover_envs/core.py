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
* Divergence: an episode terminates with ``info["diverged"]`` when the iterate, step size or
  resolution stops being finite or the iterate is farther than ``1000 * L0`` from the minimiser;
  it terminates with ``info["nonfinite"]`` when the landscape returns NaN or inf on the grid.
  Either way the observation is the last finite one and the reward is that of a point whose
  regret is ``reward_clip`` times the initial regret.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rover_envs import grid as grid_mod
from rover_envs.landscapes import FAMILIES, FUNCTIONS, AnalyticLandscape, pick_family
from rover_envs.landscapes.base import Landscape, SharedBatch
from rover_envs.landscapes.fields import FieldBatch, FieldLandscape, FieldParams, field_minimum
from rover_envs.rewards import REWARDS, RewardInputs, reward_parts, running_mean_of

ACTION_LOW, ACTION_HIGH = -0.5, 1.0
DIVERGENCE_FACTOR = 1e3


@dataclass(frozen=True)
class EngineConfig:
    """Validated environment parameters (see the env's docstring for their meaning)."""

    family: str = "all"
    reward: str = "running_mean"
    grid_size: int = 7
    noise: float = 0.0
    reward_window: int = 5
    reward_clip: float = 10.0
    horizon: int = 30
    step_size_range: tuple[float, float] = (0.01, 0.3)
    resolution_range: tuple[float, float] = (0.005, 0.1)

    def __post_init__(self):
        valid_families = ("all", *FAMILIES, *FUNCTIONS)
        if self.family not in valid_families:
            raise ValueError(f"unknown family {self.family!r}; valid: {', '.join(valid_families)}")
        if self.reward not in REWARDS:
            raise ValueError(f"unknown reward {self.reward!r}; valid: {', '.join(REWARDS)}")
        _positive_int("grid_size", self.grid_size, minimum=2)
        _positive_int("reward_window", self.reward_window)
        _positive_int("horizon", self.horizon)
        if not (np.isfinite(self.noise) and self.noise >= 0):
            raise ValueError(f"noise must be a finite number >= 0; got {self.noise}")
        if not self.reward_clip > 0:
            raise ValueError(f"reward_clip must be > 0 (np.inf for none); got {self.reward_clip}")
        for name in ("step_size_range", "resolution_range"):
            lo, hi = getattr(self, name)
            if not 0 < lo <= hi:
                raise ValueError(f"{name} must be (lo, hi) with 0 < lo <= hi; got {(lo, hi)}")


def _positive_int(name: str, value, minimum: int = 1) -> None:
    if not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")


def _log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def sample_landscape(cfg: EngineConfig, rng: np.random.Generator, shared: dict) -> Landscape:
    """A new landscape for one episode (analytic functions are built once and shared)."""
    if cfg.family in FUNCTIONS:
        if "analytic" not in shared:
            shared["analytic"] = FUNCTIONS[cfg.family](noise=cfg.noise)
        return shared["analytic"]
    return pick_family(cfg.family, rng).sample(rng, noise=cfg.noise)


def sample_start(landscape: Landscape, x_star: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Initial iterate for ``landscape`` (see the module docstring)."""
    if isinstance(landscape, FieldLandscape):
        return FAMILIES[landscape.family].sample_start(rng, landscape.params, x_star)
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
        self.landscapes: list[Landscape | None] = [None] * num_slots
        self.batch = None
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
        self.t = np.zeros(B, dtype=np.int64)
        self.n_evals = np.zeros(B, dtype=np.int64)
        self.history = np.zeros((B, k))
        self.count = np.zeros(B, dtype=np.int64)
        self.obs = np.zeros((B, 1, self.n, self.n), dtype=np.float32)
        self.grid = np.zeros((B, self.n, self.n))

    # ------------------------------------------------------------------ reset
    def reset_slots(self, slots, rngs, options: dict | None = None) -> None:
        """Start new episodes in ``slots``, each drawing from its own generator."""
        options = dict(options or {})
        _check_options(options)
        new = []
        for i in slots:
            land = options.get("landscape") or sample_landscape(self.cfg, rngs[i], self._shared)
            new.append((i, land))
        self._compute_minima([land for _, land in new])
        for i, land in new:
            self._install(i, land)
            x_star, f_star = land.minimum
            if land.dim != 2:
                raise ValueError(f"the environment is 2-D; landscape has dim={land.dim}")
            theta = options.get("theta")
            theta = sample_start(land, x_star, rngs[i]) if theta is None else theta
            theta = np.asarray(land.clip(np.asarray(theta, dtype=float)), dtype=float)
            if theta.shape != (2,) or not np.all(np.isfinite(theta)):
                raise ValueError(f"options['theta'] must be 2 finite numbers; got {theta!r}")
            dist = float(np.linalg.norm(theta - x_star))
            scale = dist if dist > 0 else 1.0
            alpha = scale * _log_uniform(rngs[i], *self.cfg.step_size_range)
            delta = scale * _log_uniform(rngs[i], *self.cfg.resolution_range)
            alpha = float(options.get("step_size", alpha))
            delta = float(options.get("resolution", delta))
            if not (alpha > 0 and delta > 0 and np.isfinite(alpha) and np.isfinite(delta)):
                raise ValueError("options 'step_size' and 'resolution' must be finite and > 0")
            self.theta[i], self.x_star[i], self.f_star[i] = theta, x_star, f_star
            self.alpha[i], self.delta[i], self.scale[i] = alpha, delta, scale
            self.t[i], self.count[i], self.n_evals[i] = 0, 0, 0
        idx = np.array(slots, dtype=np.int64)
        grid, f, finite = self._observe(idx, rngs)
        if not np.all(finite):
            raise ValueError(
                "the landscape returned NaN or inf on the initial grid; choose another start "
                "(options['theta']) or a landscape that is finite there"
            )
        self._store_obs(idx, grid)
        self.f[idx] = self.f0[idx] = f
        self._push_history(idx, f)

    def _compute_minima(self, lands: list[Landscape]) -> None:
        """Minima of freshly drawn random fields in one batched search."""
        todo = [lnd for lnd in lands if isinstance(lnd, FieldLandscape) and "minimum" not in lnd.__dict__]
        if todo:
            x_star, f_star = field_minimum(FieldParams.concatenate([lnd.params for lnd in todo]))
            for lnd, xs, fs in zip(todo, x_star, f_star):
                lnd.set_minimum(xs, fs)

    def _install(self, i: int, land: Landscape) -> None:
        self.landscapes[i] = land
        if self.batch is None:
            if all(lnd is not None for lnd in self.landscapes[i:]):  # slots fill in order
                self.batch = _make_batch(self.landscapes)
        elif isinstance(self.batch, FieldBatch) and isinstance(land, FieldLandscape):
            self.batch.replace(i, land)
        else:
            self.batch = _make_batch(self.landscapes)

    # ------------------------------------------------------------------ step pieces
    def _observe(self, idx: np.ndarray, rngs, skip: np.ndarray | None = None):
        """Raw grids, noiseless values at the iterates and a finiteness flag for slots ``idx``.

        Slots flagged in ``skip`` (about to be reset) draw no noise from their generator.
        """
        pts = grid_mod.grid_points(self.theta[idx], self.delta[idx], self.n)
        batch = self.batch if len(idx) == self.B else self.batch.subset(idx)
        flat = pts.reshape(len(idx), -1, 2)
        values = batch.values(flat)
        c = self.n // 2
        if self.n % 2 == 1:
            f = values[:, c * self.n + c]
        else:
            f = batch.values(self.theta[idx][:, None, :])[:, 0]
        if self.cfg.noise > 0:
            scales = batch.noise_scales(flat)
            m = flat.shape[1]
            eps = np.stack([
                np.zeros(m) if skip is not None and skip[i] else rngs[i].standard_normal(m)
                for i in idx
            ])  # fmt: skip
            values = values + self.cfg.noise * scales * eps
        grid = values.reshape(len(idx), self.n, self.n)
        finite = np.all(np.isfinite(grid), axis=(1, 2)) & np.isfinite(f)
        return grid, f, finite

    def _store_obs(self, idx: np.ndarray, grid: np.ndarray) -> None:
        self.grid[idx] = grid
        self.obs[idx, 0] = grid_mod.rescale(grid)

    def _push_history(self, idx: np.ndarray, f: np.ndarray) -> None:
        k = self.history.shape[1]
        self.history[idx, self.count[idx] % k] = f
        self.count[idx] += 1
        self.n_evals[idx] += self.n * self.n

    def directions(self, actions: np.ndarray) -> np.ndarray:
        """Unit move directions for every slot (from the provider or the action)."""
        if self.direction_fn is None:
            d = actions[:, 2:4]
            norm = np.linalg.norm(d, axis=1, keepdims=True)
            return np.where(norm > 0, d / np.where(norm > 0, norm, 1.0), 0.0)
        return self.direction_fn(self.obs, self.batch, self.theta, self.x_star)

    def step(self, actions: np.ndarray, rngs, skip: np.ndarray | None = None) -> dict:
        """Advance every slot by one transition (eq. 4); return per-slot arrays.

        Slots in the boolean mask ``skip`` are about to be reset: they are stepped with the
        others (cheaper than splitting the batch) but draw nothing from their generators.
        """
        cfg = self.cfg
        actions = np.clip(np.asarray(actions, dtype=float), ACTION_LOW, ACTION_HIGH)
        if self.direction_fn is None:
            actions[:, 2:] = np.clip(actions[:, 2:], -1.0, 1.0)
        direction = self.directions(actions)
        with np.errstate(over="ignore", invalid="ignore"):
            self.theta = self.batch.clip(self.theta + self.alpha[:, None] * direction)
            self.alpha = self.alpha * (1.0 + actions[:, 0])
            self.delta = self.delta * (1.0 + actions[:, 1])
        self.t += 1
        idx = np.arange(self.B)
        with np.errstate(over="ignore", invalid="ignore"):
            grid, f, finite = self._observe(idx, rngs, skip)
        far = np.linalg.norm(self.theta - self.x_star, axis=1) > DIVERGENCE_FACTOR * self.scale
        state_ok = np.all(np.isfinite(self.theta), axis=1) & np.isfinite(self.alpha) & np.isfinite(self.delta)
        diverged = ~state_ok | far
        nonfinite = ~finite & ~diverged
        failed = diverged | nonfinite
        penalty = self.f_star + min(cfg.reward_clip, 1e6) * (self.f0 - self.f_star)
        f_eff = np.where(failed, penalty, f)
        truncated = (self.t >= cfg.horizon) & ~failed
        inputs = RewardInputs(
            f=f_eff, f_star=self.f_star, f0=self.f0,
            f_mean=running_mean_of(self.history, self.count), last=truncated | failed,
            clip=cfg.reward_clip,
        )  # fmt: skip
        parts = reward_parts(inputs)
        ok = np.flatnonzero(~failed)
        self._store_obs(ok, grid[ok])
        self.f = np.where(failed, self.f, f)
        self._push_history(idx, f_eff)
        return {
            "reward": parts[cfg.reward], "terminated": failed, "truncated": truncated,
            "rewards": parts, "diverged": diverged, "nonfinite": nonfinite,
        }  # fmt: skip

    def info(self, idx) -> dict:
        """Per-slot diagnostics as arrays (the envs format them)."""
        return {
            "f": self.f[idx], "regret": self.f[idx] - self.f_star[idx],
            "f_star": self.f_star[idx], "theta": self.theta[idx].copy(),
            "step_size": self.alpha[idx], "resolution": self.delta[idx],
            "n_evals": self.n_evals[idx], "t": self.t[idx],
        }  # fmt: skip


_OPTION_KEYS = ("landscape", "theta", "step_size", "resolution")


def _check_options(options: dict) -> None:
    unknown = sorted(set(options) - set(_OPTION_KEYS))
    if unknown:
        raise ValueError(f"unknown reset option(s) {unknown}; valid: {', '.join(_OPTION_KEYS)}")
    land = options.get("landscape")
    if land is not None and not isinstance(land, Landscape):
        raise ValueError("options['landscape'] must be a rover_envs.landscapes.Landscape")


def _make_batch(landscapes: list[Landscape]):
    if all(isinstance(lnd, FieldLandscape) for lnd in landscapes):
        return FieldBatch(landscapes)
    return SharedBatch(landscapes)
