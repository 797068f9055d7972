"""Behaviour cloning of the best teacher's direction: the loss of eq. 2, angle errors and the
checkpoint format :func:`rover_envs.angle_net.load_angle_net` reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from agents.io import atomic_save


def save_checkpoint(path: str | Path, model, arch: dict, meta: dict[str, Any] | None = None, **extra) -> None:
    """Weights, architecture and metadata (plus ``extra``: optimiser state...), atomically."""
    atomic_save({"state_dict": model.state_dict(), "arch": dict(arch), "meta": meta or {}, **extra}, path)


def contrastive_loss(y: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor) -> torch.Tensor:
    """Eq. 2 averaged over states: logistic loss of ``y^T a*`` with label 1 and of ``y^T a~``
    with label 0 (both tuples of a state share one forward pass)."""
    pos = (y * positive).sum(dim=1)
    neg = (y * negative).sum(dim=1)
    return 0.5 * (F.softplus(-pos) + F.softplus(neg)).mean()


def angle_errors_deg(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Angle between predicted outputs (any length) and unit targets, in degrees, ``(N,)``."""
    p = pred / np.maximum(np.linalg.norm(pred, axis=1, keepdims=True), 1e-300)
    cos = np.clip(np.sum(p * target, axis=1), -1.0, 1.0)
    return np.degrees(np.arccos(cos))


@torch.inference_mode()
def predict(model: torch.nn.Module, grids: np.ndarray, batch_size: int = 8192) -> np.ndarray:
    """Network outputs ``(N, 2)`` for grids ``(N, n, n)`` (eval mode, restored afterwards)."""
    was_training = model.training
    model.eval()
    out = [
        model(torch.from_numpy(grids[i : i + batch_size, None])).numpy()
        for i in range(0, len(grids), batch_size)
    ]
    model.train(was_training)
    return np.concatenate(out) if out else np.zeros((0, 2), np.float32)


def mean_angle_error_by_family(
    model, data: dict[str, np.ndarray], families: tuple[str, ...]
) -> dict[str, float]:
    """Mean angle error (degrees) between the network and the best teacher, per family."""
    err = angle_errors_deg(predict(model, data["grids"]), data["positive"])
    return {
        name: float(err[data["family"] == i].mean())
        for i, name in enumerate(families)
        if np.any(data["family"] == i)
    }
