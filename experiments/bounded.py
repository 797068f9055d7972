"""Validate the learned optimiser under bounds, on held-out training landscapes only.

    python -m experiments.bounded runs/sweeps/guard [--boundary clip penalty] [--box domain] [--out F]

The environment has no bounds; the test sets (BBOB's [-5, 5]^2, the six functions' boxes) all
pass ``bounds=`` to ``RoverDescent``, which must keep every evaluation inside. This measures what
that costs and compares the ways of keeping to the box (``RoverDescent.minimize(boundary=...)``)
on held-out landscapes of the training distribution (seeded ``seed + eval.seed_offset`` as in
:mod:`experiments.validate`, so the same landscapes for every rule; never a test function).
Two ways to put a landscape in a box (``--box``):

* ``minimiser`` (the default; the environment's boxed episodes): a box of width ``WIDTH`` in
  which the landscape's minimiser lies uniformly at least ``MARGIN`` from every side, and a start
  uniform at least ``MARGIN`` inside the box;
* ``domain``: the box is a fixed domain, ``[-DOMAIN, DOMAIN]^2`` about the origin, and the start
  is uniform in ``[-START, START]^2``. A family with wells of its own (``funnels``: four wells in
  ``[-3, 3]^2``; ``peaks``: 10-30 wells in ``[-4, 4]^2``) keeps its coordinates, so every rival
  well is in the box and the global one anywhere among them; every other family is translated
  so that its minimiser lies uniformly in ``[-START, START]^2``. A box placed around the global
  minimiser can leave rival wells out; this one cannot;
* ``side``: the same domain and starts, every landscape translated so that its minimiser lies
  beyond one side (a side drawn uniformly, ``SIDE_GAP`` beyond it, uniform in ``[-START,
  START]`` along it): the constrained optimum lies on the bound, as in a constrained problem
  whose bounds are active. The reference ``f_star`` is the box's minimum, found by L-BFGS-B with
  the landscape's gradient from the minimiser's projection and the lowest points of a dense
  scan of the box; the unbounded reference row is left out (it would leave the box).

Then ``RoverDescent`` runs with its defaults (initial alpha and delta from the bounds, the policy's
move rule, grid shape and horizon), once per rule with and without ``zoom_cap`` (rows ``[rule]``
and ``[rule, uncapped]``), and once without bounds as a reference row. Run folders' policies
run on the settings they were trained with, or with ``--settings shipped`` on the shipped policy's
deployment settings for bounded problems (``RoverDescent.pretrained(settings="shipped")``): the
rule that ships must compare its rows on those, or its baseline is not what ships.

Cells: log10 of the median final normalised regret (best value found, as ``minimize`` returns
it), the same with each landscape's regret floored at what float64 resolves there (``resolved``,
:func:`resolution`), and the fraction solved (below ``heldout.SOLVED``), per family, mean ± std
over runs (seeds); runs are grouped by experiment name (a sweep's variants).
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from agents.baselines import BASELINES
from agents.objective import guess_scale
from agents.rover import (
    ABANDONS,
    BOUNDARIES,
    FINISHES,
    INITIAL_SAMPLES,
    RESTARTS,
    SEEKS,
    SETTINGS,
    RoverDescent,
    RoverPolicy,
)
from experiments import heldout
from experiments.config import load
from experiments.decide import write_values
from experiments.runs import cli
from experiments.schemas import DDPGExperiment, HeldoutConfig
from experiments.validate import STATISTICS, find_runs, table, variant_labels
from rover_envs.core import BOX_MARGIN, BOX_WIDTH, SIDE_GAP, box_minimum
from rover_envs.grid import offsets
from rover_envs.landscapes import make
from rover_envs.metric import METRICS
from rover_envs.transition import GUARDS

FAMILIES = (
    "quadratic",
    "valley",
    "saddle",
    "plateau_cliff",
    "rippled",
    "ill_conditioned",
    "multiscale",
    "funnels",
)
"""The default families: the broad seven and the generated funnels (rival wells)."""
WIDTH, MARGIN = BOX_WIDTH, BOX_MARGIN
"""The box (BBOB's domain is [-5, 5]^2) and how far inside it minimiser and start lie: those of
the environment's boxed episodes (``box_fraction``)."""
DOMAIN, START = WIDTH / 2, WIDTH / 2 - 1.0
"""``--box domain``: the box ``[-DOMAIN, DOMAIN]^2`` and the square ``[-START, START]^2`` of starts
and (translated families) minimisers."""
OWN_DOMAIN = ("funnels", "peaks")
"""Families whose landscapes have a domain of their own (all their wells inside ``[-START,
START]^2``): ``--box domain`` keeps their coordinates. ``peaks`` (many wells, no global
structure; :mod:`rover_envs.landscapes.peaks`) is not a training family and not a default: pass
``--families ... peaks``."""
SIDE_STARTS, SIDE_SCAN = 24, 801
"""``--box side``: the bounded L-BFGS-B search for the box's minimum starts from the
``SIDE_STARTS`` lowest points of a ``SIDE_SCAN x SIDE_SCAN`` grid over the box."""
BOXES = ("minimiser", "domain", "side")
BOX_LINES = {
    "minimiser": f"a box of width {WIDTH:g} around each landscape's minimiser",
    "domain": (
        f"the domain [-{DOMAIN:g}, {DOMAIN:g}]^2, starts uniform in [-{START:g}, {START:g}]^2, "
        f"{', '.join(OWN_DOMAIN)} in its own coordinates (every well inside), every other landscape "
        f"translated to a minimiser uniform in [-{START:g}, {START:g}]^2"
    ),
    "side": (
        f"the domain [-{DOMAIN:g}, {DOMAIN:g}]^2, starts uniform in [-{START:g}, {START:g}]^2, every "
        f"landscape translated to a minimiser {SIDE_GAP[0]:g}-{SIDE_GAP[1]:g} beyond a side (the "
        "constrained optimum on the bound; f_star the box's minimum by multi-start L-BFGS-B)"
    ),
}
REFERENCES = ("shipped", "grid_controller", "nelder_mead", "cma_es")
"""``--references``: the shipped optimiser and baselines (one run each at ``BUDGET`` evaluations,
bounds passed as they are), scored on the landscapes of ``--reference-seeds``."""
BUDGET = 30 * 49 + 1
"""The baselines' evaluations: what the shipped optimiser's 30 iterations cost (BBOB's budget)."""
UNBOUNDED = "none"
"""The reference row's label: the same runs without bounds."""


class Translated:
    """The landscape ``f`` moved by ``shift``: ``Translated(f, s)(x) == f(x - s)``."""

    def __init__(self, f, shift: np.ndarray):
        self.f, self.shift = f, np.asarray(shift, dtype=float)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.f(np.asarray(x, dtype=float) - self.shift)

    def grad(self, x: np.ndarray) -> np.ndarray:
        return self.f.grad(np.asarray(x, dtype=float) - self.shift)

    @property
    def minimum(self) -> tuple[np.ndarray, float]:
        x_star, f_star = self.f.minimum
        return np.asarray(x_star, dtype=float) + self.shift, f_star


def problems(family: str, count: int, seed: int, box: str = "minimiser") -> list[tuple]:
    """``count`` held-out ``(f, f_star, bounds, x0)`` of ``family``, from ``seed`` alone, boxed the
    ``box`` way (``BOXES``; the module's docstring)."""
    if box not in BOXES:
        raise ValueError(f"unknown box {box!r}; choose one of {', '.join(BOXES)}")
    if box == "domain":
        return _domain_problems(family, count, seed)
    if box == "side":
        return _side_problems(family, count, seed)
    rng = np.random.default_rng([seed, sum(map(ord, family))])
    out = []
    for _ in range(count):
        f = make(family, rng=rng)
        x_star = np.asarray(f.minimum[0], dtype=float)
        lo = x_star - rng.uniform(MARGIN, WIDTH - MARGIN, 2)
        bounds = np.stack([lo, lo + WIDTH], axis=-1)
        x0 = rng.uniform(lo + MARGIN, lo + WIDTH - MARGIN)
        out.append((f, float(f.minimum[1]), bounds, x0))
    return out


def _domain_problems(family: str, count: int, seed: int) -> list[tuple]:
    # a stream of its own (the 1 in the key), so the minimiser boxes stay what they were
    rng = np.random.default_rng([seed, sum(map(ord, family)), 1])
    bounds = np.array([[-DOMAIN, DOMAIN], [-DOMAIN, DOMAIN]])
    out = []
    for _ in range(count):
        f = make(family, rng=rng)
        if family not in OWN_DOMAIN:
            f = Translated(f, rng.uniform(-START, START, 2) - np.asarray(f.minimum[0], dtype=float))
        x0 = rng.uniform(-START, START, 2)
        out.append((f, float(f.minimum[1]), bounds.copy(), x0))
    return out


def side_minimum(f, bounds: np.ndarray, x_star: np.ndarray) -> float:
    """The least value of ``f`` in ``bounds`` that bounded L-BFGS-B (with ``f.grad``) finds from the
    projection of ``x_star`` onto the box and the ``SIDE_STARTS`` lowest points of a
    ``SIDE_SCAN``-point grid over it (ripples finer than the scan can hide a lower basin)."""
    axes = [np.linspace(lo, hi, SIDE_SCAN) for lo, hi in bounds]
    scan = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 2)
    lowest = scan[np.argsort(f(scan))[:SIDE_STARTS]]
    starts = [np.clip(x_star, bounds[:, 0], bounds[:, 1]), *lowest]
    return box_minimum(f, bounds, starts, maxiter=2000)[1]


