"""Pairs of dimensions for Rover Descent in d > 2 dimensions (paper section 3.3, eqs. 8-10).

Each iteration takes 2-D grids in the planes of some pairs ``(i, j)`` of coordinates; a strategy
decides which. A strategy is a callable ``(rng, d) -> (m, 2)`` integer array: the pairs of one
iteration. :func:`resolve` also takes a strategy's name (with its default parameters) or a
user's callable, and :func:`normalise_pairs` checks a strategy's output and makes it canonical
(each unordered pair once, ``i < j``, in order of first appearance), so that every pair keeps
one step size, one resolution and one recurrent state however often it is drawn.

* :class:`AllPairs` -- the ``d(d-1)/2`` pairs (eq. 9);
* :class:`RandomPairs` -- ``k`` coordinates sampled per iteration, all pairs among them (eq. 10,
  the paper's Fig. 7a);
* :class:`PerDimension` -- every coordinate paired with ``l`` others sampled uniformly
  (Fig. 7b: every coordinate moves at every iteration);
* :class:`Blocks` -- as :class:`PerDimension`, partners drawn within user-given groups of
  coordinates, e.g. a network's layers (Fig. 7c).

The combined update (eqs. 8-10) is the least-squares ``dtheta`` whose projection on each sampled
plane is that plane's 2-D step. The squared error separates by coordinate, so coordinate ``i``
of the solution is the **mean** of the components the sampled pairs containing ``i`` propose
for it, and 0 for a coordinate in no pair: :func:`combine`. With all pairs among ``k``
coordinates each appears in ``k - 1`` pairs, which is eq. 9's and eq. 10's ``1 / (k - 1)``;
with per-dimension sampling the count differs between coordinates, hence the per-coordinate
normalisation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

PairFn = Callable[[np.random.Generator, int], np.ndarray]


def _check_count(name: str, value, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}; got {value!r}")
    return int(value)


class AllPairs:
    """Every pair of coordinates, ``d(d-1)/2`` per iteration (eq. 9)."""

    def __call__(self, rng: np.random.Generator, d: int) -> np.ndarray:
        i, j = np.triu_indices(d, k=1)
        return np.stack([i, j], axis=1)

    def __repr__(self) -> str:
        return "AllPairs()"


class RandomPairs:
    """``k`` coordinates sampled without replacement per iteration, all ``k(k-1)/2`` pairs among
    them (eq. 10; the paper's Fig. 7a and its linear-classification runs with ``k = 10``)."""

    def __init__(self, k: int = 10):
        self.k = _check_count("RandomPairs k", k, 2)

    def __call__(self, rng: np.random.Generator, d: int) -> np.ndarray:
        if self.k > d:
            raise ValueError(f"RandomPairs(k={self.k}) needs k <= d; the problem has d={d}")
        dims = np.sort(rng.choice(d, self.k, replace=False))
        i, j = np.triu_indices(self.k, k=1)
        return np.stack([dims[i], dims[j]], axis=1)

    def __repr__(self) -> str:
        return f"RandomPairs(k={self.k})"


def _partners(rng: np.random.Generator, members: np.ndarray, l: int) -> np.ndarray:
    """Each member paired with ``l`` other members sampled uniformly without replacement."""
    size = len(members)
    # for member a, l distinct offsets in 1..size-1 (the l smallest of size-1 uniform keys), so
    # that the partner (a + offset) % size is never a itself and never repeats
    keys = rng.random((size, size - 1))
    offsets = np.argpartition(keys, l - 1, axis=1)[:, :l] + 1
    a = np.repeat(np.arange(size), l)
    b = (a + offsets.reshape(-1)) % size
    return np.stack([members[a], members[b]], axis=1)


class PerDimension:
    """Every coordinate paired with ``l`` others sampled uniformly (``l * d`` pairs before
    duplicates merge; the paper's Fig. 7b)."""

    def __init__(self, l: int = 1):
        self.l = _check_count("PerDimension l", l)

    def __call__(self, rng: np.random.Generator, d: int) -> np.ndarray:
        if self.l > d - 1:
            raise ValueError(f"PerDimension(l={self.l}) needs l <= d - 1; the problem has d={d}")
        return _partners(rng, np.arange(d), self.l)

    def __repr__(self) -> str:
        return f"PerDimension(l={self.l})"


class Blocks:
    """As :class:`PerDimension`, but each coordinate's ``l`` partners are drawn within its own
    group (the paper's Fig. 7c: a network's layers, a block-diagonal Hessian). ``groups``: a
    sequence of integer arrays that partition ``range(d)``; ``l`` is capped at each group's
    size - 1 (a group of one coordinate has no partner and does not move)."""

    def __init__(self, groups: Sequence[Sequence[int]], l: int = 1):
        self.l = _check_count("Blocks l", l)
        self.groups = [np.asarray(g, dtype=int).reshape(-1) for g in groups]
        if not self.groups or any(g.size == 0 for g in self.groups):
            raise ValueError("Blocks needs a non-empty list of non-empty groups of coordinates")

    def check(self, d: int) -> None:
        """The groups must partition ``range(d)``."""
        allc = np.concatenate(self.groups)
        if allc.min() < 0 or allc.max() >= d:
            raise ValueError(
                f"Blocks groups must hold coordinates in [0, {d}); got {allc.min()}..{allc.max()}"
            )
        counts = np.bincount(allc, minlength=d)
        if np.any(counts > 1):
            raise ValueError(
                f"Blocks groups overlap at coordinates {np.flatnonzero(counts > 1)[:10].tolist()}"
            )
        if np.any(counts == 0):
            missing = np.flatnonzero(counts == 0)
            raise ValueError(
                f"Blocks groups do not cover coordinates {missing[:10].tolist()}"
                + (" ..." if missing.size > 10 else "")
                + f" ({missing.size} of {d}); every coordinate must belong to one group"
            )

    def __call__(self, rng: np.random.Generator, d: int) -> np.ndarray:
        self.check(d)
        out = [_partners(rng, g, min(self.l, g.size - 1)) for g in self.groups if g.size > 1]
        return np.concatenate(out) if out else np.zeros((0, 2), int)

    def __repr__(self) -> str:
        return f"Blocks({len(self.groups)} groups, l={self.l})"


STRATEGIES: dict[str, Callable[[int], PairFn]] = {
    "all": lambda d: AllPairs(),
    "random": lambda d: RandomPairs(min(10, d)),
    "per_dimension": lambda d: PerDimension(1),
}
"""Strategies by name with their default parameters for a problem of dimension ``d``:
``"random"`` is ``RandomPairs(min(10, d))`` (the paper's k = 10), ``"per_dimension"``
``PerDimension(1)`` (``"blocks"`` needs groups: pass ``Blocks(groups, l)``)."""


def resolve(pairs, d: int = 10) -> PairFn:
    """A strategy from an instance, a name (its defaults for dimension ``d``), or a user's
    callable ``(rng, d) -> (m, 2)``."""
    if isinstance(pairs, str):
        if pairs == "blocks":
            raise ValueError("pairs='blocks' needs the groups of coordinates: pass pairs=Blocks(groups, l)")
        if pairs not in STRATEGIES:
            raise ValueError(f"unknown pairs {pairs!r}; valid: {', '.join([*STRATEGIES, 'blocks'])}")
        return STRATEGIES[pairs](d)
    if callable(pairs):
        return pairs
    raise ValueError(
        f"pairs must be a strategy name ({', '.join(STRATEGIES)}), a strategy (AllPairs(), RandomPairs(k), "
        f"PerDimension(l), Blocks(groups, l)) or a callable (rng, d) -> (m, 2) ints; got {pairs!r}"
    )


def normalise_pairs(raw, d: int) -> np.ndarray:
    """Check a strategy's output and make it canonical: ``(m, 2)`` ints with ``i < j``, each
    unordered pair once (first appearance kept)."""
    arr = np.asarray(raw)
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] == 0:
        raise ValueError(
            f"a pair strategy must return a non-empty (m, 2) integer array; got shape {arr.shape}"
        )
    if not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"a pair strategy must return integers; got dtype {arr.dtype}")
    if arr.min() < 0 or arr.max() >= d:
        raise ValueError(f"pair coordinates must lie in [0, {d}); got {arr.min()}..{arr.max()}")
    if np.any(arr[:, 0] == arr[:, 1]):
        raise ValueError("a pair must hold two different coordinates")
    canon = np.sort(arr, axis=1).astype(np.int64)
    _, first = np.unique(canon[:, 0] * d + canon[:, 1], return_index=True)
    return canon[np.sort(first)]


def combine(pairs: np.ndarray, steps: np.ndarray, d: int) -> np.ndarray:
    """Eqs. 8-10: the least-squares ``dtheta (d,)`` from the 2-D steps ``steps (m, 2)`` in the
    planes ``pairs (m, 2)``: per coordinate, the mean of what the pairs containing it propose
    (0 for a coordinate in no pair)."""
    total = np.zeros(d)
    count = np.zeros(d)
    np.add.at(total, pairs[:, 0], steps[:, 0])
    np.add.at(total, pairs[:, 1], steps[:, 1])
    np.add.at(count, pairs.reshape(-1), 1.0)
    return np.divide(total, count, out=np.zeros(d), where=count > 0)
