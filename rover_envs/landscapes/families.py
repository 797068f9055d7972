"""The random training families of appendix 6.1 and their starting-point distributions.

Each family is a :class:`Family`: a sampler of landscape parameters and a sampler of the
initial iterate, both drawing only from the ``np.random.Generator`` they are given.

Choices where the appendix is silent or contradicts itself (each one produces the shape the
family is named after; ``make figures`` draws them):

* **quadratic** — ``||Ax - b||^2`` with ``A = R(psi) diag(s1, s2) R(phi)``, singular values
  log-uniform in [0.1, 1] (condition numbers of ``A^T A`` up to 100) and ``b ~ N(0, I)``.
  The appendix gives no distribution for ``A`` and ``b``.
* **valley** — one conditioning point at the origin with ``v1 ~ U[-5, 0)``; ``S = R^T
  diag(l1, rho l1) R`` with ``l1`` from a Gaussian of mean 10 and variance 2 truncated to
  positive values, ``rho ~ U[100, 200]`` and a uniform rotation. A narrow (~3) and long
  (~40) Gaussian well: a curved-bottom valley.
* **saddle** — one point uniform in each quadrant of ``[-1, 1]^2``; magnitudes from a Gaussian
  of mean 3, variance 1 truncated to positive values, signs ``(+, -, +, -)`` around the
  quadrants times a random global sign, so opposite points share a sign; ``S`` as for valleys
  but with ``l2`` drawn like ``l1`` (no ratio).
* **plateau_cliff** — the appendix asks for a "positive truncated Gaussian centred at -5".
  A positive ``v1`` makes a hill whose infimum lies at infinity (no plateau, no minimum), so we
  draw the magnitude from a Gaussian of mean 5, variance 2 truncated to positive values and
  negate it: a single isotropic-ish well (``S`` as for saddles) in an almost flat plane. The
  plateau is the flat far field and the cliff the well's steep rim.

Starting points are "far enough" from the optimum: at a Mahalanobis distance ``r`` from the
well's centre (valley ``r ~ U[1.5, 3]``, up the valley's walls or far along its floor;
plateau ``r ~ U[2.5, 4]``, out on the plateau where the slope per length scale is 0.1%-11%
of the well's depth), uniformly in the central square for saddles (at the saddle, where
Newton is attracted), and at distance ``U[2, 6]`` from the minimiser of quadratics.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rover_envs.landscapes.fields import FieldLandscape, FieldParams, gp_params, quadratic_params


def _truncated_normal(rng: np.random.Generator, mean: float, var: float) -> float:
    """A draw from N(mean, var) conditioned on being positive (rejection; mean > 0 here)."""
    std = np.sqrt(var)
    while True:
        value = rng.normal(mean, std)
        if value > 0.0:
            return float(value)


def _rotation(phi: float) -> np.ndarray:
    c, s = np.cos(phi), np.sin(phi)
    return np.array([[c, -s], [s, c]])


def sample_quadratic(rng: np.random.Generator) -> FieldParams:
    s = np.exp(rng.uniform(np.log(0.1), np.log(1.0), size=2))
    A = _rotation(rng.uniform(0, 2 * np.pi)) @ np.diag(s) @ _rotation(rng.uniform(0, 2 * np.pi))
    b = rng.standard_normal(2)
    return quadratic_params(A, b)


def sample_valley(rng: np.random.Generator) -> FieldParams:
    v1 = rng.uniform(-5.0, 0.0)
    l1 = _truncated_normal(rng, 10.0, 2.0)
    lam = np.array([l1, rng.uniform(100.0, 200.0) * l1])
    return gp_params(np.zeros((1, 2)), np.array([v1]), np.sqrt(lam), rng.uniform(0.0, 2.0 * np.pi))


_QUADRANTS = np.array([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])


def sample_saddle(rng: np.random.Generator) -> FieldParams:
    points = _QUADRANTS * rng.uniform(0.0, 1.0, size=(4, 2))
    sign = rng.choice([-1.0, 1.0])
    magnitude = np.array([_truncated_normal(rng, 3.0, 1.0) for _ in range(4)])
    values = sign * np.array([1.0, -1.0, 1.0, -1.0]) * magnitude
    return gp_params(points, values, _isotropic_lengths(rng), rng.uniform(0.0, 2.0 * np.pi))


def sample_plateau_cliff(rng: np.random.Generator) -> FieldParams:
    v1 = -_truncated_normal(rng, 5.0, 2.0)
    return gp_params(np.zeros((1, 2)), np.array([v1]), _isotropic_lengths(rng), rng.uniform(0.0, 2.0 * np.pi))


def _isotropic_lengths(rng: np.random.Generator) -> np.ndarray:
    """Square roots of two eigenvalues of ``S`` drawn from N(10, 2) truncated to (0, inf)."""
    return np.sqrt([_truncated_normal(rng, 10.0, 2.0), _truncated_normal(rng, 10.0, 2.0)])


def _mahalanobis_start(lo: float, hi: float) -> Callable:
    def start(rng: np.random.Generator, params: FieldParams, x_star: np.ndarray) -> np.ndarray:
        u = _unit(rng)
        return params.c[0, 0] + rng.uniform(lo, hi) * (params.L[0] @ u)

    return start


def _unit(rng: np.random.Generator) -> np.ndarray:
    phi = rng.uniform(0.0, 2.0 * np.pi)
    return np.array([np.cos(phi), np.sin(phi)])


def _quadratic_start(rng: np.random.Generator, params: FieldParams, x_star: np.ndarray):
    return x_star + rng.uniform(2.0, 6.0) * _unit(rng)


def _saddle_start(rng: np.random.Generator, params: FieldParams, x_star: np.ndarray):
    return rng.uniform(-1.0, 1.0, size=2)


@dataclass(frozen=True)
class Family:
    """A random training family: parameter sampler and starting-point sampler."""

    name: str
    sample_params: Callable[[np.random.Generator], FieldParams]
    sample_start: Callable[[np.random.Generator, FieldParams, np.ndarray], np.ndarray]

    def sample(self, rng: np.random.Generator, noise: float = 0.0) -> FieldLandscape:
        """A fresh landscape of this family (its minimum computed lazily)."""
        return FieldLandscape(self.sample_params(rng), self.name, noise=noise)


FAMILIES: dict[str, Family] = {
    "quadratic": Family("quadratic", sample_quadratic, _quadratic_start),
    "valley": Family("valley", sample_valley, _mahalanobis_start(1.5, 3.0)),
    "saddle": Family("saddle", sample_saddle, _saddle_start),
    "plateau_cliff": Family("plateau_cliff", sample_plateau_cliff, _mahalanobis_start(2.5, 4.0)),
}
"""The four training families of appendix 6.1, by name."""

FAMILY_NAMES: tuple[str, ...] = tuple(FAMILIES)


def pick_family(name: str, rng: np.random.Generator) -> Family:
    """``name`` itself, or a uniformly drawn family when ``name == "all"``."""
    if name == "all":
        return FAMILIES[FAMILY_NAMES[rng.integers(len(FAMILY_NAMES))]]
    return FAMILIES[name]
