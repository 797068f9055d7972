"""The angle network (section 3.2.2) and its frozen direction provider.

The architecture lives here, in the environment package, because ``RoverLandscape-v0``'s
default direction runs it; ``agents.angle`` trains it. torch is imported only when a network
is built or loaded, so ``import rover_envs`` stays torch-free.

Architecture: two 3x3 convolutions (no padding), each followed by batch-norm and ReLU, then two
fully connected layers; the output ``y`` is in R^2 and the direction is ``y / ||y||``. The
training loss is eq. 2, a logistic loss on ``y^T a`` (see ``agents.angle``).

Checkpoint format (``torch.save``; loaded with ``weights_only=True``): a dict with
``state_dict``, ``arch`` (the constructor's keyword arguments), and free-form ``meta`` (the
config, the command and the held-out errors that produced it).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

WEIGHTS_NAME = "angle_net.pt"
RETRAIN_HINT = "retrain it with `make train-angle` (or pass direction='best_teacher' to use the teacher)"


def default_weights_path() -> Path:
    """The shipped weights, ``agents/pretrained/angle_net.pt`` (``ROVER_ANGLE_NET`` overrides)."""
    override = os.environ.get("ROVER_ANGLE_NET")
    if override:
        return Path(override)
    return Path(str(resources.files("agents") / "pretrained" / WEIGHTS_NAME))


def build_angle_net(grid_size: int = 7, channels: tuple[int, int] = (16, 16), hidden: int = 64):
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


def save_checkpoint(path: str | Path, model, arch: dict, meta: dict[str, Any] | None = None, **extra) -> None:
    """Write a checkpoint atomically (a temporary file in the same folder, then a rename)."""
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    torch.save({"state_dict": model.state_dict(), "arch": dict(arch), "meta": meta or {}, **extra}, tmp)
    os.replace(tmp, path)


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
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model, ckpt


class FrozenAngleNet:
    """Direction provider ``(obs, batch, theta, x_star) -> (B, 2)`` running the frozen network.

    One batched forward pass per environment step; the landscape and iterate are ignored (the
    network sees only the grid). Picklable: the weights are reloaded from ``path``.
    """

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else default_weights_path()
        self.model, ckpt = load_angle_net(self.path)
        self.grid_size = int(ckpt["arch"].get("grid_size", 7))

    def __call__(self, obs: np.ndarray, batch=None, theta=None, x_star=None) -> np.ndarray:
        import torch

        if obs.shape[-1] != self.grid_size:
            raise ValueError(
                f"the angle net was trained on {self.grid_size}x{self.grid_size} grids; "
                f"got {obs.shape[-2]}x{obs.shape[-1]} (use grid_size={self.grid_size})"
            )
        with torch.inference_mode():
            y = self.model(torch.from_numpy(np.ascontiguousarray(obs, dtype=np.float32))).double().numpy()
        norm = np.linalg.norm(y, axis=1, keepdims=True)
        return np.where(norm > 0, y / np.where(norm > 0, norm, 1.0), 0.0)

    def __getstate__(self):
        return {"path": self.path}

    def __setstate__(self, state):
        self.__init__(state["path"])
