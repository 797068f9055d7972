"""Random peaks: many unrelated wells and no global structure (a validation landscape).

    f(x) = -sum_k d_k exp(-1/2 (x - c_k)^T P_k (x - c_k))

``k`` wells (``WELLS``, uniform), centres uniform in ``[-CENTRES, CENTRES]^2``, depths
log-uniform in ``DEPTHS``, and each well its own rotation (uniform) and two length scales
(log-uniform in ``LENGTHS``), ``P_k = R_k diag(1 / l_k^2) R_k^T``. Between the wells the
field is flat (their tails); nearby wells merge. Nothing ties the deepest well to the others:
unlike the training families, there is no bowl under the ripples, so which basin a run ends in
says nothing about the ones it did not visit.

It exists so that rules about restarting and exploring can be chosen on a family with what the
training families lack. It is the project's own generator (a sum of wells of random number,
depths and shapes), not the formula of any test suite, and it is not a training family: each
well has a kernel of its own, which the batched fields of :mod:`rover_envs.landscapes.fields`
(one kernel per landscape, at most four bumps) cannot express. ``make("peaks", rng)`` draws
one; the environment does not accept it as a ``family``.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from rover_envs.landscapes.base import Landscape
from rover_envs.landscapes.fields import rotations

WELLS = (10, 30)
"""Fewest and most wells (inclusive)."""
CENTRES = 4.0
"""Well centres are uniform in ``[-CENTRES, CENTRES]^2``: the square of starts of
``experiments.bounded --box domain``, inside its domain ``[-5, 5]^2``."""
DEPTHS = (1.0, 10.0)
LENGTHS = (0.2, 1.0)


class Peaks(Landscape):
    """One draw of the random-peaks family from ``rng`` (see the module docstring)."""

    name = "peaks"

    def __init__(self, rng: np.random.Generator | int | None = None, noise: float = 0.0):
        if noise < 0:
            raise ValueError(f"noise must be >= 0; got {noise}")
        rng = np.random.default_rng(rng)
        k = int(rng.integers(WELLS[0], WELLS[1] + 1))
        self.centres = rng.uniform(-CENTRES, CENTRES, (k, 2))
        self.depths = np.exp(rng.uniform(*np.log(DEPTHS), k))
        phi = rng.uniform(0.0, 2.0 * np.pi, k)
        lengths = np.exp(rng.uniform(*np.log(LENGTHS), (k, 2)))
        R = rotations(phi)
        self.precisions = np.einsum("kij,kj,klj->kil", R, 1.0 / lengths**2, R)
        self.noise = float(noise)

    def _terms(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Offsets ``(..., k, 2)``, ``P_k y`` ``(..., k, 2)`` and weighted kernels ``(..., k)``."""
        x = np.asarray(x, dtype=float)
        if x.shape[-1] != 2:
            raise ValueError(f"peaks expects points of shape (..., 2); got {x.shape}")
        y = x[..., None, :] - self.centres
        Py = np.einsum("kij,...kj->...ki", self.precisions, y)
        return y, Py, self.depths * np.exp(-0.5 * np.sum(y * Py, axis=-1))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return -np.sum(self._terms(x)[2], axis=-1)

    def grad(self, x: np.ndarray) -> np.ndarray:
        _, Py, e = self._terms(x)
        return np.sum(e[..., None] * Py, axis=-2)

    def hessian(self, x: np.ndarray) -> np.ndarray:
        _, Py, e = self._terms(x)
        outer = Py[..., :, None] * Py[..., None, :]
        return np.sum(e[..., None, None] * (self.precisions - outer), axis=-3)

    def _find_minimum(self) -> tuple[np.ndarray, float]:
        # every local minimum lies near a centre (a well, or wells merged): BFGS from each
        def value_and_grad(x):
            return float(self(x)), self.grad(x)

        runs = [
            minimize(value_and_grad, c, jac=True, method="BFGS", options={"gtol": 1e-12})
            for c in self.centres
        ]
        best = min(runs, key=lambda r: r.fun)
        return np.asarray(best.x, dtype=float), float(self(best.x))
