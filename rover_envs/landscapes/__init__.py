"""Landscapes: the random training families (appendix 6.1) and analytic test functions (6.3).

>>> import numpy as np
>>> from rover_envs import landscapes
>>> f = landscapes.make("valley", rng=np.random.default_rng(0))
>>> x_star, f_star = f.minimum
>>> bool(f(x_star) == f_star)
True
"""

from __future__ import annotations

import numpy as np

from rover_envs.landscapes.analytic import FUNCTIONS, AnalyticLandscape
from rover_envs.landscapes.base import Landscape, LandscapeBatch, SharedBatch
from rover_envs.landscapes.families import (
    ALL_FAMILIES,
    EXTRA_FAMILIES,
    FAMILIES,
    FAMILY_NAMES,
    MIXTURES,
    Family,
    pick_family,
    sample_fields,
)
from rover_envs.landscapes.fields import FieldBatch, FieldLandscape, FieldParams
from rover_envs.landscapes.kinks import Kinks
from rover_envs.landscapes.lopsided import Lopsided
from rover_envs.landscapes.peaks import Peaks

VALIDATION_ONLY: tuple[str, ...] = ("peaks", "kinks", "lopsided")
"""Names :func:`make` accepts that are not training families: the environment refuses them."""

NAMES: tuple[str, ...] = (
    "all",
    *FAMILY_NAMES,
    *FUNCTIONS,
    *(m for m in MIXTURES if m != "all"),
    *EXTRA_FAMILIES,
)
"""Every name the environment's ``family`` accepts (and :func:`make`)."""


def make(name: str, rng: np.random.Generator | int | None = None, **params) -> Landscape:
    """Build a landscape by name.

    Args:
        name: a training family (``"quadratic"``, ``"valley"``, ``"saddle"``,
            ``"plateau_cliff"``, or ``"all"`` for a uniformly drawn family; beyond the paper,
            ``"rippled"``, ``"ill_conditioned"``, ``"multiscale"``, ``"funnels"`` and the mixtures
            ``"all_rippled"`` and ``"broad"``), ``"peaks"`` (random wells without a global
            structure, for validation only: :mod:`rover_envs.landscapes.peaks`), ``"kinks"`` (a minimum
            that is not smooth, for validation only: :mod:`rover_envs.landscapes.kinks`),
            ``"lopsided"`` (a bowl steeper on one side of its minimum, for validation only:
            :mod:`rover_envs.landscapes.lopsided`) or an analytic
            function (``"rosenbrock"``, ``"ackley"``, ``"rastrigin"``, ``"mccormick"``,
            ``"beale"``, ``"styblinski_tang"``).
        rng: generator (or seed) for the random families; ignored by analytic functions.
        **params: ``noise`` (all), ``dim`` (analytic functions that take any dimension).

    Raises:
        ValueError: unknown name or parameter, naming the valid ones.
    """
    if name in FUNCTIONS:
        _check_params(name, params, ("noise", "dim"))
        return FUNCTIONS[name](**params)
    if name in MIXTURES or name in ALL_FAMILIES:
        _check_params(name, params, ("noise",))
        generator = np.random.default_rng(rng)
        return pick_family(name, generator).sample(generator, **params)
    if name in VALIDATION_ONLY:
        _check_params(name, params, ("noise",))
        return {"peaks": Peaks, "kinks": Kinks, "lopsided": Lopsided}[name](rng, **params)
    raise ValueError(f"unknown landscape {name!r}; valid names: {', '.join(NAMES + VALIDATION_ONLY)}")


def _check_params(name: str, params: dict, valid: tuple[str, ...]) -> None:
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown} for landscape {name!r}; valid: {', '.join(valid)}")


__all__ = [
    "ALL_FAMILIES",
    "EXTRA_FAMILIES",
    "FAMILIES",
    "FAMILY_NAMES",
    "FUNCTIONS",
    "MIXTURES",
    "NAMES",
    "VALIDATION_ONLY",
    "AnalyticLandscape",
    "Family",
    "FieldBatch",
    "FieldLandscape",
    "FieldParams",
    "Kinks",
    "Landscape",
    "LandscapeBatch",
    "Lopsided",
    "Peaks",
    "SharedBatch",
    "make",
    "pick_family",
    "sample_fields",
]
