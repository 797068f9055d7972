"""rover_envs: Gymnasium environments for learning to optimise as navigation.

Importing the package registers ``RoverLandscape-v0`` and its presets;
``gymnasium.make("rover_envs:RoverLandscape-v0")`` imports it for you.
"""

from rover_envs.registration import presets, register_envs

register_envs()

ENV_IDS: tuple[str, ...] = tuple(presets())
"""Every id this package registers."""

__all__ = ["ENV_IDS", "register_envs"]
