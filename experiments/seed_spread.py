"""The learned optimiser's test-function rows from several weights of one recipe.

    python -m experiments.seed_spread agents/pretrained/rover_box.pt runs/sweeps/guard/*guard-guard__[12]_* \
        [--settings trained|shipped] [--seek none|model|grid] [--baselines results/evaluation.csv] \
        [--runs 20] [--out results/seed_spread.md]

A row of ``make evaluate`` comes from one set of weights; two seeds of the same recipe can differ
by more than a recipe change does (Rastrigin's global basin moved 6 of 20 between single seeds).
This runs each given policy, with the default initial alpha and delta, on the paper's six test
functions from the same perturbed starts as ``make evaluate`` (same seeds, same runs), and scores
it against the tuned baselines' medians at 30 iterations that ``make evaluate`` wrote to
``--baselines``: best or within 2x of the best, Rastrigin's global basin, and no divergence. It
never chooses among the weights: it reports the spread of a recipe already chosen on validation
landscapes. Each argument is a policy file or a run folder (its ``rover_policy.pt``), run on the
grid shape and boundary rule it was trained with, or with ``--settings shipped`` on the shipped
optimiser's (``RoverDescent.pretrained(settings=...)``).
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
from tqdm import tqdm

from agents.rover import SEEKS, SETTINGS, RoverDescent
from experiments.evaluation.runs import (
    BASELINE_NAMES,
    BASIN,
    EVAL_SEED,
    PROBLEMS,
    _rover_runs,
    basin_hits,
    problems,
    within_2x,
)
from rover_envs.landscapes import FUNCTIONS


def weights_path(item: Path) -> Path:
    """A policy file, or a run folder's finished ``rover_policy.pt``."""
    path = item / "rover_policy.pt" if item.is_dir() else item
    if not path.is_file():
        raise SystemExit(f"{item}: not a policy file, nor a run folder with a finished rover_policy.pt")
    return path


def baseline_medians(csv_path: Path) -> dict[str, dict[str, float]]:
    """``{function: {baseline: median final regret at 30 iterations}}`` from ``make evaluate``'s csv."""
    if not csv_path.is_file():
        raise SystemExit(f"{csv_path}: no such file; run `make evaluate` first (it writes evaluation.csv)")
    out: dict[str, dict[str, float]] = {}
    with csv_path.open() as fh:
        for row in csv.DictReader(fh):
            if row["problem"] in FUNCTIONS and row["optimizer"] in BASELINE_NAMES:
                out.setdefault(row["problem"], {})[row["optimizer"]] = float(
                    row["median_regret_30_iterations"]
                )
    missing = [n for n in FUNCTIONS if set(out.get(n, {})) != set(BASELINE_NAMES)]
    if missing:
        raise SystemExit(f"{csv_path}: no tuned baseline rows for {missing}; rerun `make evaluate`")
    return out


def score(rover: RoverDescent, functions: list[str], runs: int) -> dict[str, dict]:
    """Per function: the final regrets and the runs whose best value is not below the start's."""
    out = {}
    for name in functions:
        probs = problems(name, runs, np.random.default_rng(EVAL_SEED + PROBLEMS.index(name)))
        results = _rover_runs(rover, probs)
        regrets = np.array([r.fun - p.f_star for r, p in zip(results, probs)])
        stuck = sum(int(r.fun >= r.history["fun"][0]) for r in results)
        out[name] = {"regrets": regrets, "median": float(np.median(regrets)), "stuck": stuck}
    return out


def report(rows: dict[str, dict], baselines: dict[str, dict[str, float]], runs: int) -> list[str]:
    """A markdown table: one row per set of weights, then the spread over them."""
    functions = list(next(iter(rows.values())))
    best = {n: min(baselines[n].values()) for n in functions}
    lines = [
        "| weights | " + " | ".join(functions) + " | within 2x | Rastrigin basin | no divergence |",
        "|---|" + "---:|" * (len(functions) + 3),
    ]
    within_counts, basins = [], []
    for label, res in rows.items():
        within = [n for n in functions if within_2x(res[n]["median"], best[n])]
        within_counts.append(len(within))
        cells = [
            f"**{res[n]['median']:.2g}**" if n in within else f"{res[n]['median']:.2g}" for n in functions
        ]
        basin = basin_hits(res["rastrigin"]["regrets"]) if "rastrigin" in res else None
        basins.append(basin)
        runs_total = runs * len(functions)
        stuck = sum(res[n]["stuck"] for n in functions)
        lines.append(
            f"| {label} | "
            + " | ".join(cells)
            + f" | {len(within)} of {len(functions)} | "
            + (f"{basin} of {runs}" if basin is not None else "–")
            + f" | {runs_total - stuck} of {runs_total} |"
        )
    lines.append("| best tuned baseline | " + " | ".join(f"{best[n]:.2g}" for n in functions) + " | | | |")
    lines += [
        "",
        f"Bold: best or within 2x of the best tuned baseline's median at 30 iterations. Over the "
        f"{len(rows)} weights: within 2x on {min(within_counts)}-{max(within_counts)} of {len(functions)} "
        "functions"
        + (
            f", Rastrigin's global basin (final regret < {BASIN}) from {min(basins)}-{max(basins)} of {runs} "
            "perturbed starts."
            if None not in basins
            else "."
        ),
    ]
    return lines


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weights", nargs="+", type=Path, help="policy files or run folders")
    parser.add_argument("--baselines", type=Path, default=Path("results/evaluation.csv"))
    parser.add_argument("--runs", type=int, default=20, help="perturbed starts per function")
    parser.add_argument("--functions", nargs="+", default=list(FUNCTIONS), choices=list(FUNCTIONS))
    parser.add_argument(
        "--settings",
        choices=SETTINGS,
        default="trained",
        help="each policy on its own grid shape and boundary rule (default) or the shipped optimiser's",
    )
    parser.add_argument(
        "--seek",
        choices=SEEKS,
        default=None,
        help="the bounded policy's default minimize(seek=...) (default: the settings' own)",
    )
    parser.add_argument("--out", type=Path, default=None, help="also write the table here (markdown)")
    args = parser.parse_args(argv)
    baselines = baseline_medians(args.baselines)
    paths = [weights_path(w) for w in args.weights]
    rows = {}
    for item, path in tqdm(list(zip(args.weights, paths)), desc="weights", unit="policy"):
        label = item.name if item.is_dir() else str(path)
        rover = RoverDescent.pretrained(path, settings=args.settings).with_seek(args.seek)
        rows[label] = score(rover, args.functions, args.runs)
    lines = report(rows, baselines, args.runs)
    text = "\n".join(lines) + "\n"
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    print(text)
    return lines


if __name__ == "__main__":
    main()
