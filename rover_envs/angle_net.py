"""The angle network (section 3.2.2) and its frozen direction provider.

The architecture lives here, in the environment package, because ``RoverLandscape-v0``'s
default direction runs it; ``agents.angle`` trains it. torch is imported only when a network
is built or loaded, so ``import rover_envs`` stays torch-free.

Architecture: two 3x3 convolutions (no padding), each followed by batch-norm and ReLU, then two
fully connected layers; the output ``y`` is in R^2 and the direction is ``y / ||y||``. The
training loss is eq. 2, a logistic loss on ``y^T a`` (see ``agents.angle``).

Checkpoint format (``torch.save``, written by :func:`agents.angle.save_checkpoint`; loaded with
``weights_only=True``): a dict with ``state_dict``, ``arch`` (the constructor's keyword
arguments), and free-form ``meta`` (the config, the command and the held-out errors that
produced it).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import numpy as np

from rover_envs.grid import GRID_SIZE
from rover_envs.transition import unit

WEIGHTS_NAME = "angle_net.pt"
RETRAIN_HINT = "retrain it with `make train-angle` (or pass direction='best_teacher' to use the teacher)"


def default_weights_path() -> Path:
    """The shipped weights, ``agents/pretrained/angle_net.pt`` (``ROVER_ANGLE_NET`` overrides)."""
    override = os.environ.get("ROVER_ANGLE_NET")
    if override:
        return Path(override)
    return Path(str(resources.files("agents") / "pretrained" / WEIGHTS_NAME))


def build_angle_net(grid_size: int = GRID_SIZE, channels: tuple[int, int] = (16, 16), hidden: int = 64):
    """A fresh (untrained) angle network for ``grid_size x grid_size`` observations."""
    import torch.nn as nn

    if grid_size < 5:
        raise ValueError(f"the angle net needs grid_size >= 5 (two 3x3 valid convolutions); got {grid_size}")
    c1, c2 = channels
    side = grid_size - 4
    return nn.Sequential(
        nn.Conv2d(1, c1, 3),
        nn.BatchNorm2d(c1),
        nn.ReLU(),
        nn.Conv2d(c1, c2, 3),
        nn.BatchNorm2d(c2),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(c2 * side * side, hidden),
        nn.ReLU(),
        nn.Linear(hidden, 2),
    )


def load_angle_net(path: str | Path | None = None):
    """Load a frozen angle network: eval mode, no gradients. Returns ``(model, checkpoint)``.

    Raises:
        FileNotFoundError / ValueError: a missing or unreadable file, with how to retrain.
    """
    import torch

    path = Path(path) if path is not None else default_weights_path()
    if not path.is_file():
        raise FileNotFoundError(f"angle-net weights not found at {path}; {RETRAIN_HINT}")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
        model = build_angle_net(**ckpt["arch"])
        model.load_state_dict(ckpt["state_dict"])
    except Exception as exc:  # corrupt, truncated, or from another architecture
        raise ValueError(f"angle-net weights at {path} are unreadable ({exc}); {RETRAIN_HINT}") from exc
    return freeze(model), ckpt


def freeze(model):
    """``model`` in eval mode without gradients (batch-norm uses its running statistics)."""
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


class FrozenAngleNet:
    """Direction provider ``(obs, batch, theta, x_star) -> (B, 2)`` running a frozen network.

    One batched forward pass per environment step; the landscape and iterate are ignored (the
    network sees only the grid). The environments and ``RoverDescent`` share this provider.
    Picklable (the weights travel with it).
    """

    def __init__(self, model, arch: dict):
        self.model, self.arch = freeze(model), dict(arch)
        self.grid_size = int(self.arch.get("grid_size", GRID_SIZE))

    @classmethod
    def load(cls, path: str | Path | None = None) -> FrozenAngleNet:
        """The network saved at ``path`` (default: the shipped weights)."""
        model, ckpt = load_angle_net(path)
        return cls(model, ckpt["arch"])

    def __call__(self, obs: np.ndarray, batch=None, theta=None, x_star=None) -> np.ndarray:
        import torch

        if obs.shape[-1] != self.grid_size:
            raise ValueError(
                f"the angle net was trained on {self.grid_size}x{self.grid_size} grids; "
                f"got {obs.shape[-2]}x{obs.shape[-1]} (use grid_size={self.grid_size})"
            )
        with torch.inference_mode():
            y = self.model(torch.from_numpy(np.ascontiguousarray(obs, dtype=np.float32))).double().numpy()
        return unit(y)

    def __getstate__(self):
        return {"arch": self.arch, "state_dict": self.model.state_dict()}

    def __setstate__(self, state):
        model = build_angle_net(**state["arch"])
        model.load_state_dict(state["state_dict"])
        self.__init__(model, state["arch"])
