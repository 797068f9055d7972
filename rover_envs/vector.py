"""Native batched ``RoverLandscape-v0``: numpy over sub-environments, one direction call per step.

Created by ``gymnasium.make_vec("RoverLandscape-v0", num_envs=N,
vectorization_mode="vector_entry_point")``. Sub-environment ``i`` owns its own generator,
seeded ``seed + i`` by ``reset(seed=seed)`` as in Gymnasium's ``SyncVectorEnv``, so the vector
env reproduces ``N`` single environments seeded ``seed, seed + 1, ...`` exactly. Autoreset
follows Gymnasium 1.x's ``NEXT_STEP`` mode: the step after an episode ends resets that
sub-environment, ignores its action and returns its first observation with reward 0. The
env truncates at its ``horizon`` itself (``make_vec`` adds no ``TimeLimit``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from rover_envs.env import DEFAULT_DIRECTION, build_engine, make_spaces, resolve_horizon


class RoverLandscapeVectorEnv(VectorEnv):
    """``N`` copies of :class:`~rover_envs.env.RoverLandscapeEnv` advanced together.

    Takes the single environment's keyword arguments plus ``num_envs`` and
    ``max_episode_steps`` (another name for ``horizon``, 30 by default; the two must agree when
    both are given). ``render_mode`` must be ``None``.
    """

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}

    def __init__(
        self,
        num_envs: int = 1,
        direction: str = DEFAULT_DIRECTION,
        max_episode_steps: int | None = None,
        render_mode: str | None = None,
        **kwargs,
    ):
        if not isinstance(num_envs, int | np.integer) or num_envs < 1:
            raise ValueError(f"num_envs must be a positive integer; got {num_envs!r}")
        if render_mode is not None:
            raise ValueError("the vector env does not render; use a single env with render_mode")
        self._engine = build_engine(int(num_envs), direction, **resolve_horizon(kwargs, max_episode_steps))
        self.num_envs = int(num_envs)
        self.direction = direction
        self.render_mode = None
        cfg = self._engine.cfg
        self.single_observation_space, self.single_action_space = make_spaces(
            self._engine.n, direction, cfg.move, cfg.features
        )
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._rngs: list[np.random.Generator] = []
        self._autoreset = np.zeros(self.num_envs, dtype=bool)

    @property
    def config(self):
        return self._engine.cfg

    @property
    def landscapes(self) -> list:
        """The current landscape of every sub-environment."""
        return [self._engine.landscape(i) for i in range(self.num_envs)]

    def reset(self, *, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None):
        if seed is None or isinstance(seed, int | np.integer):
            seeds = [None if seed is None else int(seed) + i for i in range(self.num_envs)]
        else:
            seeds = list(seed)
            if len(seeds) != self.num_envs:
                raise ValueError(f"seed list must have num_envs={self.num_envs} entries; got {len(seeds)}")
        if not self._rngs or seed is not None:
            self._rngs = [seeding.np_random(s)[0] for s in seeds]
        self._engine.reset_slots(range(self.num_envs), self._rngs, options)
        self._autoreset[:] = False
        return self._engine.observation(slice(None)), self._infos(None)

    def step(self, actions):
        if not self._rngs:
            raise RuntimeError("call reset() before step()")
        actions = np.asarray(actions, dtype=float)
        expected = (self.num_envs, self.single_action_space.shape[0])
        if actions.shape != expected:
            raise ValueError(f"actions must have shape {expected}; got {actions.shape}")
        resetting = np.flatnonzero(self._autoreset)
        out = self._engine.step(actions, self._rngs, skip=self._autoreset)
        if resetting.size:
            self._engine.reset_slots(resetting, self._rngs)
            for key in ("reward", "terminated", "truncated", "diverged", "nonfinite", "accepted"):
                out[key][resetting] = 0
            for part in out["rewards"].values():
                part[resetting] = 0.0
        self._autoreset = out["terminated"] | out["truncated"]
        return (
            self._engine.observation(slice(None)),
            out["reward"].astype(np.float64),
            out["terminated"].copy(),
            out["truncated"].copy(),
            self._infos(out),
        )

    def _infos(self, out: dict | None) -> dict[str, Any]:
        info: dict[str, Any] = dict(self._engine.info(slice(None)))
        if out is not None:
            info["rewards"] = {k: v.copy() for k, v in out["rewards"].items()}
            info["rewards"].update({f"_{k}": np.ones(self.num_envs, bool) for k in out["rewards"]})
            info["diverged"] = out["diverged"].copy()
            info["nonfinite"] = out["nonfinite"].copy()
            info["step_accepted"] = out["accepted"].copy()
        for key in [k for k in info if not k.startswith("_")]:
            info[f"_{key}"] = np.ones(self.num_envs, dtype=bool)
        return info

    def close_extras(self, **kwargs):
        pass