@functools.cache  # the reference search is the costly part; every run of a seed shares it
def _side_problems(family: str, count: int, seed: int) -> list[tuple]:
    rng = np.random.default_rng([seed, sum(map(ord, family)), 2])  # a stream of its own
    bounds = np.array([[-DOMAIN, DOMAIN], [-DOMAIN, DOMAIN]])
    out = []
    for _ in range(count):
        f = make(family, rng=rng)
        axis, sign = rng.integers(2), rng.choice([-1.0, 1.0])
        target = np.empty(2)
        target[axis] = sign * (DOMAIN + rng.uniform(*SIDE_GAP))
        target[1 - axis] = rng.uniform(-START, START)
        f = Translated(f, target - np.asarray(f.minimum[0], dtype=float))
        x0 = rng.uniform(-START, START, 2)
        out.append((f, side_minimum(f, bounds, target), bounds.copy(), x0))
    return out


RESOLUTION = "float64 resolution"
""":func:`evaluate`'s entry of per-landscape floors (:func:`resolution`), beside its rows."""
RESOLVED_STATISTIC = (
    "log10 of the median final normalised regret per family, each landscape's regret floored at what "
    "float64 resolves at its minimiser (lower is better)"
)


def resolution(f, span: float, box: str) -> float:
    """The normalised regret below which float64 resolves nothing on landscape ``f``: the spread of
    its values over the ``7 x 7`` points within three units in the last place of its minimiser in
    each coordinate, over ``span`` (``f(x0) - f_star``), at least ``heldout.FLOOR``. Rounding in
    ``f`` itself (the saddle family's near-singular weights: tens of units in the last place of
    ``f_star``) or a cusp (``kinks`` with ``p < 1``: a step of one unit in the last place of ``x``
    changes ``f`` by far more than 10^-16) sets it; on most landscapes it is the floor. ``side``
    boxes, whose reference is the box's minimum, not the landscape's: ``heldout.FLOOR``."""
    if box == "side":
        return heldout.FLOOR
    x_star = np.asarray(f.minimum[0], dtype=float)
    o = offsets(7)
    grid = np.stack(np.meshgrid(o, o, indexing="ij"), axis=-1).reshape(-1, 2)
    values = f(x_star + grid * np.spacing(np.maximum(np.abs(x_star), 1.0)))
    return max(float(np.ptp(values)) / span, heldout.FLOOR)


