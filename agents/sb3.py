"""Stable-Baselines3 on ``RoverLandscape-v0``: an SB3 ``VecEnv`` over the batched engine and a
feature extractor sized for the 7x7 grid.

SB3 takes its own ``VecEnv`` (same-step autoreset, ``terminal_observation`` in ``infos``), not
a Gymnasium vector env, so :class:`RoverVecEnv` drives the same batched engine as the native
Gymnasium vector env (one angle-net forward per step for all sub-environments) with SB3's
conventions, and records what ``VecMonitor`` would (``info["episode"]``) plus the episode's
``final_normalized_regret``. Sub-environment ``i`` is seeded ``seed + i`` like SB3's
``DummyVecEnv``, so a seeded SB3 run is reproducible.

SB3's ``NatureCNN`` needs images of at least 36x36; :class:`GridCNN` is the two-convolution
encoder of our own networks (3x3 kernels, no pooling). Use it with ``normalize_images=False``
(the grid is already in [0, 1])::

    from stable_baselines3 import SAC
    from agents.sb3 import RoverVecEnv, policy_kwargs
    env = RoverVecEnv(16, family="all", seed=0)
    model = SAC("CnnPolicy", env, policy_kwargs=policy_kwargs(), seed=0).learn(100_000)

With ``features=True`` the observation is a ``Dict`` of the grid and the history features
(:mod:`rover_envs.features`); use SB3's ``MultiInputPolicy`` (``MultiInputLstmPolicy`` for
RecurrentPPO) with :class:`GridFeaturesExtractor`, which ``policy_kwargs(dict_obs=True)`` selects::

    env = RoverVecEnv(16, family="all", features=True, seed=0)
    model = SAC("MultiInputPolicy", env, policy_kwargs=policy_kwargs(dict_obs=True), seed=0)

A trained model (a ``make compare-rl`` or ``python -m experiments.train_sb3`` run) is also a
learned optimiser: :class:`SB3Actor` makes it the actor of
:class:`agents.rover.RoverDescent`, which :meth:`agents.rover.RoverDescent.from_sb3` loads from
a run folder::

    rover = RoverDescent.from_sb3("runs/compare/compare_rl_features/<run>")
    rover.minimize(fun, x0)  # 2-D, or any d over pairs of coordinates
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
import yaml
from gymnasium.utils import seeding
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from stable_baselines3.common.vec_env import VecEnv
from torch import nn

from agents.rdpg.networks import Hidden
from rover_envs.angle_net import FrozenAngleNet
from rover_envs.env import DEFAULT_DIRECTION, build_engine, make_spaces
from rover_envs.features import FEATURE_BOUND, N_FEATURES

ALGORITHMS = ("ddpg", "td3", "sac", "ppo", "recurrent_ppo")


def algorithm_class(algo: str, dict_obs: bool = False):
    """The SB3 class and its policy name for ``algo`` (the multi-input policy for the ``Dict``
    observation of ``env.features``)."""
    if algo == "recurrent_ppo":
        from sb3_contrib import RecurrentPPO

        return RecurrentPPO, "MultiInputLstmPolicy" if dict_obs else "CnnLstmPolicy"
    import stable_baselines3 as sb3

    classes = {"ddpg": sb3.DDPG, "td3": sb3.TD3, "sac": sb3.SAC, "ppo": sb3.PPO}
    if algo not in classes:
        raise ValueError(f"unknown algorithm {algo!r}; choose from {', '.join(ALGORITHMS)}")
    return classes[algo], "MultiInputPolicy" if dict_obs else "CnnPolicy"


class SB3Actor:
    """A trained Stable-Baselines3 model as the actor of :class:`agents.rover.RoverDescent`.

    It answers the recurrent actor's interface (``initial(n)``, ``act(obs, hidden, start,
    features)``, ``n_features``, ``action_dim``) with the model's deterministic
    ``predict``: the grid ``(N, 1, n, n)`` (and, for a ``features=True`` model, the history
    features) in the environment's own observation format, RecurrentPPO's LSTM state carried in
    ``hidden`` (one stream per pair of coordinates in high dimension), ``episode_start`` at the
    first step. Feed-forward models keep an empty state."""

    action_dim = 2

    def __init__(self, model, n_features: int = 0):
        self.model, self.n_features = model, int(n_features)
        shape = getattr(model.policy, "lstm_hidden_state_shape", None)  # RecurrentPPO: (layers, 1, H)
        self.layers, self.size = (int(shape[0]), int(shape[2])) if shape else (1, 0)

    def initial(self, n: int) -> Hidden:
        z = torch.zeros(self.layers, n, self.size)
        return Hidden(z, z.clone(), torch.zeros(n, self.action_dim))

    def act(
        self, obs: torch.Tensor, hidden: Hidden, start: torch.Tensor, features: torch.Tensor | None = None
    ):
        grid = obs.numpy().astype(np.float32)
        if self.n_features:
            if features is None:
                raise ValueError(f"this model reads {self.n_features} history features; none given")
            observation: Any = {"grid": grid, "features": features.numpy().astype(np.float32)}
        else:
            observation = grid
        state = (hidden.h.numpy(), hidden.c.numpy()) if self.size else None
        action, state = self.model.predict(
            observation, state=state, episode_start=start.numpy(), deterministic=True
        )
        action = torch.as_tensor(np.asarray(action, dtype=np.float32).reshape(len(grid), -1))
        if self.size:
            h, c = (torch.as_tensor(np.asarray(s), dtype=torch.float32) for s in state)
        else:
            h, c = hidden.h, hidden.c
        return action, Hidden(h, c, action)


def load_sb3_policy(run):
    """The :class:`agents.rover.RoverPolicy` of a finished Stable-Baselines3 run folder
    (``config.yaml`` + ``model.zip``): its model as the actor, the run's angle network for the
    direction (``angle_net``; the shipped one when null), its move rule and features from the
    run's ``env``."""
    from agents.rover import RoverPolicy  # agents.rover loads this module lazily: no cycle

    run = Path(run)
    if not (run / "config.yaml").is_file() or not (run / "model.zip").is_file():
        raise FileNotFoundError(
            f"{run} is not a finished Stable-Baselines3 run (it needs config.yaml and model.zip; "
            "train one with python -m experiments.train_sb3 or make compare-rl)"
        )
    cfg = yaml.safe_load((run / "config.yaml").read_text()) or {}
    env = cfg.get("env") or {}
    cls, _ = algorithm_class(cfg.get("algo", ""))
    model = cls.load(run / "model.zip", device="cpu")
    angle = FrozenAngleNet.load(cfg.get("angle_net"))
    grid = int(env.get("grid_size", angle.grid_size))
    if grid != angle.grid_size:
        raise ValueError(
            f"{run} was trained on {grid}x{grid} grids; the angle network reads {angle.grid_size}"
        )
    actor = SB3Actor(model, N_FEATURES if env.get("features") else 0)
    return RoverPolicy(angle, actor, {}, meta={"config": cfg, "source": str(run)})


