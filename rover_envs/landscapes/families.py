"""The random training families of appendix 6.1 and their starting-point distributions.

Each family is a :class:`Family`: a vectorised map from uniform draws to landscape
parameters and one from uniform draws to initial iterates. A landscape costs one call
``rng.random(DRAWS)`` on its generator (truncated Gaussians by inverse CDF, no rejection), so
the vector env draws per sub-environment, as ``N`` single environments would, and then builds
every new landscape of a step in one batched computation.

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

Beyond the paper, an optional fifth family (not part of ``"all"``; mixed in by
``"all_rippled"``):

* **rippled** — a quadratic bowl as above plus Rastrigin-like ripples ``r sum_i (1 -
  cos(2 pi (x - mu)_i / lam))`` centred on its minimiser: wavelength ``lam`` log-uniform in
  [0.4, 1.6] and ``r = kappa * mean_eig(Q) * lam^2 / (4 pi^2)`` with ``kappa`` log-uniform in
  [3, 100], so the ripples' curvature is 3-100 times the bowl's and every start (at distance
  ``U[2, 6]``) lies several local minima away from the global one. The four paper families
  are unimodal at the scale of an episode, so a policy trained on them learns to zoom in at
  once; this family is where keeping a coarse view pays.

Starting points are "far enough" from the optimum: at a Mahalanobis distance ``r`` from the
well's centre (valley ``r ~ U[1.5, 3]``, up the valley's walls or far along its floor;
plateau ``r ~ U[2.5, 4]``, out on the plateau where the slope per length scale is 0.1%-11%
of the well's depth), uniformly in the central square for saddles (at the saddle, where
Newton is attracted), and at distance ``U[2, 6]`` from the minimiser of quadratics.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy.special import ndtr, ndtri

from rover_envs.landscapes.fields import FieldLandscape, FieldParams, gp_fields, quadratic_fields, rotations
from rover_envs.landscapes.minimum import field_minimum

TWO_PI = 2.0 * np.pi


def truncated_normal(u: np.ndarray, mean: float, var: float) -> np.ndarray:
    """Inverse-CDF draws of N(mean, var) conditioned on being positive, from uniforms ``u``."""
    std = np.sqrt(var)
    low = ndtr(-mean / std)
    return mean + std * ndtri(low + u * (1.0 - low))


def _lengths(u: np.ndarray) -> np.ndarray:
    """Two kernel length scales: square roots of eigenvalues from N(10, 2) truncated at 0."""
    return np.sqrt(truncated_normal(u, 10.0, 2.0))


def build_quadratic(u: np.ndarray) -> FieldParams:
    s = np.exp(np.log(0.1) + u[:, 0:2] * (np.log(1.0) - np.log(0.1)))
    A = rotations(TWO_PI * u[:, 2]) @ (s[:, :, None] * rotations(TWO_PI * u[:, 3]))
    b = ndtri(u[:, 4:6])
    return quadratic_fields(A, b)


def build_rippled(u: np.ndarray) -> FieldParams:
    bowl = build_quadratic(u[:, :6])
    lam = np.exp(np.log(0.4) + u[:, 6] * (np.log(1.6) - np.log(0.4)))
    kappa = np.exp(np.log(3.0) + u[:, 7] * (np.log(100.0) - np.log(3.0)))
    mean_eig = 0.5 * (bowl.Q[:, 0, 0] + bowl.Q[:, 1, 1])
    bowl.r[:] = kappa * mean_eig * lam**2 / (4.0 * np.pi**2)
    bowl.lam[:] = lam
    return bowl


def build_valley(u: np.ndarray) -> FieldParams:
    v1 = -5.0 * u[:, 0]
    l1 = truncated_normal(u[:, 1], 10.0, 2.0)
    lengths = np.sqrt(np.stack([l1, (100.0 + 100.0 * u[:, 2]) * l1], -1))
    return gp_fields(np.zeros((len(u), 1, 2)), v1[:, None], lengths, TWO_PI * u[:, 3])


_QUADRANTS = np.array([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])
_ALTERNATING = np.array([1.0, -1.0, 1.0, -1.0])


def build_saddle(u: np.ndarray) -> FieldParams:
    points = _QUADRANTS * u[:, 0:8].reshape(-1, 4, 2)
    sign = np.where(u[:, 8] < 0.5, -1.0, 1.0)
    values = sign[:, None] * _ALTERNATING * truncated_normal(u[:, 9:13], 3.0, 1.0)
    return gp_fields(points, values, _lengths(u[:, 13:15]), TWO_PI * u[:, 15])


def build_plateau_cliff(u: np.ndarray) -> FieldParams:
    v1 = -truncated_normal(u[:, 0], 5.0, 2.0)
    return gp_fields(np.zeros((len(u), 1, 2)), v1[:, None], _lengths(u[:, 1:3]), TWO_PI * u[:, 3])


def _unit(u: np.ndarray) -> np.ndarray:
    return np.stack([np.cos(TWO_PI * u), np.sin(TWO_PI * u)], -1)


def _mahalanobis_start(lo: float, hi: float) -> Callable:
    def start(u: np.ndarray, params: FieldParams, x_star: np.ndarray) -> np.ndarray:
        r = lo + (hi - lo) * u[:, 0]
        return params.c[:, 0] + r[:, None] * np.einsum("mij,mj->mi", params.L, _unit(u[:, 1]))

    return start


def _quadratic_start(u: np.ndarray, params: FieldParams, x_star: np.ndarray) -> np.ndarray:
    return x_star + (2.0 + 4.0 * u[:, :1]) * _unit(u[:, 1])


def _saddle_start(u: np.ndarray, params: FieldParams, x_star: np.ndarray) -> np.ndarray:
    return -1.0 + 2.0 * u[:, 0:2]


@dataclass(frozen=True)
class Family:
    """A random training family: uniform draws -> parameters, and -> initial iterates.

    ``build(u: (m, n_params)) -> FieldParams`` and ``start(u: (m, 2), params, x_star) -> (m, 2)``
    are vectorised over ``m`` landscapes.
    """

    name: str
    n_params: int
    build: Callable[[np.ndarray], FieldParams]
    start: Callable[[np.ndarray, FieldParams, np.ndarray], np.ndarray]

    def sample(self, rng: np.random.Generator, noise: float = 0.0) -> FieldLandscape:
        """A fresh landscape of this family, with its global minimum."""
        params = self.build(rng.random((1, self.n_params)))
        x_star, f_star = field_minimum(params)
        return FieldLandscape(params, self.name, (x_star[0], f_star[0]), noise=noise)

    def sample_start(self, rng: np.random.Generator, params: FieldParams, x_star: np.ndarray) -> np.ndarray:
        """One initial iterate for the single field ``params`` with minimiser ``x_star``."""
        return self.start(rng.random((1, START_DRAWS)), params, np.asarray(x_star)[None])[0]


FAMILIES: dict[str, Family] = {
    "quadratic": Family("quadratic", 6, build_quadratic, _quadratic_start),
    "valley": Family("valley", 4, build_valley, _mahalanobis_start(1.5, 3.0)),
    "saddle": Family("saddle", 16, build_saddle, _saddle_start),
    "plateau_cliff": Family("plateau_cliff", 4, build_plateau_cliff, _mahalanobis_start(2.5, 4.0)),
}
"""The four training families of appendix 6.1, by name."""

FAMILY_NAMES: tuple[str, ...] = tuple(FAMILIES)

EXTRA_FAMILIES: dict[str, Family] = {
    "rippled": Family("rippled", 8, build_rippled, _quadratic_start),
}
"""Families beyond the paper's (see the module docstring); never part of ``"all"``."""

