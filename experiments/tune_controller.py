"""Choose the grid controller's defaults on training-distribution landscapes (never a test function).

    python -m experiments.tune_controller [--landscapes 40] [--out results/grid_controller.md]

Validation set: ``--landscapes`` held-out landscapes of each family of the ``all_rippled`` mixture
(the paper's four and the rippled bowl), drawn from a seed stream no training uses, each started
by its family's rule. Every point of ``TUNING_GRIDS["grid_controller"]`` runs, for each direction
provider, with the headline budget (1471 evaluations: 30 iterations of a 7x7 grid and one more).
The score is anytime, like BBOB's: the fraction of (landscape, target) pairs reached, targets
10^0 ... 10^-8 on the normalised regret ``(f_best - f*) / (f(x0) - f*)`` (five per decade), after
150, 500 and 1471 evaluations, averaged over budgets and families (higher is better; a plain
final-regret score saturates at machine precision on these landscapes). The best point of the
angle-network controller is ``grid_controller``'s default.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from agents.baselines import TUNING_GRIDS, grid_controller
from agents.baselines.tuning import grid_search
from experiments.anytime import Trace, fraction_reached
from experiments.runs import cli
from rover_envs.core import sample_start
from rover_envs.landscapes import make
from rover_envs.landscapes.families import MIXTURES

BUDGETS = (150, 500, 30 * 49 + 1)
TARGETS = 10.0 ** np.linspace(0, -8, 41)
VALIDATION_SEED = 7_000_003  # away from training (seed + small offsets) and held-out (1_000_003) streams


def validation_set(landscapes: int, seed: int = VALIDATION_SEED) -> dict[str, list]:
    """``{family: [(landscape, x0, f_star, f(x0))]}`` for every family of ``all_rippled``."""
    out = {}
    for k, family in enumerate(MIXTURES["all_rippled"]):
        rng = np.random.default_rng([seed, k])
        items = []
        for _ in range(landscapes):
            f = make(family, rng=rng)
            x0 = sample_start(f, f.minimum[0], rng)
            items.append((f, x0, f.minimum[1], float(f(x0))))
        out[family] = items
    return out


def evaluate(params: dict, problems: dict[str, list]) -> dict[str, np.ndarray]:
    """Per family: the fraction of (landscape, target) pairs reached at each of ``BUDGETS``."""
    out = {}
    for family, items in problems.items():
        errors = []
        for f, x0, f_star, f0 in items:
            trace = Trace(f)
            grid_controller(trace, x0, vectorized=True, max_evals=BUDGETS[-1], max_iter=10**6, **params)
            errors.append((trace.best_at(BUDGETS) - f_star) / max(f0 - f_star, 1e-300))
        out[family] = fraction_reached(np.array(errors), TARGETS)
    return out


def score(reached: dict[str, np.ndarray]) -> float:
    """Mean fraction reached over families and budgets (higher is better)."""
    return float(np.mean([r for r in reached.values()]))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landscapes", type=int, default=40, help="held-out landscapes per family")
    parser.add_argument("--out", type=Path, help="write the table here (markdown)")
    args = parser.parse_args(argv)
    problems = validation_set(args.landscapes)
    families = list(problems)
    found = {}
    for direction in ("angle_net", "quadratic_fit"):
        found[direction] = grid_search(
            lambda g, d=direction: evaluate({**g, "direction": d}, problems),
            TUNING_GRIDS["grid_controller"],
            score=lambda r: -score(r),
        )
        print(
            f"{direction}: best {found[direction].best}, score {score(found[direction].value):.3f}",
            flush=True,
        )
    lines = [
        f"# Grid controller: defaults chosen on training landscapes ({args.landscapes} per family)",
        "",
        "`python -m experiments.tune_controller`: validation landscapes of the `all_rippled` families "
        f"(seed stream {VALIDATION_SEED}, no test function). Cells: the fraction of (landscape, target) "
        f"pairs reached after {BUDGETS[-1]} evaluations, targets 1e0 ... 1e-8 on the normalised regret; "
        f"score: the same averaged over the budgets {', '.join(map(str, BUDGETS))} and the families "
        "(higher is better).",
        "",
        "| direction | step_size | resolution_ratio | " + " | ".join(families) + " | score |",
        "|---|---:|---:|" + "---:|" * (len(families) + 1),
    ]
    for direction, search in found.items():
        for g, reached in search.table:
            s = f"{score(reached):.3f}"
            cells = " | ".join(f"{reached[f][-1]:.2f}" for f in families)
            best = f"**{s}**" if g == search.best else s
            lines.append(f"| {direction} | {g['step_size']} | {g['resolution_ratio']} | {cells} | {best} |")
    best = found["angle_net"].best
    lines += [
        "",
        f"Default (angle-network controller): step_size {best['step_size']}, resolution_ratio "
        f"{best['resolution_ratio']}; with the quadratic fit the best is {found['quadratic_fit'].best}.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text)
    return {d: {"best": s.best, "score": score(s.value)} for d, s in found.items()}


if __name__ == "__main__":
    cli(main)
