"""Angle networks against the best teacher at the zooms the optimiser visits (``results/angle_zooms.md``)

    python -m experiments.angle_zooms --net shipped=agents/pretrained/angle_net.pt \
        --net wide=runs/angle_wide/angle_net.pt [--points 400] [--out results/angle_zooms.md]

The shipped network was trained on grids at a resolution delta of 0.02-0.3 times the distance
d to the minimiser, but episodes start as low as delta/d = 0.005 and the warm-start teacher
drives delta towards 0.6 d. For each network this measures the median and mean angle (degrees)
between its direction and the best teacher's (:func:`rover_envs.directions.best_teacher_move`)
at delta/d from 0.005 to 1, on

* **validation**: held-out landscapes of the paper's four families and of the project's own
  generated ones (rippled, ill_conditioned, multiscale), seeded away from every training stream
  -- what a network is chosen on;
* **test**: the paper's six test functions (points uniform in the middle half of the domain) --
  reported once, never used to choose.

Every network sees the same points and landscapes (same seed).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from experiments.evaluation.diagnostics import direction_errors
from experiments.runs import cli, print_report
from rover_envs.angle_net import FrozenAngleNet
from rover_envs.landscapes import EXTRA_FAMILIES, FAMILY_NAMES, FUNCTIONS

ZOOMS = (0.005, 0.02, 0.1, 0.3, 0.6, 1.0)
VALIDATION = (*FAMILY_NAMES, *EXTRA_FAMILIES)
SEED = 7_000_003


def measure(nets: dict[str, FrozenAngleNet], points: int, seed: int = SEED) -> dict:
    """``{net: {"median"|"mean": {problem: {zoom: degrees}}}}`` for validation and test problems."""
    out = {}
    for label, net in nets.items():
        out[label] = {
            stat.__name__: direction_errors(
                net, net.grid_size, seed, points, ZOOMS, (*VALIDATION, *FUNCTIONS), stat=stat
            )
            for stat in (np.median, np.mean)
        }
    return out


def _block(results: dict, names, stat: str) -> list[str]:
    labels = list(results)
    lines = [
        "| problem | net | " + " | ".join(f"δ/d={z:g}" for z in ZOOMS) + " | all zooms |",
        "|---|---|" + "---:|" * (len(ZOOMS) + 1),
    ]
    for name in names:
        for label in labels:
            row = results[label][stat][name]
            cells = " | ".join(f"{row[z]:.1f}" for z in ZOOMS)
            lines.append(f"| {name} | {label} | {cells} | {np.mean(list(row.values())):.1f} |")
    lines += [f"| **mean** | {_mean_row(results, label, names, stat)} |" for label in labels]
    return lines


def _mean_row(results: dict, label: str, names, stat: str) -> str:
    per_zoom = [np.mean([results[label][stat][n][z] for n in names]) for z in ZOOMS]
    return f"{label} | " + " | ".join(f"{v:.1f}" for v in per_zoom) + f" | {np.mean(per_zoom):.1f}"


def report(results: dict, points: int, paths: dict[str, str]) -> str:
    nets = ", ".join(f"`{label}` = `{path}`" for label, path in paths.items())
    lines = [
        "# Angle networks at the zooms the optimiser visits",
        "",
        f"`python -m experiments.angle_zooms {' '.join(f'--net {k}={v}' for k, v in paths.items())}`: "
        f"{nets}. Angle (degrees) between each network's direction and the best teacher's at "
        f"{points} points per problem, at grid resolution δ = zoom × the distance d to the minimiser. "
        "Validation rows (held-out training-distribution landscapes) are what a network is chosen on; "
        "the test functions are reported, never used to choose.",
        "",
    ]
    for stat in ("median", "mean"):
        lines += [f"## Validation, {stat}", "", *_block(results, VALIDATION, stat), ""]
    for stat in ("median", "mean"):
        lines += [f"## Test functions (reported only), {stat}", "", *_block(results, FUNCTIONS, stat), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--net",
        action="append",
        metavar="NAME=PATH",
        help="an angle network's weights (repeatable); default: the shipped one",
    )
    parser.add_argument("--points", type=int, default=400)
    parser.add_argument("--out", type=Path, default=Path("results/angle_zooms.md"))
    args = parser.parse_args(argv)
    paths = {}
    for item in args.net or ["shipped=agents/pretrained/angle_net.pt"]:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            parser.error(f"--net takes NAME=PATH; got {item!r}")
        paths[name] = path
    nets = {name: FrozenAngleNet.load(path) for name, path in paths.items()}
    results = measure(nets, args.points)
    text = report(results, args.points, paths)
    print_report(text, args.out)
    return results


if __name__ == "__main__":
    cli(main)
