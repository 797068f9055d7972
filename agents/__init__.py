"""Learning and optimising: baselines, the angle network, recurrent DDPG, the learned optimiser.

``from agents import RoverDescent`` loads torch on first use only (``agents.baselines`` needs
numpy, SciPy and pycma alone).
"""

from __future__ import annotations

__all__ = ["RoverDescent", "RoverPolicy"]


def __getattr__(name: str):
    if name in __all__:
        from agents import rover

        return getattr(rover, name)
    raise AttributeError(f"module 'agents' has no attribute {name!r}")
