"""Episode replay buffer for recurrent DPG: whole episodes in, batches of episodes out."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch


class EpisodeBatch(NamedTuple):
    """``B`` episodes padded to the horizon ``T``; ``obs`` has ``T + 1`` steps."""

    obs: torch.Tensor  # (B, T + 1, 1, n, n)
    actions: torch.Tensor  # (B, T, A) A = 2, or 3 with the move choice
    rewards: torch.Tensor  # (B, T)
    terminals: torch.Tensor  # (B, T) 1 where the episode terminated (no bootstrap)
    mask: torch.Tensor  # (B, T) 1 for real steps, 0 for padding after a termination
    labels: torch.Tensor  # (B, T, A) a teacher's actions (zeros when none was recorded)
    features: torch.Tensor  # (B, T + 1, K) history features (K = 0 when the agent reads none)


class EpisodeBuffer:
    """A ring of ``capacity`` episodes of at most ``horizon`` steps (numpy storage)."""

    def __init__(self, capacity: int, horizon: int, grid_size: int, n_features: int = 0, action_dim: int = 2):
        self.capacity, self.horizon = capacity, horizon
        n = grid_size
        self.obs = np.zeros((capacity, horizon + 1, 1, n, n), np.float32)
        self.actions = np.zeros((capacity, horizon, action_dim), np.float32)
        self.rewards = np.zeros((capacity, horizon), np.float32)
        self.terminals = np.zeros((capacity, horizon), np.float32)
        self.mask = np.zeros((capacity, horizon), np.float32)
        self.labels = np.zeros((capacity, horizon, action_dim), np.float32)
        self.features = np.zeros((capacity, horizon + 1, n_features), np.float32)
        self.size = 0
        self.next = 0

    def add(
        self,
        obs: np.ndarray,
        actions: np.ndarray,
        rewards: np.ndarray,
        terminated: bool,
        labels: np.ndarray | None = None,
        features: np.ndarray | None = None,
    ) -> None:
        """One episode: ``obs (L + 1, 1, n, n)``, ``actions (L, A)``, ``rewards (L,)``, optionally
        a teacher's ``labels (L, A)`` for the same states, and ``features (L + 1, K)`` when the
        buffer holds K > 0 history features."""
        steps = len(actions)
        if not 1 <= steps <= self.horizon or len(obs) != steps + 1 or len(rewards) != steps:
            raise ValueError(f"episode of {steps} steps does not fit horizon {self.horizon}")
        a = self.actions.shape[-1]
        if np.shape(actions)[1:] != (a,) or (labels is not None and np.shape(labels)[1:] != (a,)):
            raise ValueError(
                f"this buffer stores actions of {a} entries; got actions {np.shape(actions)} and labels "
                f"{None if labels is None else np.shape(labels)}"
            )
        i = self.next
        self.obs[i] = 0.0
        self.obs[i, : steps + 1] = obs
        k = self.features.shape[-1]
        if k and (features is None or np.shape(features) != (steps + 1, k)):
            raise ValueError(f"this buffer stores {k} features per step; got {np.shape(features)}")
        for arr in (self.actions, self.rewards, self.terminals, self.mask, self.labels, self.features):
            arr[i] = 0.0
        if k:
            self.features[i, : steps + 1] = features
        if labels is not None:
            self.labels[i, :steps] = labels
        self.actions[i, :steps] = actions
        self.rewards[i, :steps] = rewards
        self.terminals[i, steps - 1] = float(terminated)
        self.mask[i, :steps] = 1.0
        self.next = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size: int, rng: np.random.Generator) -> EpisodeBatch:
        if self.size == 0:
            raise ValueError("the buffer is empty")
        idx = rng.integers(0, self.size, size=batch_size)
        return EpisodeBatch(
            *(
                torch.from_numpy(a[idx])
                for a in (
                    self.obs,
                    self.actions,
                    self.rewards,
                    self.terminals,
                    self.mask,
                    self.labels,
                    self.features,
                )
            )
        )

    def state_dict(self) -> dict:
        return {
            k: getattr(self, k)
            for k in ("obs", "actions", "rewards", "terminals", "mask", "labels", "features", "size", "next")
        }

    def load_state_dict(self, state: dict) -> None:
        for k, v in state.items():
            setattr(self, k, v if k in ("size", "next") else np.asarray(v))
