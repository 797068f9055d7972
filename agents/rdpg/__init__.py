"""Recurrent DDPG for the step-size and resolution policy (section 3.2.3)."""

from agents.rdpg.buffer import EpisodeBatch, EpisodeBuffer
from agents.rdpg.networks import ActorEnsemble, Hidden, RecurrentActor, RecurrentCritic, split_obs, squash
from agents.rdpg.rdpg import RDPG, RDPGConfig

__all__ = [
    "RDPG",
    "ActorEnsemble",
    "EpisodeBatch",
    "EpisodeBuffer",
    "Hidden",
    "RDPGConfig",
    "RecurrentActor",
    "RecurrentCritic",
    "split_obs",
    "squash",
]
