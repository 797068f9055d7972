"""Validate the learned optimiser under bounds, on held-out training landscapes only.

    python -m experiments.bounded runs/sweeps/metric_floor [--boundary clip reflect] [--out F]

The environment has no bounds; the test sets (BBOB's [-5, 5]^2, the six functions' boxes) all
pass ``bounds=`` to ``RoverDescent``, which must keep every evaluation inside. This measures what
that costs and compares the ways of keeping to the box (``RoverDescent.minimize(boundary=...)``)
on held-out landscapes of the training distribution (seeded ``seed + eval.seed_offset`` as in
:mod:`experiments.validate`, so the same landscapes for every rule; never a test function):
each landscape gets a box of width ``WIDTH`` in which its minimiser lies uniformly at least
``MARGIN`` from every side, a start uniform at least ``MARGIN`` inside the box, and
``RoverDescent`` runs with its defaults (initial alpha and delta from the bounds, the policy's
move rule, grid shape and horizon), once per rule with and without ``zoom_cap`` (rows ``[rule]``
and ``[rule, uncapped]``), and once without bounds as a reference row.

Cells: log10 of the median final normalised regret (best value found, as ``minimize`` returns
it) and the fraction solved (below ``heldout.SOLVED``), per family, mean ± std over runs
(seeds); runs are grouped by experiment name (a sweep's variants).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from agents.rover import BOUNDARIES, RoverDescent
from experiments import heldout
from experiments.config import load
from experiments.runs import cli
from experiments.schemas import DDPGExperiment
from experiments.validate import STATISTICS, find_runs, table, variant_labels
from rover_envs.core import BOX_MARGIN, BOX_WIDTH
from rover_envs.landscapes import make

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
UNBOUNDED = "none"
"""The reference row's label: the same runs without bounds."""


def problems(family: str, count: int, seed: int) -> list[tuple]:
    """``count`` held-out ``(f, f_star, bounds, x0)`` of ``family``, from ``seed`` alone."""
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


def settings(rules: tuple[str, ...], caps: tuple[bool, ...]) -> dict[str, dict]:
    """Row label -> ``minimize`` keywords: each rule with each ``zoom_cap``, and no bounds."""
    out = {
        f"{rule}{'' if cap else ', uncapped'}": {"boundary": rule, "zoom_cap": cap}
        for rule in rules
        for cap in caps
    }
    return {**out, UNBOUNDED: {}}


def evaluate_run(
    run: Path, rows: dict[str, dict], families: tuple[str, ...], landscapes: int
) -> tuple[str, dict[str, dict[str, np.ndarray]]]:
    """``(experiment name, {row: {family: normalised regrets}})`` of one finished run."""
    cfg = load(DDPGExperiment, run / "config.yaml")
    rover = RoverDescent.pretrained(run / "rover_policy.pt")
    out: dict[str, dict[str, np.ndarray]] = {row: {} for row in rows}
    for family in families:
        probs = problems(family, landscapes, cfg.seed + cfg.eval.seed_offset)
        regrets: dict[str, list[float]] = {row: [] for row in rows}
        for f, f_star, bounds, x0 in probs:
            fun = lambda x, f=f: f(np.atleast_2d(x))  # noqa: E731
            span = max(float(fun(x0)[0]) - f_star, 1e-300)
            for row, options in rows.items():
                kw = {"bounds": bounds, **options} if options else {}
                regrets[row].append((rover.minimize(fun, x0, vectorized=True, **kw).fun - f_star) / span)
        for row in rows:
            out[row][family] = np.maximum(np.array(regrets[row]), heldout.FLOOR)
    return cfg.name, out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path, help="sweep folders or run folders")
    parser.add_argument("--boundary", nargs="+", default=list(BOUNDARIES), choices=list(BOUNDARIES))
    parser.add_argument(
        "--zoom-cap", choices=("on", "off", "both"), default="both", help="zoom_cap of the bounded rows"
    )
    parser.add_argument("--families", nargs="+", default=list(FAMILIES))
    parser.add_argument("--landscapes", type=int, default=50, help="per family (default 50)")
    parser.add_argument("--out", type=Path, default=None, help="write the markdown here")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    caps = {"on": (True,), "off": (False,), "both": (True, False)}[args.zoom_cap]
    rows, families = settings(tuple(args.boundary), caps), tuple(args.families)
    runs = find_runs(args.folders)
    results: dict[str, dict[tuple[str, str], list[dict]]] = {"median": {}, "solved": {}}
    names = []
    for run in tqdm(runs, desc="runs", unit="run"):
        name, out = evaluate_run(run, rows, families, args.landscapes)
        names.append(name)
        for label in rows:
            results["median"].setdefault((name, label), []).append(
                {f: float(np.log10(np.median(out[label][f]))) for f in families}
            )
            results["solved"].setdefault((name, label), []).append(
                {f: float(np.mean(out[label][f] < heldout.SOLVED)) for f in families}
            )
    labels = variant_labels(names)
    results = {
        statistic: {f"{labels[name]} [{label}]": runs for (name, label), runs in by_row.items()}
        for statistic, by_row in results.items()
    }
    lines = [
        "# Validation under bounds, on held-out training landscapes",
        "",
        f"`python -m experiments.bounded {' '.join(argv if argv is not None else sys.argv[1:])}`: a "
        f"box of width {WIDTH:g} around each landscape's minimiser, {args.landscapes} landscapes per "
        f"family; rows `[{UNBOUNDED}]` run without bounds. No test function is involved.",
    ]
    for statistic in ("median", "solved"):
        lines += ["", f"## {STATISTICS[statistic]}", "", *table(results[statistic], families)]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)
    return results


if __name__ == "__main__":
    cli(main)
