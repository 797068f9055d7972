"""The landscape protocol and its batched counterpart.

A *landscape* is one function ``f: R^d -> R`` with the derivatives the teachers need.
A *landscape batch* holds ``B`` landscapes side by side so that the vector environment can
evaluate all of its sub-environments in one numpy call; the single environment uses a batch of
one, so both run exactly the same arithmetic.

Shapes: points are ``(..., d)`` arrays, values ``(...)``. Batched methods take ``(B, M, d)``
points (``M`` points for each of the ``B`` landscapes) and return ``(B, M)`` values.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from functools import cached_property

import numpy as np


class Landscape(ABC):
    """A differentiable test function with a known global minimum.

    Subclasses implement :meth:`__call__`, :meth:`grad`, :meth:`hessian` and
    :meth:`_find_minimum`. ``noise`` is the scale of :meth:`sample`'s randomness; 0 makes
    :meth:`sample` return the noiseless value.
    """

    name: str = "landscape"
    dim: int = 2
    noise: float = 0.0

    @abstractmethod
    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Noiseless value, ``(..., d) -> (...)``."""

    @abstractmethod
    def grad(self, x: np.ndarray) -> np.ndarray:
        """Gradient of the noiseless value, ``(..., d) -> (..., d)``."""

    @abstractmethod
    def hessian(self, x: np.ndarray) -> np.ndarray:
        """Hessian of the noiseless value, ``(..., d) -> (..., d, d)``."""

    @abstractmethod
    def _find_minimum(self) -> tuple[np.ndarray, float]:
        """Return ``(x_star, f_star)``; called once and cached."""

    def sample(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A noisy draw of the value at ``x`` (the noiseless value when ``noise == 0``)."""
        value = self(x)
        if self.noise == 0.0:
            return value
        return value + self.noise * self.noise_scale(x) * rng.standard_normal(value.shape)

    def noise_scale(self, x: np.ndarray, unit: str = "amplitude") -> np.ndarray:
        """Standard deviation of :meth:`sample` per unit of ``noise``; absolute by default
        (``unit`` means something only to landscapes with a natural noise scale, the fields)."""
        return np.ones(np.shape(x)[:-1])

    @cached_property
    def minimum(self) -> tuple[np.ndarray, float]:
        """``(x_star, f_star)``: the global minimiser and minimum of the noiseless value."""
        x_star, f_star = self._find_minimum()
        return np.asarray(x_star, dtype=float), float(f_star)

    @property
    def bounds(self) -> np.ndarray | None:
        """``None`` (unbounded) or a ``(d, 2)`` array of ``[low, high]`` per coordinate."""
        return None

    def clip(self, x: np.ndarray) -> np.ndarray:
        """``x`` clipped into :attr:`bounds` (unchanged when unbounded)."""
        b = self.bounds
        return x if b is None else np.clip(x, b[:, 0], b[:, 1])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, dim={self.dim}, noise={self.noise})"


class LandscapeBatch(ABC):
    """``B`` landscapes evaluated together (one per sub-environment)."""

    size: int
    dim: int

    @abstractmethod
    def values(self, x: np.ndarray) -> np.ndarray:
        """Noiseless values, ``(B, M, d) -> (B, M)``."""

    @abstractmethod
    def grads(self, x: np.ndarray) -> np.ndarray:
        """Gradients at one point per landscape, ``(B, d) -> (B, d)``."""

    @abstractmethod
    def hessians(self, x: np.ndarray) -> np.ndarray:
        """Hessians at one point per landscape, ``(B, d) -> (B, d, d)``."""

    @abstractmethod
    def noise_scales(self, x: np.ndarray, unit: str = "amplitude") -> np.ndarray:
        """Per-point standard deviation per unit of noise, ``(B, M, d) -> (B, M)`` (``unit``: see
        :data:`rover_envs.landscapes.fields.NOISE_UNITS`)."""

    @abstractmethod
    def replace(self, index: int, landscape: Landscape) -> None:
        """Put ``landscape`` in slot ``index`` (after an environment reset)."""

    @abstractmethod
    def landscape(self, index: int) -> Landscape:
        """The landscape in slot ``index``."""

    @abstractmethod
    def subset(self, indices: np.ndarray) -> LandscapeBatch:
        """A batch of the landscapes in ``indices`` (for partial resets)."""

    def clip(self, x: np.ndarray) -> np.ndarray:
        """Points clipped into each landscape's bounds (default: unbounded)."""
        return x


class SharedBatch(LandscapeBatch):
    """Any landscape objects, one per slot, evaluated slot by slot.

    Landscapes with bounds clip points themselves; :meth:`clip` is for the iterate.

    When every slot holds the same object (an analytic test function), one vectorised call
    serves the whole batch.
    """

    def __init__(self, landscapes: Sequence[Landscape]):
        self._items = list(landscapes)
        self.size = len(self._items)
        self.dim = self._items[0].dim

    def _same(self) -> bool:
        first = self._items[0]
        return all(item is first for item in self._items)

    def _apply(self, method: str, x: np.ndarray) -> np.ndarray:
        if self._same():
            return getattr(self._items[0], method)(x)
        return np.stack([getattr(item, method)(xi) for item, xi in zip(self._items, x)])

    def values(self, x: np.ndarray) -> np.ndarray:
        return self._apply("__call__", x)

    def grads(self, x: np.ndarray) -> np.ndarray:
        return self._apply("grad", x)

    def hessians(self, x: np.ndarray) -> np.ndarray:
        return self._apply("hessian", x)

    def noise_scales(self, x: np.ndarray, unit: str = "amplitude") -> np.ndarray:
        args = () if unit == "amplitude" else (unit,)  # a user's noise_scale(x) keeps working
        if self._same():
            return self._items[0].noise_scale(x, *args)
        return np.stack([item.noise_scale(xi, *args) for item, xi in zip(self._items, x)])

    def clip(self, x: np.ndarray) -> np.ndarray:
        if self._same():
            return self._items[0].clip(x)
        return np.stack([item.clip(xi) for item, xi in zip(self._items, x)])

    def replace(self, index: int, landscape: Landscape) -> None:
        self._items[index] = landscape

    def landscape(self, index: int) -> Landscape:
        return self._items[index]

    def subset(self, indices: np.ndarray) -> SharedBatch:
        return SharedBatch([self._items[i] for i in indices])
