"""The angle network: behaviour-cloning data, loss and evaluation (training: experiments/)."""

from agents.angle.bc import (
    angle_errors_deg,
    contrastive_loss,
    mean_angle_error_by_family,
    predict,
    save_checkpoint,
)
from agents.angle.dataset import DataSpec, generate, load_or_generate
from rover_envs.angle_net import build_angle_net, load_angle_net

__all__ = [
    "DataSpec",
    "angle_errors_deg",
    "build_angle_net",
    "contrastive_loss",
    "generate",
    "load_angle_net",
    "load_or_generate",
    "mean_angle_error_by_family",
    "predict",
    "save_checkpoint",
]
