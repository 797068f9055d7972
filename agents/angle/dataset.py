"""Behaviour-cloning data for the angle network (section 3.2.2), generated in batches.

For each of ``n_functions`` landscapes drawn from the training families we follow the best
teacher for ``steps`` steps and record, at every step:

* the grid around the iterate, rescaled to [0, 1], at a resolution ``delta = d * r`` with
  ``d`` the distance to the minimiser and ``r`` log-uniform in ``resolution_range``
  (default [0.02, 0.3]: the 7x7 grid spans 12%-180% of the way to the optimum), so the
  network works at every zoom the agent should use (below ~0.02 a bowl's curvature is under
  1.5% of the grid's range and Newton's direction is nearly invisible);
* the best teacher's unit direction ``a*`` (label 1) and a negative ``a~`` uniform on the
  half circle ``{d : d^T a* < 0}`` (label 0).

Each state gives two (state, action, label) tuples, so the paper's 5e4 functions x 10 steps
are 1e6 tuples. The rollout moves by a fraction ``U[0.3, 0.9]`` of the teacher's line-search
step: the full step would land Newton on a quadratic's minimum at once and leave nine
directionless states; the fraction makes the rollout visit the approach instead. States where
the direction is undefined (zero regret or a flat grid) are dropped.

Generation is vectorised over chunks of landscapes, seeded (chunk ``i`` draws from
``SeedSequence(seed, spawn_key=(i,))``, so the data does not depend on the chunk order), and
cached on disk under a hash of its parameters.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from agents.io import atomic_path
from rover_envs.directions import best_teacher_move
from rover_envs.grid import GRID_SIZE, grid_points, rescale
from rover_envs.landscapes.families import DRAWS, FAMILY_NAMES, MIXTURES, sample_fields
from rover_envs.landscapes.fields import FieldBatch

TRAINABLE = MIXTURES["broad"]
"""Families the angle network may train on."""


@dataclass(frozen=True)
class DataSpec:
    """What to generate (every field enters the cache key)."""

    families: tuple[str, ...] = FAMILY_NAMES
    """Training families the landscapes are drawn from (uniformly): the paper's four and the
    generated rippled, ill_conditioned and multiscale (``TRAINABLE``; funnels is for validation
    only)."""
    n_functions: int = 50_000
    """Landscapes; each gives ``steps`` states."""
    steps: int = 10
    """Teacher steps recorded per landscape."""
    grid_size: int = GRID_SIZE
    """n of the recorded n x n grids."""
    resolution_range: tuple[float, float] = (0.02, 0.3)
    """Recorded grids' resolution / distance to the optimum, log-uniform in this range."""
    step_fraction: tuple[float, float] = (0.3, 0.9)
    """The rollout moves this fraction (uniform) of the teacher's line-search step."""
    seed: int = 0
    """Seeds the landscapes and the rollout (chunk i draws from SeedSequence(seed, spawn_key=(i,)))."""
    chunk: int = 5_000
    """Landscapes per vectorised batch; chunk i is seeded (seed, i), so a larger n_functions extends
    the data without changing the first chunks."""
    version: int = 1
    """Bumped when the generator's semantics change (part of the cache key)."""

    def __post_init__(self):
        unknown = [f for f in self.families if f not in TRAINABLE]
        if unknown or not self.families:
            raise ValueError(f"unknown families {unknown}; valid: {', '.join(TRAINABLE)}")
        if self.n_functions < 1 or self.steps < 1 or self.chunk < 1:
            raise ValueError("n_functions, steps and chunk must be positive")
        if self.grid_size < 5:
            raise ValueError(
                f"grid_size must be >= 5 (the angle net's two 3x3 convolutions); got {self.grid_size}"
            )
        for name in ("resolution_range", "step_fraction"):
            lo, hi = getattr(self, name)
            if not 0 < lo <= hi:
                raise ValueError(f"{name} must be (lo, hi) with 0 < lo <= hi; got {(lo, hi)}")

    def key(self) -> str:
        blob = json.dumps(asdict(self), sort_keys=True, default=list).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def _rotate(a: np.ndarray, angle: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.stack([c * a[:, 0] - s * a[:, 1], s * a[:, 0] + c * a[:, 1]], -1)


def _chunk(spec: DataSpec, index: int, m: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(np.random.SeedSequence(spec.seed, spawn_key=(index,)))
    new = sample_fields(rng.random((m, DRAWS)), spec.families)
    batch = FieldBatch(new.params, new.names, new.x_star, new.f_star)
    theta = new.theta
    family_id = np.array([spec.families.index(n) for n in new.names], dtype=np.int8)
    lo, hi = spec.resolution_range
    out: dict[str, list] = {
        "grids": [],
        "positive": [],
        "negative": [],
        "family": [],
        "zoom": [],
        "newton": [],
    }
    for _ in range(spec.steps):
        dist = np.linalg.norm(theta - batch.x_star, axis=1)
        zoom = np.exp(np.log(lo) + rng.random(m) * np.log(hi / lo))
        delta = dist * zoom
        raw = batch.values(grid_points(theta, delta, spec.grid_size).reshape(m, -1, 2))
        grids = rescale(raw.reshape(m, spec.grid_size, spec.grid_size))
        move = best_teacher_move(batch, theta, batch.x_star)
        negative = _rotate(move.direction, np.pi / 2 + np.pi * rng.random(m))
        regret = batch.values(theta[:, None, :])[:, 0] - batch.f_star
        ok = (
            np.all(np.isfinite(raw), axis=1)
            & (grids.max(axis=(1, 2)) > 0)
            & (regret > 1e-12 * np.maximum(1.0, np.abs(batch.f_star)))
            & (np.linalg.norm(move.direction, axis=1) > 0.5)
        )
        out["grids"].append(grids[ok].astype(np.float32))
        out["positive"].append(move.direction[ok].astype(np.float32))
        out["negative"].append(negative[ok].astype(np.float32))
        out["family"].append(family_id[ok])
        out["zoom"].append(zoom[ok].astype(np.float32))
        out["newton"].append(move.use_newton[ok])
        frac = spec.step_fraction[0] + (spec.step_fraction[1] - spec.step_fraction[0]) * rng.random(m)
        theta = theta + (frac * move.step)[:, None] * move.direction
    return {k: np.concatenate(v) for k, v in out.items()}


def generate(spec: DataSpec, progress=None) -> dict[str, np.ndarray]:
    """The dataset as arrays: ``grids (N, n, n)`` float32, ``positive``/``negative`` ``(N, 2)``
    unit actions, ``family (N,)`` indices into ``spec.families``, ``zoom (N,)`` the resolution
    over the distance to the minimiser, ``newton (N,)`` whether Newton was the better teacher."""
    parts = []
    for index, start in enumerate(range(0, spec.n_functions, spec.chunk)):
        parts.append(_chunk(spec, index, min(spec.chunk, spec.n_functions - start)))
        if progress is not None:
            progress(min(start + spec.chunk, spec.n_functions))
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def load_or_generate(spec: DataSpec, cache_dir: str | Path | None, progress=None) -> dict[str, np.ndarray]:
    """:func:`generate`, cached as ``{cache_dir}/angle-{key}.npz`` (written atomically)."""
    if cache_dir is None:
        return generate(spec, progress)
    path = Path(cache_dir) / f"angle-{spec.key()}.npz"
    if path.is_file():
        try:
            with np.load(path) as data:
                return {k: data[k] for k in data.files}
        except (OSError, ValueError):  # a corrupt cache is regenerated, never trusted
            path.unlink()
    data = generate(spec, progress)
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez(tmp, **data)
    return data
