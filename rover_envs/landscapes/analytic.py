"""Analytic test functions of appendix 6.3, with canonical domains and known minima.

Each function is vectorised over points ``(..., d) -> (...)`` with analytic gradient and
Hessian. Points are clipped into the canonical domain before evaluation (and so are the points
where derivatives are taken): McCormick is unbounded below outside its box, and every optimiser
must see the same function. ``hard_start`` is the default starting point for evaluation: a
point in a basin that is not the global one, or across a valley, far from the minimiser.
Rosenbrock, Ackley, Rastrigin and Styblinski-Tang take any ``dim >= 2``.
"""

from __future__ import annotations

import numpy as np

from rover_envs.landscapes.base import Landscape

TWO_PI = 2.0 * np.pi


class AnalyticLandscape(Landscape):
    """Base class: subclasses define ``_f``, ``_g``, ``_h`` on already clipped points."""

    domain: tuple[float, float] | list[tuple[float, float]]
    x_star_1d: float | None = None
    hard_start_2d: tuple[float, float] = (0.0, 0.0)
    any_dim = False

    def __init__(self, dim: int = 2, noise: float = 0.0):
        if dim != 2 and not self.any_dim:
            raise ValueError(f"{self.name} is defined in 2-D only; got dim={dim}")
        if dim < 2:
            raise ValueError(f"dim must be at least 2; got {dim}")
        if noise < 0:
            raise ValueError(f"noise must be >= 0; got {noise}")
        self.dim = int(dim)
        self.noise = float(noise)

    def _check(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if x.shape[-1] != self.dim:
            raise ValueError(f"{self.name} expects points of shape (..., {self.dim}); got {x.shape}")
        return self.clip(x)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self._f(self._check(x))

    def grad(self, x: np.ndarray) -> np.ndarray:
        return self._g(self._check(x))

    def hessian(self, x: np.ndarray) -> np.ndarray:
        return self._h(self._check(x))

    @property
    def bounds(self) -> np.ndarray:
        d = np.asarray(self.domain, dtype=float)
        return np.broadcast_to(d, (self.dim, 2)).copy() if d.ndim == 1 else d

    @property
    def hard_start(self) -> np.ndarray:
        """Default hard starting point (the 2-D point repeated in higher dimension)."""
        return np.resize(np.asarray(self.hard_start_2d, dtype=float), self.dim)

    def sample_start(self, rng: np.random.Generator, spread: float = 0.02) -> np.ndarray:
        """``hard_start`` perturbed by Gaussian noise of ``spread`` times the domain width."""
        b = self.bounds
        x = self.hard_start + spread * (b[:, 1] - b[:, 0]) * rng.standard_normal(self.dim)
        return self.clip(x)

    def _find_minimum(self) -> tuple[np.ndarray, float]:
        x_star = np.full(self.dim, self.x_star_1d)
        return x_star, float(self._f(x_star))


class Rosenbrock(AnalyticLandscape):
    """``sum_i 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2`` (eq. 13); minimum 0 at (1, ..., 1)."""

    name = "rosenbrock"
    domain = (-2.0, 2.0)  # x_1; every later coordinate lies in [-1, 3], see ``bounds``
    x_star_1d = 1.0
    hard_start_2d = (-1.2, 1.0)
    any_dim = True

    @property
    def bounds(self) -> np.ndarray:
        b = np.tile([-2.0, 2.0], (self.dim, 1))
        b[1:] = [-1.0, 3.0]
        return b

    def _f(self, x):
        a, b = x[..., :-1], x[..., 1:]
        return np.sum(100.0 * (b - a**2) ** 2 + (1.0 - a) ** 2, axis=-1)

    def _g(self, x):
        a, b = x[..., :-1], x[..., 1:]
        g = np.zeros_like(x)
        g[..., :-1] = -400.0 * a * (b - a**2) - 2.0 * (1.0 - a)
        g[..., 1:] += 200.0 * (b - a**2)
        return g

    def _h(self, x):
        d = self.dim
        H = np.zeros((*x.shape, d))
        i = np.arange(d - 1)
        H[..., i, i] = 1200.0 * x[..., :-1] ** 2 - 400.0 * x[..., 1:] + 2.0
        H[..., i + 1, i + 1] += 200.0
        H[..., i, i + 1] = -400.0 * x[..., :-1]
        H[..., i + 1, i] = H[..., i, i + 1]
        return H


class Ackley(AnalyticLandscape):
    """``-20 exp(-0.2 sqrt(mean x^2)) - exp(mean cos 2 pi x) + 20 + e`` (eq. 14); 0 at 0.

    The square root is not differentiable at the minimiser; there the gradient is its
    subgradient 0 and the Hessian uses the radius floored at 1e-12.
    """

    name = "ackley"
    domain = (-32.768, 32.768)
    x_star_1d = 0.0
    hard_start_2d = (2.7, -3.3)
    any_dim = True

    def _f(self, x):
        r = np.sqrt(np.mean(x**2, axis=-1))
        m = np.mean(np.cos(TWO_PI * x), axis=-1)
        return -20.0 * np.exp(-0.2 * r) - np.exp(m) + 20.0 + np.e

    def _parts(self, x):
        d = self.dim
        r = np.maximum(np.sqrt(np.mean(x**2, axis=-1)), 1e-12)[..., None]
        em = np.exp(np.mean(np.cos(TWO_PI * x), axis=-1))[..., None]
        c = 4.0 * np.exp(-0.2 * r) / (d * r)
        return d, r, em, c

    def _g(self, x):
        d, _, em, c = self._parts(x)
        return c * x + (TWO_PI / d) * em * np.sin(TWO_PI * x)

    def _h(self, x):
        d, r, em, c = self._parts(x)
        dc = 4.0 / d * np.exp(-0.2 * r) * (-0.2 / r - 1.0 / r**2)
        eye = np.eye(d)
        H = c[..., None] * eye + (dc / (d * r))[..., None] * x[..., :, None] * x[..., None, :]
        s = np.sin(TWO_PI * x)
        H += (
            (TWO_PI / d)
            * em[..., None]
            * (
                TWO_PI * np.cos(TWO_PI * x)[..., :, None] * eye
                - (TWO_PI / d) * s[..., :, None] * s[..., None, :]
            )
        )
        return H


class Rastrigin(AnalyticLandscape):
    """``10 d + sum (x^2 - 10 cos 2 pi x)`` (eq. 15); minimum 0 at 0."""

    name = "rastrigin"
    domain = (-5.12, 5.12)
    x_star_1d = 0.0
    hard_start_2d = (-3.2, 2.8)
    any_dim = True

    def _f(self, x):
        return 10.0 * self.dim + np.sum(x**2 - 10.0 * np.cos(TWO_PI * x), axis=-1)

    def _g(self, x):
        return 2.0 * x + 10.0 * TWO_PI * np.sin(TWO_PI * x)

    def _h(self, x):
        return (2.0 + 10.0 * TWO_PI**2 * np.cos(TWO_PI * x))[..., None] * np.eye(self.dim)


class McCormick(AnalyticLandscape):
    """``sin(x + y) + (x - y)^2 - 1.5 x + 2.5 y + 1`` (eq. 16) on [-1.5, 4] x [-3, 4]."""

    name = "mccormick"
    domain = [(-1.5, 4.0), (-3.0, 4.0)]
    hard_start_2d = (3.5, 3.5)

    def _f(self, x):
        a, b = x[..., 0], x[..., 1]
        return np.sin(a + b) + (a - b) ** 2 - 1.5 * a + 2.5 * b + 1.0

    def _g(self, x):
        a, b = x[..., 0], x[..., 1]
        c = np.cos(a + b)
        return np.stack([c + 2 * (a - b) - 1.5, c - 2 * (a - b) + 2.5], axis=-1)

    def _h(self, x):
        s = -np.sin(x[..., 0] + x[..., 1])
        return np.stack([np.stack([s + 2, s - 2], -1), np.stack([s - 2, s + 2], -1)], -2)

    def _find_minimum(self):
        # Stationary points have a - b = 1 and cos(a + b) = -1/2; inside the box the global
        # one has a + b = -2 pi / 3.
        s = -2.0 * np.pi / 3.0
        x_star = np.array([(s + 1.0) / 2.0, (s - 1.0) / 2.0])
        return x_star, float(self._f(x_star))


class Beale(AnalyticLandscape):
    """``(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2`` (eq. 18); 0 at (3, 1/2)."""

    name = "beale"
    domain = (-4.5, 4.5)
    hard_start_2d = (-1.5, 1.5)
    _C = (1.5, 2.25, 2.625)

    def _terms(self, x):
        a, b = x[..., 0], x[..., 1]
        for k, c in enumerate(self._C, start=1):
            r = c - a + a * b**k
            da, db = b**k - 1.0, k * a * b ** (k - 1)
            dab, dbb = k * b ** (k - 1), k * (k - 1) * a * b ** max(k - 2, 0)
            yield r, da, db, dab, dbb

    def _f(self, x):
        return sum(r**2 for r, *_ in self._terms(x))

    def _g(self, x):
        return sum(np.stack([2 * r * da, 2 * r * db], -1) for r, da, db, _, _ in self._terms(x))

    def _h(self, x):
        H = 0.0
        for r, da, db, dab, dbb in self._terms(x):
            h00 = 2 * da * da
            h01 = 2 * (da * db + r * dab)
            h11 = 2 * (db * db + r * dbb)
            H = H + np.stack([np.stack([h00, h01], -1), np.stack([h01, h11], -1)], -2)
        return H

    def _find_minimum(self):
        x_star = np.array([3.0, 0.5])
        return x_star, float(self._f(x_star))


class StyblinskiTang(AnalyticLandscape):
    """``1/2 sum (x^4 - 16 x^2 + 5 x)`` (eq. 17); minimum -39.166 d at x_i = -2.9035."""

    name = "styblinski_tang"
    domain = (-5.0, 5.0)
    x_star_1d = -2.903534027771177
    hard_start_2d = (2.5, 3.0)
    any_dim = True

    def _f(self, x):
        return 0.5 * np.sum(x**4 - 16.0 * x**2 + 5.0 * x, axis=-1)

    def _g(self, x):
        return 2.0 * x**3 - 16.0 * x + 2.5

    def _h(self, x):
        return (6.0 * x**2 - 16.0)[..., None] * np.eye(self.dim)


FUNCTIONS: dict[str, type[AnalyticLandscape]] = {
    cls.name: cls for cls in (Rosenbrock, Ackley, Rastrigin, McCormick, Beale, StyblinskiTang)
}
"""The analytic test functions of appendix 6.3, by name."""