ALL_FAMILIES: dict[str, Family] = {**FAMILIES, **EXTRA_FAMILIES}
MIXTURES: dict[str, tuple[str, ...]] = {
    "all": FAMILY_NAMES,
    "all_rippled": (*FAMILY_NAMES, "rippled"),
}
"""Names that draw a family uniformly per landscape."""

START_DRAWS = 2
PARAM_DRAWS = max(f.n_params for f in ALL_FAMILIES.values())


def pick_family(name: str, rng: np.random.Generator) -> Family:
    """``name`` itself, or a uniformly drawn family of a mixture (``"all"``, ``"all_rippled"``)."""
    if name in MIXTURES:
        names = MIXTURES[name]
        return ALL_FAMILIES[names[rng.integers(len(names))]]
    return ALL_FAMILIES[name]


DRAWS = 1 + PARAM_DRAWS + START_DRAWS
"""Uniform draws per landscape: family choice, parameters, start."""


class SampledFields(NamedTuple):
    params: FieldParams  # (m,) fields
    names: list[str]  # family of each
    x_star: np.ndarray  # (m, 2)
    f_star: np.ndarray  # (m,)
    theta: np.ndarray  # (m, 2) initial iterates


def sample_fields(U: np.ndarray, families: Sequence[str]) -> SampledFields:
    """Landscapes, minima and starts from uniform draws ``U (m, DRAWS)``, batched per family.

    ``U[:, 0]`` picks the family uniformly among ``families``; the rest parametrise it.
    """
    k = len(families)
    names = [families[i] for i in np.minimum((U[:, 0] * k).astype(int), k - 1)]
    name_arr = np.array(names)
    parts, order = [], []
    for name in dict.fromkeys(names):
        rows = np.flatnonzero(name_arr == name)
        fam = ALL_FAMILIES[name]
        params = fam.build(U[rows, 1 : 1 + fam.n_params])
        x_star, f_star = field_minimum(params)
        theta = fam.start(U[rows, 1 + PARAM_DRAWS :], params, x_star)
        parts.append((params, x_star, f_star, theta))
        order.append(rows)
    perm = np.argsort(np.concatenate(order), kind="stable")
    params = FieldParams.concatenate([p[0] for p in parts]).take(perm)
    x_star, f_star, theta = (np.concatenate([p[i] for p in parts])[perm] for i in (1, 2, 3))
    return SampledFields(params, names, x_star, f_star, theta)
