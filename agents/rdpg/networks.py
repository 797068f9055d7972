"""Recurrent actor and critic for the step-size / resolution policy (section 3.2.3).

Both read the grid through a small convolutional encoder (two 3x3 convolutions, as the angle
network), append the previous action, run an LSTM over the episode, and finish with two
hidden layers. The actor outputs ``(d_alpha, d_delta)`` in ``[-0.5, 1]^2``
(``0.25 + 0.75 tanh``); the critic outputs ``Q(history, action)``. With ``action_dim=3`` the
actor also outputs the move choice of ``move="actor"`` (:mod:`rover_envs.moves`) in ``[-1, 1]``
(``tanh``; above 0 the grid's best sample, else the step), and both networks read and take
three-entry actions.

With ``n_features > 0`` both also read the history features of :mod:`rover_envs.features`
(the environment's ``features=True`` observation), appended to the LSTM's input beside the
grid's encoding; ``features`` arguments are ``(..., n_features)`` tensors, ignored (and allowed
to be ``None``) when ``n_features == 0``.

Recurrent state is explicit: :class:`Hidden` holds the LSTM state and the previous action,
and ``episode_start`` zeroes it, as in SB3's ``predict(obs, state, episode_start)``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
import torch.nn as nn

from rover_envs.grid import GRID_SIZE
from rover_envs.transition import ACTION_HIGH, ACTION_LOW

ACTION_DIM = 2
"""``(d_alpha, d_delta)``; one more entry, the move choice, with ``action_dim=3``."""
ACTION_DIMS = (2, 3)


def split_obs(obs) -> tuple[np.ndarray, np.ndarray]:
    """An environment's batched observation as ``(grids (N, 1, n, n), features (N, K))``: the
    Dict observation of ``features=True`` split, or a grid array with ``K = 0`` features."""
    if isinstance(obs, dict):
        return np.asarray(obs["grid"], np.float32), np.asarray(obs["features"], np.float32)
    obs = np.asarray(obs, np.float32)
    return obs, np.zeros((len(obs), 0), np.float32)


class Hidden(NamedTuple):
    h: torch.Tensor  # (1, N, H)
    c: torch.Tensor  # (1, N, H)
    prev_action: torch.Tensor  # (N, action_dim)


def squash(z: torch.Tensor) -> torch.Tensor:
    """Map R to the action interval [-0.5, 1] in the first two entries (``d_alpha, d_delta``) and
    to the move choice's [-1, 1] in a third, when there is one."""
    mid, half = (ACTION_HIGH + ACTION_LOW) / 2, (ACTION_HIGH - ACTION_LOW) / 2
    zoom = mid + half * torch.tanh(z[..., :ACTION_DIM])
    if z.shape[-1] == ACTION_DIM:
        return zoom
    return torch.cat([zoom, torch.tanh(z[..., ACTION_DIM:])], dim=-1)


def zero_hidden(n: int, size: int, device, action_dim: int = ACTION_DIM) -> Hidden:
    """The zero recurrent state of ``n`` streams of an LSTM of ``size`` units."""
    z = torch.zeros(1, n, size, device=device)
    return Hidden(z, z.clone(), torch.zeros(n, action_dim, device=device))


class Encoder(nn.Module):
    """Grid ``(..., 1, n, n)`` -> features ``(..., features)``."""

    def __init__(self, grid_size: int = GRID_SIZE, channels: tuple[int, int] = (16, 32), features: int = 64):
        super().__init__()
        side = grid_size - 4
        self.conv = nn.Sequential(
            nn.Conv2d(1, channels[0], 3),
            nn.ReLU(),
            nn.Conv2d(channels[0], channels[1], 3),
            nn.ReLU(),
            nn.Flatten(),
        )
        self.fc = nn.Sequential(nn.Linear(channels[1] * side * side, features), nn.ReLU())
        self.out_dim = features

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        lead = obs.shape[:-3]
        x = self.conv(obs.reshape(-1, *obs.shape[-3:]))
        return self.fc(x).reshape(*lead, -1)

    def load_angle_convolutions(self, angle_net: nn.Module, freeze: bool) -> None:
        """Copy the angle network's convolution weights (batch-norm folded in) into ours."""
        from torch.nn.utils.fusion import fuse_conv_bn_eval

        convs = [m for m in angle_net if isinstance(m, nn.Conv2d)]
        norms = [m for m in angle_net if isinstance(m, nn.BatchNorm2d)]
        mine = [m for m in self.conv if isinstance(m, nn.Conv2d)]
        for dst, conv, bn in zip(mine, convs, norms):
            fused = fuse_conv_bn_eval(conv.eval(), bn.eval())
            if dst.weight.shape != fused.weight.shape:
                raise ValueError(
                    f"encoder conv {tuple(dst.weight.shape)} != angle net {tuple(fused.weight.shape)}"
                )
            dst.weight.data.copy_(fused.weight.data)
            dst.bias.data.copy_(fused.bias.data)
            dst.requires_grad_(not freeze)