class GridCNN(BaseFeaturesExtractor):
    """Two 3x3 convolutions (padding 1) and a linear layer: ``(B, 1, n, n) -> (B, features_dim)``."""

    def __init__(
        self, observation_space: gym.spaces.Box, features_dim: int = 64, channels: tuple[int, int] = (16, 32)
    ):
        super().__init__(observation_space, features_dim)
        c, n, m = observation_space.shape
        self.net = nn.Sequential(
            nn.Conv2d(c, channels[0], 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(channels[0], channels[1], 3, padding=1),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(channels[1] * n * m, features_dim),
            nn.ReLU(),
        )

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        return self.net(observations)


class GridFeaturesExtractor(BaseFeaturesExtractor):
    """The ``Dict`` observation of ``features=True``: :class:`GridCNN` on ``"grid"``, concatenated
    with the history features divided by their bound (so they lie in [-1, 1]):
    ``-> (B, features_dim + n_features)``."""

    def __init__(
        self, observation_space: gym.spaces.Dict, features_dim: int = 64, channels: tuple[int, int] = (16, 32)
    ):
        if not isinstance(observation_space, gym.spaces.Dict) or set(observation_space.spaces) != {
            "grid",
            "features",
        }:
            raise ValueError(
                f"GridFeaturesExtractor reads a Dict observation with keys 'grid' and 'features' "
                f"(RoverVecEnv(..., features=True)); got {observation_space}"
            )
        n_features = observation_space["features"].shape[0]
        super().__init__(observation_space, features_dim + n_features)
        self.cnn = GridCNN(observation_space["grid"], features_dim, channels)

    def forward(self, observations: dict[str, torch.Tensor]) -> torch.Tensor:
        feats = observations["features"] / FEATURE_BOUND
        return torch.cat([self.cnn(observations["grid"]), feats], dim=1)


def policy_kwargs(
    features_dim: int = 64, channels: tuple[int, int] = (16, 32), dict_obs: bool = False, **extra
) -> dict:
    """``policy_kwargs`` for SB3's ``CnnPolicy`` / ``CnnLstmPolicy`` with :class:`GridCNN`, or
    with ``dict_obs`` for ``MultiInputPolicy`` / ``MultiInputLstmPolicy`` with
    :class:`GridFeaturesExtractor` (the env's ``features=True``)."""
    return {
        "features_extractor_class": GridFeaturesExtractor if dict_obs else GridCNN,
        "features_extractor_kwargs": {"features_dim": features_dim, "channels": tuple(channels)},
        "normalize_images": False,
        **extra,
    }


class RoverVecEnv(VecEnv):
    """``num_envs`` rover environments as one SB3 ``VecEnv`` (same-step autoreset).

    Takes the single env's keyword arguments (``family``, ``reward``, ``noise``, ``direction``,
    ``horizon``, ``features`` ...) and ``seed`` for the first reset. With ``features=True`` the
    observations are dicts of batched arrays, as SB3's ``DummyVecEnv`` gives for a ``Dict`` space.
    """

    def __init__(
        self, num_envs: int, *, direction: str = DEFAULT_DIRECTION, seed: int | None = None, **kwargs
    ):
        if not isinstance(num_envs, int | np.integer) or num_envs < 1:
            raise ValueError(f"num_envs must be a positive integer; got {num_envs!r}")
        self._engine = build_engine(int(num_envs), direction, **kwargs)
        cfg = self._engine.cfg
        obs_space, act_space = make_spaces(self._engine.n, direction, cfg.move, cfg.features)
        self.render_mode = None  # read back by VecEnv.__init__ through get_attr
        super().__init__(int(num_envs), obs_space, act_space)
        self._rngs: list[np.random.Generator] = []
        self._actions: np.ndarray | None = None
        self._returns = np.zeros(self.num_envs)
        self._r0 = np.ones(self.num_envs)
        self._start = time.perf_counter()
        if seed is not None:
            self.seed(seed)

    # -- SB3 VecEnv API --------------------------------------------------------------------------
    def reset(self) -> np.ndarray:
        if not self._rngs or any(s is not None for s in self._seeds):
            self._rngs = [seeding.np_random(s)[0] for s in self._seeds]
        if any(o != self._options[0] for o in self._options):
            self._reset_options()
            raise ValueError(
                "RoverVecEnv resets every sub-environment with one options dict (as the Gymnasium "
                "vector env does); call set_options(dict) rather than a list of different dicts"
            )
        slots = np.arange(self.num_envs)
        self._engine.reset_slots(slots, self._rngs, self._options[0] or None)
        self._after_reset(slots)
        self._reset_seeds()
        self._reset_options()
        return self._engine.observation(slice(None))

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions, dtype=float).reshape(self.num_envs, -1)

    def step_wait(self):
        if not self._rngs:
            raise RuntimeError("call reset() before step()")
        out = self._engine.step(self._actions, self._rngs)
        reward = out["reward"].astype(np.float32)
        done = out["terminated"] | out["truncated"]
        self._returns += reward
        info = self._engine.info(slice(None))
        infos: list[dict[str, Any]] = [
            {"regret": float(info["regret"][i]), "n_evals": int(info["n_evals"][i])}
            for i in range(self.num_envs)
        ]
        ended = np.flatnonzero(done)
        if ended.size:
            final_obs = self._engine.observation(ended)
            for j, i in enumerate(ended):
                if isinstance(final_obs, dict):
                    terminal = {k: v[j] for k, v in final_obs.items()}
                else:
                    terminal = final_obs[j]
                infos[i].update(
                    {
                        "terminal_observation": terminal,
                        "TimeLimit.truncated": bool(out["truncated"][i] and not out["terminated"][i]),
                        "episode": {
                            "r": float(self._returns[i]),
                            "l": int(info["t"][i]),
                            "t": round(time.perf_counter() - self._start, 6),
                        },
                        "final_normalized_regret": float(info["regret"][i] / max(self._r0[i], 1e-300)),
                    }
                )
            self._engine.reset_slots(ended, self._rngs)
            self._after_reset(ended)
        return self._engine.observation(slice(None)), reward, done, infos

    def _after_reset(self, slots: np.ndarray) -> None:
        self._returns[slots] = 0.0
        self._r0[slots] = self._engine.info(slots)["regret"]
        for i in slots:
            self.reset_infos[i] = {}

    def close(self) -> None:
        pass

    def get_attr(self, attr_name: str, indices=None) -> list[Any]:
        return [getattr(self, attr_name) for _ in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices=None) -> None:
        raise AttributeError(f"RoverVecEnv has no per-environment attribute {attr_name!r} to set")

    def env_method(self, method_name: str, *method_args, indices=None, **method_kwargs) -> list[Any]:
        raise AttributeError(f"RoverVecEnv sub-environments have no method {method_name!r}")

    def env_is_wrapped(self, wrapper_class, indices=None) -> list[bool]:
        return [False for _ in self._get_indices(indices)]