def settings(rules: tuple[str, ...], caps: tuple[bool, ...]) -> dict[str, dict]:
    """Row label -> ``minimize`` keywords: each rule with each ``zoom_cap``, and no bounds."""
    out = {
        f"{rule}{'' if cap else ', uncapped'}": {"boundary": rule, "zoom_cap": cap}
        for rule in rules
        for cap in caps
    }
    return {**out, UNBOUNDED: {"bounds": None}}


def _each(rows: dict[str, dict], key: str, values: list | None, label) -> dict[str, dict]:
    """``rows`` once per value in ``values``, ``key`` set to it (rows ``[<row>, label(value)]``);
    None or empty: the rows as they are."""
    if not values:
        return rows
    return {f"{row}, {label(v)}": options | {key: v} for row, options in rows.items() for v in values}


def _each_bounded(rows: dict[str, dict], key: str, values: list | None, label) -> dict[str, dict]:
    """``_each`` on the bounded rows only; the unbounded reference rows (``bounds=None``) stay as
    they are, once each."""
    bounded = {row: options for row, options in rows.items() if options.get("bounds", {}) is not None}
    unbounded = {row: options for row, options in rows.items() if row not in bounded}
    return _each(bounded, key, values, label) | unbounded


def with_metrics(rows: dict[str, dict], metrics: list[str] | None) -> dict[str, dict]:
    """``rows`` once per grid shape in ``metrics`` (``minimize(metric=...)``; rows ``[<row>,
    <metric>]``); None: each policy's own shape, the rows as they are."""
    return _each(rows, "metric", metrics, str)


def with_resolution_scales(rows: dict[str, dict], scales: list[float] | None) -> dict[str, dict]:
    """``rows`` once per initial resolution in ``scales``: delta0 = scale x the length ``RoverDescent``
    guesses from the bounds (``agents.objective.guess_scale``; rows ``[<row>, delta0 <scale> L]``);
    None: ``RoverDescent``'s default (``RESOLUTION_SCALE``)."""
    return _each(rows, "resolution_scale", scales, lambda k: f"delta0 {k:g} L")


def with_step_size_scales(rows: dict[str, dict], scales: list[float] | None) -> dict[str, dict]:
    """``rows`` once per initial step size in ``scales``: alpha0 = scale x the guessed length (rows
    ``[<row>, alpha0 <scale> L]``); None: ``RoverDescent``'s default (``STEP_SIZE_SCALE``)."""
    return _each(rows, "step_size_scale", scales, lambda k: f"alpha0 {k:g} L")


def with_probes(rows: dict[str, dict], counts: list[int] | None) -> dict[str, dict]:
    """``rows`` once per number of probes in ``counts`` (``minimize(probes=...)``; rows ``[<row>,
    probes <k>]``); None: no probes, the rows as they are."""
    return _each(rows, "probes", counts, lambda k: f"probes {k}")


def with_initial_samples(rows: dict[str, dict], values: list | None) -> dict[str, dict]:
    """``rows`` once per ``minimize(initial_samples=...)`` value in ``values`` (rows ``[<row>,
    initial <value>]``); None: none, the rows as they are. A design is drawn in the bounds, so the
    unbounded reference rows stay as they are, once each."""
    return _each_bounded(rows, "initial_samples", values, lambda v: f"initial {v}")


