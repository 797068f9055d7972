"""Random lopsided bowls: unimodal landscapes steeper on one side of the minimum than on the other
(a validation landscape).

    f(x) = (sum_i (s_i(z_i) z_i)^2) ^ p,    z = R (x - x_star),    s_i(z) = a_i if z > 0 else 1

with ``x_star = 0`` (``experiments.bounded --box domain`` translates it), ``R`` a uniform
rotation, each axis's steep side ``a_i`` log-uniform in ``STEEPNESS`` (up to a thousand times as
steep as the other side of the same axis), and ``p`` uniform in ``POWERS``. Along each axis of
``R`` the bowl is two half-parabolas of different curvature that meet at the minimum: the
gradient is continuous there, but the curvature jumps, so a quadratic fitted over a grid that
straddles the minimum misplaces it, and the level sets are egg-shaped, not ellipses. Below
``p = 1`` the bottom is sharper still (at ``p = 1/2`` each half-axis is a cone's side).

The project's own generator, not a test suite's formula (asymmetric slopes are one of the
structures the validation set lacked). A validation family only: the batched fields of
:mod:`rover_envs.landscapes.fields` are symmetric about their minima. ``make("lopsided", rng)``
draws one.
"""

from __future__ import annotations

import numpy as np

from rover_envs.landscapes.base import Landscape
from rover_envs.landscapes.fields import rotations

STEEPNESS = (1.0, 1e3)
POWERS = (0.5, 1.0)


class Lopsided(Landscape):
    """One draw of the random lopsided-bowl family from ``rng`` (see the module docstring)."""

    name = "lopsided"

    def __init__(self, rng: np.random.Generator | int | None = None, noise: float = 0.0):
        if noise < 0:
            raise ValueError(f"noise must be >= 0; got {noise}")
        rng = np.random.default_rng(rng)
        self.rotation = rotations(np.array([rng.uniform(0.0, 2.0 * np.pi)]))[0]
        self.steep = np.exp(rng.uniform(*np.log(STEEPNESS), size=2))
        self.power = float(rng.uniform(*POWERS))
        self.noise = float(noise)

    def _scaled(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = np.asarray(x, dtype=float)
        if x.shape[-1] != 2:
            raise ValueError(f"lopsided expects points of shape (..., 2); got {x.shape}")
        z = x @ self.rotation.T
        s = np.where(z > 0, self.steep, 1.0)
        return s * z, s

    def __call__(self, x: np.ndarray) -> np.ndarray:
        y, _ = self._scaled(x)
        return np.sum(y * y, axis=-1) ** self.power

    def grad(self, x: np.ndarray) -> np.ndarray:
        """The gradient where it exists (0 at the minimiser)."""
        y, s = self._scaled(x)
        r = np.sum(y * y, axis=-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            outer = np.where(r > 0, self.power * r ** (self.power - 1.0), 0.0)
        return (outer[..., None] * 2.0 * y * s) @ self.rotation

    def hessian(self, x: np.ndarray) -> np.ndarray:
        """The Hessian where it exists (away from the axes of ``R``, where the curvature jumps; 0 at
        the minimiser)."""
        y, s = self._scaled(x)
        r = np.sum(y * y, axis=-1)
        p = self.power
        u = 2.0 * y * s  # d r / d z
        with np.errstate(divide="ignore", invalid="ignore"):
            first = np.where(r > 0, p * r ** (p - 1.0), 0.0)
            second = np.where(r > 0, p * (p - 1.0) * r ** (p - 2.0), 0.0)
        diag = np.zeros((*np.shape(y), 2))
        diag[..., 0, 0], diag[..., 1, 1] = 2.0 * s[..., 0] ** 2, 2.0 * s[..., 1] ** 2
        H = second[..., None, None] * u[..., :, None] * u[..., None, :] + first[..., None, None] * diag
        return self.rotation.T @ H @ self.rotation

    def _find_minimum(self) -> tuple[np.ndarray, float]:
        return np.zeros(2), 0.0