class _Recurrent(nn.Module):
    def __init__(
        self,
        grid_size: int,
        channels: tuple[int, int],
        features: int,
        hidden: int,
        n_features: int,
        action_dim: int = ACTION_DIM,
    ):
        super().__init__()
        if action_dim not in ACTION_DIMS:
            raise ValueError(
                f"action_dim must be 2 (d_alpha, d_delta) or 3 (and the move choice); got {action_dim}"
            )
        self.encoder = Encoder(grid_size, channels, features)
        self.lstm = nn.LSTM(features + action_dim + n_features, hidden, batch_first=True)
        self.hidden_size = hidden
        self.n_features = n_features
        self.action_dim = action_dim

    def _input(self, obs: torch.Tensor, prev: torch.Tensor, features: torch.Tensor | None) -> torch.Tensor:
        parts = [self.encoder(obs), prev]
        if self.n_features:
            if features is None or features.shape[-1] != self.n_features:
                got = None if features is None else tuple(features.shape)
                raise ValueError(f"this network reads {self.n_features} history features; got {got}")
            parts.append(features.to(prev.dtype))
        return torch.cat(parts, dim=-1)

    def initial(self, n: int) -> Hidden:
        """Zero state for ``n`` streams, on the network's device."""
        return zero_hidden(n, self.hidden_size, next(self.parameters()).device, self.action_dim)

    def sequence(
        self, obs: torch.Tensor, prev_actions: torch.Tensor, features: torch.Tensor | None = None
    ) -> torch.Tensor:
        """LSTM outputs for whole episodes: ``obs (B, T, 1, n, n)``, ``prev_actions (B, T, action_dim)``
        (zeros at t = 0), ``features (B, T, n_features)`` -> ``(B, T, hidden)``."""
        out, _ = self.lstm(self._input(obs, prev_actions, features))
        return out

    def step(
        self,
        obs: torch.Tensor,
        hidden: Hidden,
        episode_start: torch.Tensor,
        features: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, Hidden]:
        """One step for ``N`` streams: ``obs (N, 1, n, n)`` -> LSTM output ``(N, hidden)``."""
        keep = (~episode_start.to(obs.device)).float()
        h, c = hidden.h * keep[None, :, None], hidden.c * keep[None, :, None]
        prev = hidden.prev_action * keep[:, None]
        x = self._input(obs, prev, features)[:, None, :]
        out, (h, c) = self.lstm(x, (h, c))
        return out[:, 0], Hidden(h, c, prev)


class RecurrentActor(_Recurrent):
    """``(history) -> (d_alpha, d_delta)``, and the move choice with ``action_dim=3``."""

    def __init__(
        self,
        grid_size: int = GRID_SIZE,
        channels: tuple[int, int] = (16, 32),
        features: int = 64,
        hidden: int = 64,
        n_features: int = 0,
        action_dim: int = ACTION_DIM,
    ):
        super().__init__(grid_size, channels, features, hidden, n_features, action_dim)
        self.head = nn.Sequential(
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, action_dim),
        )
        nn.init.uniform_(self.head[-1].weight, -3e-3, 3e-3)
        nn.init.zeros_(self.head[-1].bias)

    def forward_sequence(
        self, obs: torch.Tensor, prev_actions: torch.Tensor, features: torch.Tensor | None = None
    ) -> torch.Tensor:
        return squash(self.head(self.sequence(obs, prev_actions, features)))

    def act(
        self,
        obs: torch.Tensor,
        hidden: Hidden,
        episode_start: torch.Tensor,
        features: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, Hidden]:
        out, hidden = self.step(obs, hidden, episode_start, features)
        action = squash(self.head(out))
        return action, Hidden(hidden.h, hidden.c, action)


class RecurrentCritic(_Recurrent):
    """``(history, action) -> Q``."""

    def __init__(
        self,
        grid_size: int = GRID_SIZE,
        channels: tuple[int, int] = (16, 32),
        features: int = 64,
        hidden: int = 64,
        n_features: int = 0,
        action_dim: int = ACTION_DIM,
    ):
        super().__init__(grid_size, channels, features, hidden, n_features, action_dim)
        self.head = nn.Sequential(
            nn.Linear(hidden + action_dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 1),
        )

    def q(self, memory: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """``memory (B, T, hidden)``, ``actions (B, T, action_dim)`` -> ``(B, T)``."""
        return self.head(torch.cat([memory, actions], dim=-1))[..., 0]


class ActorEnsemble(nn.Module):
    """Several trained actors acting as one policy: each reads the same history, the action is the
    mean of theirs, and each is told that mean as its previous action (what was executed).

    The recurrent state is one :class:`Hidden`, the members' LSTM states side by side along the
    hidden axis (``hidden_size`` the sum of theirs), so code that slices states by stream (runs over
    pairs of dimensions) handles an ensemble as it handles one actor. Nothing is trained: an average
    of independently trained actors, for a policy that varies less between training seeds."""

    def __init__(self, members):
        super().__init__()
        members = list(members)
        if not members:
            raise ValueError("an ensemble needs at least one actor")
        for name in ("n_features", "action_dim"):
            values = {getattr(m, name) for m in members}
            if len(values) > 1:
                raise ValueError(f"the actors of an ensemble must agree on {name}; got {sorted(values)}")
        self.members = nn.ModuleList(members)
        self.n_features = members[0].n_features
        self.action_dim = members[0].action_dim
        self.sizes = [m.hidden_size for m in members]
        self.hidden_size = sum(self.sizes)

    def initial(self, n: int) -> Hidden:
        """Zero state for ``n`` streams, on the network's device."""
        return zero_hidden(n, self.hidden_size, next(self.parameters()).device, self.action_dim)

    def act(
        self,
        obs: torch.Tensor,
        hidden: Hidden,
        episode_start: torch.Tensor,
        features: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, Hidden]:
        actions, hs, cs = [], [], []
        for member, h, c in zip(self.members, hidden.h.split(self.sizes, -1), hidden.c.split(self.sizes, -1)):
            action, state = member.act(obs, Hidden(h, c, hidden.prev_action), episode_start, features)
            actions.append(action)
            hs.append(state.h)
            cs.append(state.c)
        action = torch.stack(actions).mean(0)
        return action, Hidden(torch.cat(hs, -1), torch.cat(cs, -1), action)