def with_restarts(rows: dict[str, dict], values: list[str] | None) -> dict[str, dict]:
    """``rows`` once per ``minimize(restart=...)`` value in ``values`` (rows ``[<row>, restart
    <value>]``); None: the policy's own, the rows as they are. A restart starts from the design,
    so the unbounded reference rows stay as they are, once each."""
    return _each_bounded(rows, "restart", values, lambda v: f"restart {v}")


def with_lookaheads(rows: dict[str, dict], counts: list[int] | None) -> dict[str, dict]:
    """``rows`` once per ``minimize(restart_lookahead=...)`` in ``counts`` (rows ``[<row>, lookahead
    <k>]``); None: ``RESTART_LOOKAHEAD``, the rows as they are. Only rows that restart (``restart
    design``) are multiplied; the others stay once each."""
    restarting = {row: options for row, options in rows.items() if options.get("restart") == "design"}
    others = {row: options for row, options in rows.items() if row not in restarting}
    return others | _each(restarting, "restart_lookahead", counts, lambda k: f"lookahead {k}")


def with_shrink_powers(rows: dict[str, dict], powers: list[float] | None) -> dict[str, dict]:
    """``rows`` once per ``minimize(shrink_power=...)`` in ``powers`` (rows ``[<row>, shrink^<r>]``);
    None: each policy's own, the rows as they are."""
    return _each(rows, "shrink_power", powers, lambda r: f"shrink^{r:g}")


def with_shrink_below(rows: dict[str, dict], thresholds: list[float] | None) -> dict[str, dict]:
    """``rows`` once per ``minimize(shrink_below=...)`` in ``thresholds`` (rows ``[<row>, shrink below
    <d>]``); None: ``SHRINK_NEAR_CAP``, the rows as they are."""
    return _each(rows, "shrink_below", thresholds, lambda d: f"shrink below {d:g}")


def with_finishes(rows: dict[str, dict], values: list[str] | None) -> dict[str, dict]:
    """``rows`` once per ``minimize(finish=...)`` value in ``values`` (rows ``[<row>, finish
    <value>]``); None: the policy's own, the rows as they are."""
    return _each(rows, "finish", values, lambda v: f"finish {v}")


def with_ftols(rows: dict[str, dict], tolerances: list[float] | None) -> dict[str, dict]:
    """``rows`` once per ``minimize(ftol=...)`` in ``tolerances`` (rows ``[<row>, ftol <t>]``);
    None: the policy's own, the rows as they are."""
    return _each(rows, "ftol", tolerances, lambda t: f"ftol {t:g}")


def with_restart_distances(rows: dict[str, dict], distances: list[float] | None) -> dict[str, dict]:
    """``rows`` once per ``minimize(restart_distance=...)`` in ``distances`` (rows ``[<row>, restart
    distance <d>]``); None: the policy's own, the rows as they are."""
    return _each(rows, "restart_distance", distances, lambda d: f"restart distance {d:g}")


def with_abandons(rows: dict[str, dict], values: list[str] | None) -> dict[str, dict]:
    """``rows`` once per ``minimize(abandon=...)`` value in ``values`` (rows ``[<row>, abandon
    <value>]``, the bounded rows only: the unbounded reference row has no design to restart
    from); None: the policy's own, the rows as they are."""
    return _each_bounded(rows, "abandon", values, lambda v: f"abandon {v}")


def with_descends(rows: dict[str, dict], counts: list[int] | None) -> dict[str, dict]:
    """``rows`` once per ``minimize(descend=k)`` in ``counts`` (rows ``[<row>, descend <k>]``, the
    bounded rows only: it acts under the zoom cap); None: the policy's own, the rows as they are."""
    return _each_bounded(rows, "descend", counts, lambda k: f"descend {k}")


def with_descend_ats(rows: dict[str, dict], fractions: list[float] | None) -> dict[str, dict]:
    """``rows`` once per ``minimize(descend_at=a)`` in ``fractions`` (rows ``[<row>, descend at
    <a>]``, the bounded rows only: it acts under the zoom cap); None: the policy's own, the rows as
    they are."""
    return _each_bounded(rows, "descend_at", fractions, lambda a: f"descend at {a:g}")


def with_explores(rows: dict[str, dict], fractions: list[float] | None) -> dict[str, dict]:
    """``rows`` once per ``minimize(explore=e)`` in ``fractions`` (rows ``[<row>, explore <e>]``, the
    bounded rows only: the unbounded reference row has no design to restart from); None: the
    policy's own, the rows as they are."""
    return _each_bounded(rows, "explore", fractions, lambda e: f"explore {e:g}")


def with_revisits(rows: dict[str, dict], counts: list[int] | None) -> dict[str, dict]:
    """``rows`` once per ``minimize(revisit=k)`` in ``counts`` (rows ``[<row>, revisit <k>]``, the
    bounded rows only: the unbounded reference row has no design to restart from); None: the
    policy's own, the rows as they are."""
    return _each_bounded(rows, "revisit", counts, lambda k: f"revisit {k}")


def with_seeks(rows: dict[str, dict], values: list[str] | None) -> dict[str, dict]:
    """``rows`` once per ``minimize(seek=...)`` value in ``values`` (rows ``[<row>, seek <value>]``,
    the bounded rows only: the unbounded reference row has no design to restart from); None: the
    policy's own, the rows as they are."""
    return _each_bounded(rows, "seek", values, lambda v: f"seek {v}")


