"""The one place that registers the environment suite with Gymnasium (idempotent).

``RoverLandscape-v0`` is the general environment; the presets below are the same class with
fixed keyword arguments, registered in a loop (Minigrid style) so that every family and test
function has an id of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import gymnasium as gym

ENTRY_POINT = "rover_envs.env:RoverLandscapeEnv"
VECTOR_ENTRY_POINT = "rover_envs.vector:RoverLandscapeVectorEnv"
TITLES = {"mccormick": "McCormick"}
"""Id spellings that a plain capitalisation of the name gets wrong."""


@dataclass(frozen=True)
class Preset:
    """Keyword arguments fixed by a registered id."""

    kwargs: dict = field(default_factory=dict)


def _title(name: str) -> str:
    return TITLES.get(name) or "".join(part.capitalize() for part in name.split("_"))


def presets() -> dict[str, Preset]:
    """Every registered id and its fixed keyword arguments."""
    from rover_envs.landscapes import FAMILY_NAMES, FUNCTIONS

    out = {"RoverLandscape-v0": Preset()}
    for name in (*FAMILY_NAMES, *FUNCTIONS):
        out[f"RoverLandscape-{_title(name)}-v0"] = Preset({"family": name})
    out["RoverLandscape-Noisy-v0"] = Preset({"noise": 0.1})
    return out


def register_envs() -> None:
    """Register every preset that is not registered yet."""
    for env_id, preset in presets().items():
        if env_id in gym.registry:
            continue
        gym.register(
            id=env_id,
            entry_point=ENTRY_POINT,
            vector_entry_point=VECTOR_ENTRY_POINT,
            max_episode_steps=None,  # the env truncates itself at its horizon (see its docstring)
            kwargs=dict(preset.kwargs),
        )
