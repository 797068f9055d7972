"""Random kinks: unimodal landscapes whose minimum is not smooth (a validation landscape).

    f(x) = ||S R (x - x_star)||_q ^ p

with ``x_star = 0`` (``experiments.bounded --box domain`` translates it), ``R`` a uniform
rotation, ``S = diag(1, s)`` with ``s`` log-uniform in ``STRETCH`` (level sets up to 30 times as
long as they are wide), the norm ``q`` 1 or 2 (diamond or round level sets, equally likely), and
the power ``p`` uniform in ``POWERS``. At ``p = 1`` the minimum is a cone's tip, below it a
cusp, above it a sharp but flatter point: the value near the minimum falls like the distance to
it to the power ``p``, not its square, as for an L1 penalty, a hinge loss, or a maximum of
several functions. A quadratic model of the grid does not hold there, and precision in ``f``
needs precision in ``x`` to the power ``p`` rather than 2.

The project's own generator, not a test suite's formula. A validation family only: the batched
fields of :mod:`rover_envs.landscapes.fields` are smooth. ``make("kinks", rng)`` draws one.
"""

from __future__ import annotations

import numpy as np

from rover_envs.landscapes.base import Landscape
from rover_envs.landscapes.fields import rotations

STRETCH = (1.0 / 30.0, 1.0)
POWERS = (0.5, 1.5)


class Kinks(Landscape):
    """One draw of the random-kinks family from ``rng`` (see the module docstring)."""

    name = "kinks"

    def __init__(self, rng: np.random.Generator | int | None = None, noise: float = 0.0):
        if noise < 0:
            raise ValueError(f"noise must be >= 0; got {noise}")
        rng = np.random.default_rng(rng)
        phi = rng.uniform(0.0, 2.0 * np.pi)
        stretch = np.exp(rng.uniform(*np.log(STRETCH)))
        self.matrix = np.diag([1.0, stretch]) @ rotations(np.array([phi]))[0]
        self.norm = 1 if rng.random() < 0.5 else 2
        self.power = float(rng.uniform(*POWERS))
        self.noise = float(noise)

    def _y(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if x.shape[-1] != 2:
            raise ValueError(f"kinks expects points of shape (..., 2); got {x.shape}")
        return x @ self.matrix.T

    def _norm(self, y: np.ndarray) -> np.ndarray:
        return np.sum(np.abs(y), axis=-1) if self.norm == 1 else np.linalg.norm(y, axis=-1)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self._norm(self._y(x)) ** self.power

    def grad(self, x: np.ndarray) -> np.ndarray:
        """The gradient where it exists (0 at the minimiser, where it does not)."""
        y = self._y(x)
        r = self._norm(y)
        with np.errstate(divide="ignore", invalid="ignore"):
            dr = np.sign(y) if self.norm == 1 else y / r[..., None]
            g = (self.power * r ** (self.power - 1.0))[..., None] * dr
        return np.where(r[..., None] > 0, g, 0.0) @ self.matrix

    def hessian(self, x: np.ndarray) -> np.ndarray:
        """The Hessian where it exists (0 at the minimiser and, for the 1-norm, on the axes)."""
        y = self._y(x)
        r = self._norm(y)
        p = self.power
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.norm == 1:
                u = np.sign(y)
                H = (p * (p - 1.0) * r ** (p - 2.0))[..., None, None] * u[..., :, None] * u[..., None, :]
            else:
                u = y / r[..., None]
                outer = u[..., :, None] * u[..., None, :]
                H = (p * r ** (p - 2.0))[..., None, None] * (np.eye(2) + (p - 2.0) * outer)
        H = np.where(r[..., None, None] > 0, H, 0.0)
        return self.matrix.T @ H @ self.matrix

    def _find_minimum(self) -> tuple[np.ndarray, float]:
        return np.zeros(2), 0.0