def only(rows: dict[str, dict], patterns: list[str] | None) -> dict[str, dict]:
    """The ``rows`` whose label (``[<label>]``, as the tables print it) contains one of ``patterns``
    (None: every row), so that a cross product of options runs only the rows a rule compares."""
    if not patterns:
        return rows
    kept = {row: options for row, options in rows.items() if any(p in f"[{row}]" for p in patterns)}
    if not kept:
        raise ValueError(f"--only {patterns} keeps none of the rows: {', '.join(f'[{r}]' for r in rows)}")
    return kept


def initial_samples_value(text: str) -> int | str:
    """``--initial-samples``' values: a count, or a name in ``agents.rover.INITIAL_SAMPLES``."""
    if text in INITIAL_SAMPLES:
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither a count nor one of {', '.join(INITIAL_SAMPLES)}"
        ) from None


def rows_for(box: str, rows: dict[str, dict]) -> dict[str, dict]:
    """``rows`` without the unbounded reference where the box's minimum is not the landscape's."""
    return {k: v for k, v in rows.items() if not (box == "side" and k == UNBOUNDED)}


def evaluate(
    minimize, seed: int, rows: dict[str, dict], families: tuple[str, ...], landscapes: int, box: str
) -> dict[str, dict[str, np.ndarray]]:
    """``{row: {family: normalised regrets}}`` of ``minimize(fun, x0, **kw)`` on the landscapes of
    ``seed``, ``kw`` the landscape's ``bounds`` updated by each row's keywords (the ``UNBOUNDED`` row
    sets ``bounds=None``, and keeps it under ``with_metrics``' labels), and under ``RESOLUTION``
    each landscape's float64 floor (:func:`resolution`)."""
    out: dict[str, dict[str, np.ndarray]] = {row: {} for row in rows} | {RESOLUTION: {}}
    for family in families:
        regrets: dict[str, list[float]] = {row: [] for row in rows}
        floors = []
        for f, f_star, bounds, x0 in problems(family, landscapes, seed, box):
            fun = lambda x, f=f: f(np.atleast_2d(x))  # noqa: E731
            span = max(float(fun(x0)[0]) - f_star, 1e-300)
            floors.append(resolution(f, span, box))
            for row, options in rows.items():
                kw = {"bounds": bounds} | options
                for scale, start in (("resolution_scale", "resolution"), ("step_size_scale", "step_size")):
                    if scale in kw:
                        kw[start] = kw.pop(scale) * guess_scale(x0, kw["bounds"])
                regrets[row].append((minimize(fun, x0, vectorized=True, **kw).fun - f_star) / span)
        for row in rows:
            out[row][family] = np.maximum(np.array(regrets[row]), heldout.FLOOR)
        out[RESOLUTION][family] = np.array(floors)
    return out


def evaluate_run(
    run: Path,
    rows: dict[str, dict],
    families: tuple[str, ...],
    landscapes: int,
    box: str = "minimiser",
    draw: int = 0,
    settings: str = "trained",
) -> tuple[str, dict[str, dict[str, np.ndarray]]]:
    """``(experiment name, {row: {family: normalised regrets}})`` of one finished run, on its
    held-out set ``draw`` (``heldout.heldout_seed``: 0 the validation set, k > 0 a fresh one), its
    policy on ``settings`` (``RoverDescent.pretrained``'s: ``"trained"``, those it was trained
    with; ``"shipped"``, the deployment settings of the shipped policy for bounded problems)."""
    cfg = load(DDPGExperiment, run / "config.yaml")
    rover = RoverDescent.pretrained(run / "rover_policy.pt", settings=settings)
    seed = heldout.heldout_seed(cfg.seed, cfg.eval.seed_offset, draw)
    return cfg.name, evaluate(rover.minimize, seed, rows, families, landscapes, box)


def ensemble_optimisers(runs: list[Path]) -> dict[str, tuple[RoverDescent, int]]:
    """Experiment name -> (the optimiser of its runs' ensemble, the number of runs), for every
    experiment with at least two of ``runs`` (``RoverPolicy.ensemble``; on the settings each was
    trained with, as ``evaluate_run``'s policies)."""
    groups: dict[str, list[Path]] = {}
    for run in runs:
        groups.setdefault(load(DDPGExperiment, run / "config.yaml").name, []).append(run)
    out = {}
    for name, group in groups.items():
        if len(group) > 1:
            policies = [RoverPolicy.load(run / "rover_policy.pt") for run in group]
            out[name] = RoverDescent(RoverPolicy.ensemble(policies, [run.name for run in group])), len(group)
    return out


def reference(name: str):
    """``--references``' optimiser ``name`` as ``minimize(fun, x0, **kw)``: the shipped optimiser
    (its policy for bounded problems under bounds) or a baseline at the BBOB budget."""
    if name == "shipped":
        return RoverDescent.pretrained().minimize
    method = BASELINES[name]
    return lambda fun, x0, **kw: method(fun, x0, max_evals=BUDGET, **kw)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, help="sweep folders or run folders")
    parser.add_argument(
        "--references",
        nargs="*",
        default=[],
        choices=REFERENCES,
        help="also score these optimisers (rows '<name> [bounds]')",
    )
    parser.add_argument(
        "--reference-seeds",
        nargs="+",
        type=int,
        default=[0, 1, 2],
        help="the references' landscapes: those of runs with these seeds",
    )
    parser.add_argument("--boundary", nargs="+", default=list(BOUNDARIES), choices=list(BOUNDARIES))
    parser.add_argument(
        "--zoom-cap", choices=("on", "off", "both"), default="both", help="zoom_cap of the bounded rows"
    )
    parser.add_argument(
        "--settings",
        choices=SETTINGS,
        default="trained",
        help="run each run folder's policy on the settings it was trained with (default), or on the "
        "shipped deployment settings (RoverDescent.pretrained(settings='shipped'): every setting the "
        "shipped policy for bounded problems runs with, grid shape, boundary, design, restarts, late "
        "zoom, finish, abandon, descend and explore), so that a row with no option of its own is the shipped "
        "optimiser",
    )
    parser.add_argument(
        "--box", choices=BOXES, default="minimiser", help="how a landscape is boxed (the module's docstring)"
    )
    parser.add_argument(
        "--guard",
        choices=GUARDS,
        default=None,
        help="run every policy under this zoom guard (default: the guard each was trained with)",
    )
    parser.add_argument(
        "--metric",
        nargs="+",
        default=None,
        choices=METRICS,
        help="run every policy on each of these grid shapes (rows '[<rule>, <metric>]'; default: "
        "each policy's own)",
    )
    parser.add_argument("--families", nargs="+", default=list(FAMILIES))
    parser.add_argument("--landscapes", type=int, default=50, help="per family (default 50)")
    parser.add_argument(
        "--resolution-scale",
        nargs="+",
        type=float,
        default=None,
        help="run every policy from each of these initial resolutions, delta0 = scale x L (L the "
        "length guessed from the bounds; default: RoverDescent's RESOLUTION_SCALE)",
    )
    parser.add_argument(
        "--step-size-scale",
        nargs="+",
        type=float,
        default=None,
        help="run every policy from each of these initial step sizes, alpha0 = scale x L (default: "
        "RoverDescent's STEP_SIZE_SCALE)",
    )
    parser.add_argument(
        "--probes",
        nargs="+",
        type=int,
        default=None,
        help="run every policy with each of these numbers of probes (RoverDescent.minimize(probes=...); "
        "default: none)",
    )
    parser.add_argument(
        "--initial-samples",
        nargs="+",
        type=initial_samples_value,
        default=None,
        help="run every policy with each of these initial designs (RoverDescent.minimize("
        f"initial_samples=...): a count, or one of {', '.join(INITIAL_SAMPLES)} ('spare': the "
        "evaluations --max-evals leaves over); rows '[<row>, initial <value>]'; default: none)",
    )
    parser.add_argument(
        "--restart",
        nargs="+",
        choices=RESTARTS,
        default=None,
        help="run every policy with each of these restart rules (RoverDescent.minimize(restart=...); "
        "'design' needs --initial-samples; rows '[<row>, restart <value>]'; default: each policy's own)",
    )
    parser.add_argument(
        "--restart-lookahead",
        nargs="+",
        type=int,
        default=None,
        help="run every restarting row with each of these look-aheads (minimize(restart_lookahead=...); "
        "rows '[<row>, lookahead <k>]'; default: RESTART_LOOKAHEAD)",
    )
    parser.add_argument(
        "--shrink-power",
        nargs="+",
        type=float,
        default=None,
        help="run every policy with each of these shrink powers (minimize(shrink_power=...); rows "
        "'[<row>, shrink^<r>]'; default: each policy's own)",
    )
    parser.add_argument(
        "--shrink-below",
        nargs="+",
        type=float,
        default=None,
        help="run every policy with each of these shrink thresholds (minimize(shrink_below=...); rows "
        "'[<row>, shrink below <d>]'; default: SHRINK_NEAR_CAP)",
    )
    parser.add_argument(
        "--finish",
        nargs="+",
        choices=FINISHES,
        default=None,
        help="run every policy with each of these finishes (minimize(finish=...); rows '[<row>, finish "
        "<value>]'; default: each policy's own)",
    )
    parser.add_argument(
        "--ftol",
        nargs="+",
        type=float,
        default=None,
        help="run every policy with each of these flat-grid tolerances (minimize(ftol=...); rows "
        "'[<row>, ftol <t>]'; default: each policy's own)",
    )
    parser.add_argument(
        "--restart-distance",
        nargs="+",
        type=float,
        default=None,
        help="run every policy with each of these restart distances (minimize(restart_distance=...), a "
        "fraction of the box's smallest width; rows '[<row>, restart distance <d>]'; default: each "
        "policy's own)",
    )
    parser.add_argument(
        "--abandon",
        nargs="+",
        choices=ABANDONS,
        default=None,
        help="run every policy with each of these (minimize(abandon=...): 'model' gives up a schedule "
        "whose basin bottoms out above the best value found; rows '[<row>, abandon <value>]'; needs "
        "--restart converged or --settings shipped; default: each policy's own)",
    )
    parser.add_argument(
        "--descend",
        nargs="+",
        type=int,
        default=None,
        help="run every bounded row with each of these (minimize(descend=k): after k iterations stalled "
        "at a wide zoom, a schedule halves alpha and delta from there on; 0: off; rows '[<row>, descend "
        "<k>]'; default: each policy's own)",
    )
    parser.add_argument(
        "--descend-at",
        nargs="+",
        type=float,
        default=None,
        help="run every bounded row with each of these (minimize(descend_at=a): the fraction of the zoom "
        "cap, in [0, 1], at or above which a stall counts for descend; rows '[<row>, descend at <a>]'; "
        "default: each policy's own, 0.25 under --settings shipped, else 0.5)",
    )
    parser.add_argument(
        "--explore",
        nargs="+",
        type=float,
        default=None,
        help="run every bounded row with each of these (minimize(explore=e): a schedule whose grid "
        "shows a quadratic basin once delta is below e of its first value is parked, a restart from the "
        "design takes its iterations, and the lowest parked schedule resumes for the last ones; 0: off; "
        "rows '[<row>, explore <e>]'; needs --restart converged or --settings shipped; default: each "
        "policy's own)",
    )
    parser.add_argument(
        "--revisit",
        nargs="+",
        type=int,
        default=None,
        help="run every bounded row with each of these (minimize(revisit=k): on a design that slopes "
        "toward its lowest point, up to k restarts go first to the lowest point the iterate jumped away "
        "from, at a quarter of the zoom it left at; 0: off; rows '[<row>, revisit <k>]', appended last; "
        "needs --restart converged or --settings shipped; default: each policy's own)",
    )
    parser.add_argument(
        "--seek",
        nargs="+",
        choices=SEEKS,
        default=None,
        help="run every bounded row with each of these (minimize(seek=...): 'model', before each restart "
        "from the design, one evaluation at the bottom of a quadratic fitted to every sample so far, "
        "where the restart starts instead when that value is lower than the best found; 'grid', once, "
        "where the design slopes and that quadratic explains SEEK_R2 of the samples' variance, a schedule "
        "at its bottom at the zoom where the ending schedule first saw a bowl; 'none': off; "
        "rows '[<row>, seek <value>]', appended last; needs --restart converged or --settings shipped; "
        "default: each policy's own)",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        default=None,
        help="run only the rows whose label, as printed ('[penalty, ..., ftol 0]'), contains one of "
        "these strings (default: every row)",
    )
    parser.add_argument(
        "--max-evals",
        type=int,
        default=None,
        help="run every policy under this evaluation budget (minimize(max_evals=...); default: none, "
        "each policy's horizon in iterations)",
    )
    parser.add_argument(
        "--ensemble",
        action="store_true",
        help="also run, on each run's landscapes, the ensemble of every given run of its experiment "
        "(RoverPolicy.ensemble, the mean of their actions; rows '[<row>, ensemble of N]', which hold "
        "the same runs as the single-policy rows, so python -m experiments.decide --paired compares them)",
    )
    heldout.add_draw_argument(parser)
    parser.add_argument("--out", type=Path, default=None, help="write the markdown here")
    parser.add_argument(
        "--json",
        type=Path,
        default=None,
        help="write the per-run values here, for python -m experiments.decide",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    caps = {"on": (True,), "off": (False,), "both": (True, False)}[args.zoom_cap]
    rows, families = rows_for(args.box, settings(tuple(args.boundary), caps)), tuple(args.families)
    if args.guard is not None:  # the runs' rows only: the references have no guard to override
        rows = {row: options | {"guard": args.guard} for row, options in rows.items()}
    rows = with_metrics(rows, args.metric)  # the runs' rows only, as the guard
    rows = with_resolution_scales(rows, args.resolution_scale)
    rows = with_step_size_scales(rows, args.step_size_scale)
    rows = with_probes(rows, args.probes)
    rows = with_initial_samples(rows, args.initial_samples)
    rows = with_restarts(rows, args.restart)
    rows = with_lookaheads(rows, args.restart_lookahead)
    rows = with_shrink_powers(rows, args.shrink_power)
    rows = with_shrink_below(rows, args.shrink_below)
    rows = with_finishes(rows, args.finish)
    rows = with_ftols(rows, args.ftol)
    if args.restart_distance and not any(o.get("restart") in ("design", "converged") for o in rows.values()):
        parser.error(
            "--restart-distance only matters where a row restarts: run folders load each policy with its "
            "trained settings (no restart), so pass --restart converged (or design)"
        )
    rows = with_restart_distances(rows, args.restart_distance)
    rows = with_abandons(rows, args.abandon)
    if args.descend and min(args.descend) < 0:
        parser.error(f"--descend takes iteration counts >= 0 (0: off); got {args.descend}")
    rows = with_descends(rows, args.descend)
    if args.explore and min(args.explore) < 0:
        parser.error(f"--explore takes fractions >= 0 (0: off); got {args.explore}")
    rows = with_explores(rows, args.explore)
    if args.descend_at and not all(0.0 <= a <= 1.0 for a in args.descend_at):
        parser.error(f"--descend-at takes fractions of the zoom cap in [0, 1]; got {args.descend_at}")
    rows = with_descend_ats(rows, args.descend_at)
    if args.revisit and min(args.revisit) < 0:
        parser.error(f"--revisit takes restart counts >= 0 (0: off); got {args.revisit}")
    rows = with_revisits(rows, args.revisit)
    rows = with_seeks(rows, args.seek)  # last: the rows' labels end with it
    try:
        rows = only(rows, args.only)
    except ValueError as error:
        parser.error(str(error))
    restarts = args.settings == "shipped" or any(o.get("restart") == "converged" for o in rows.values())
    if args.abandon and set(args.abandon) != {"none"} and not restarts:
        parser.error(
            "--abandon model gives a schedule's iterations to a restart: run folders load each policy "
            "with its trained settings (no restart), so pass --restart converged or --settings shipped"
        )
    if args.explore and any(args.explore) and not restarts:
        parser.error(
            "--explore parks a schedule to restart from the design: run folders load each policy with its "
            "trained settings (no restart), so pass --restart converged or --settings shipped"
        )
    if args.revisit and any(args.revisit) and not restarts:
        parser.error(
            "--revisit spends restarts on points the iterate left: run folders load each policy with its "
            "trained settings (no restart), so pass --restart converged or --settings shipped"
        )
    if args.seek and set(args.seek) != {"none"} and not restarts:
        parser.error(
            "--seek model and grid move a restart from the design: run folders load each policy with its "
            "trained settings (no restart), so pass --restart converged or --settings shipped"
        )
    if args.max_evals is not None:  # the runs' rows only: the references run at the BBOB budget
        rows = {row: options | {"max_evals": args.max_evals} for row, options in rows.items()}
    if not args.folders and not args.references:
        parser.error("give run or sweep folders, --references, or both")
    runs = find_runs(args.folders) if args.folders else []
    results: dict[str, dict[tuple[str, str], list[dict]]] = {"median": {}, "resolved": {}, "solved": {}}
    members: dict[tuple[str, str], list[str]] = {}  # row -> the run (or reference seed) of each value
    names = []

    def collect(name: str, out: dict[str, dict[str, np.ndarray]], member: str) -> None:
        floors = out[RESOLUTION]
        for label in (label for label in out if label != RESOLUTION):
            members.setdefault((name, label), []).append(member)
            results["median"].setdefault((name, label), []).append(
                {f: float(np.log10(np.median(out[label][f]))) for f in families}
            )
            results["resolved"].setdefault((name, label), []).append(
                {f: float(np.log10(np.median(np.maximum(out[label][f], floors[f])))) for f in families}
            )
            results["solved"].setdefault((name, label), []).append(
                {f: float(np.mean(out[label][f] < heldout.SOLVED)) for f in families}
            )

    offset = HeldoutConfig().seed_offset
    ensembles = ensemble_optimisers(runs) if args.ensemble else {}
    for run in tqdm(runs, desc="runs", unit="run"):
        name, out = evaluate_run(run, rows, families, args.landscapes, args.box, args.draw, args.settings)
        names.append(name)
        collect(name, out, run.name)
        if name in ensembles:
            rover, size = ensembles[name]
            labelled = {f"{row}, ensemble of {size}": options for row, options in rows.items()}
            seed = heldout.heldout_seed(load(DDPGExperiment, run / "config.yaml").seed, offset, args.draw)
            collect(
                name, evaluate(rover.minimize, seed, labelled, families, args.landscapes, args.box), run.name
            )
    for name in args.references:
        minimize = reference(name)  # the shipped weights load once
        for seed in tqdm(args.reference_seeds, desc=name, unit="seed"):
            landscapes = heldout.heldout_seed(seed, offset, args.draw)
            out = evaluate(minimize, landscapes, {"bounds": {}}, families, args.landscapes, args.box)
            collect(name, out, f"{name} seed {seed}")
        names.append(name)
    labels = variant_labels(names)
    row = {key: f"{labels[key[0]]} [{key[1]}]" for key in members}
    results = {
        statistic: {row[key]: runs for key, runs in by_row.items()} for statistic, by_row in results.items()
    }
    lines = [
        "# Validation under bounds, on held-out training landscapes",
        "",
        f"`python -m experiments.bounded {' '.join(argv if argv is not None else sys.argv[1:])}`: "
        + BOX_LINES[args.box]
        + f", {args.landscapes} landscapes per family"
        + (f", held-out draw {args.draw} (a fresh set)" if args.draw else "")
        + (f"; rows `[{UNBOUNDED}...]` run without bounds" if UNBOUNDED in rows else "")
        + ". No test function is involved.",
    ]
    described = STATISTICS | {"resolved": RESOLVED_STATISTIC}
    for statistic in ("median", "resolved", "solved"):
        lines += ["", f"## {described[statistic]}", "", *table(results[statistic], families)]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)
    if args.json:
        runs_of = {row[key]: runs for key, runs in members.items()}
        write_values(args.json, "experiments.bounded", argv, args.draw, families, results, runs_of)
    return results


if __name__ == "__main__":
    cli(main)
