"""Reproduce Table 1: angle error of single-family and all-family angle networks.

    python -m experiments.table1 [--config experiments/configs/table1.yaml] [--out results]

Trains one angle network per training set (each family alone, then all four) with the same
config, evaluates each on held-out landscapes of every family, and writes
``{out}/table1.md`` and ``{out}/table1.csv`` with the paper's numbers beside ours.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import time
from pathlib import Path

import numpy as np

from experiments import config as cfgmod
from experiments.runs import cli, new_run_dir
from experiments.schemas import AngleExperiment
from experiments.train_angle import train
from rover_envs.landscapes import FAMILY_NAMES

PAPER = {  # Table 1 of the paper: rows = training set, columns = test family (degrees)
    "quadratic": [1.2, 89.2, 43.1, 34.8],
    "valley": [83.5, 4.9, 94.1, 86.9],
    "saddle": [44.7, 85.8, 3.8, 57.2],
    "plateau_cliff": [29.4, 94.3, 53.9, 1.9],
    "all": [3.1, 6.4, 5.1, 3.8],
}


def run(cfg: AngleExperiment) -> dict[str, dict[str, float]]:
    rows = {}
    for label in (*FAMILY_NAMES, "all"):
        families = FAMILY_NAMES if label == "all" else (label,)
        data = dataclasses.replace(cfg.data, families=families)
        row_cfg = dataclasses.replace(cfg, name=f"{cfg.name}_{label}", data=data)
        run_dir = new_run_dir(row_cfg.runs_dir, "angle", row_cfg)
        print(f"training on {label} ({run_dir})")
        rows[label] = train(row_cfg, run_dir)["held_out_angle_error_deg"]
    return rows


def write(rows: dict[str, dict[str, float]], out: Path, note: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "table1.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["train", "test", "ours_deg", "paper_deg"])
        for label, errs in rows.items():
            for j, fam in enumerate(FAMILY_NAMES):
                w.writerow([label, fam, f"{errs[fam]:.2f}", PAPER[label][j]])
    lines = [
        "# Table 1: mean angle error (degrees) between the angle network and the best teacher",
        "",
        "Held-out landscapes of each test family (columns); one network per training set (rows).",
        "Each cell: **ours** / paper.",
        "",
        "| train \\ test | " + " | ".join(FAMILY_NAMES) + " |",
        "|---|" + "---:|" * len(FAMILY_NAMES),
    ]
    for label, errs in rows.items():
        cells = [f"**{errs[f]:.1f}** / {PAPER[label][j]}" for j, f in enumerate(FAMILY_NAMES)]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", structure_summary(rows), "", note, ""]
    (out / "table1.md").write_text("\n".join(lines))


def structure_summary(rows: dict[str, dict[str, float]]) -> str:
    """Whether the paper's structure holds: each family's own network beats the other single
    families on it, and by how much off-diagonal errors exceed diagonal ones (ours and paper)."""
    singles = list(FAMILY_NAMES)
    wins = [f for f in singles if min(singles, key=lambda r: rows[r][f]) == f]
    diag = np.mean([rows[f][f] for f in singles])
    off = np.mean([rows[r][f] for r in singles for f in singles if r != f])
    p_diag = np.mean([PAPER[f][j] for j, f in enumerate(singles)])
    p_off = np.mean([PAPER[r][j] for r in singles for j, f in enumerate(singles) if r != f])
    cost = np.mean([rows["all"][f] - rows[f][f] for f in singles])
    p_cost = np.mean([PAPER["all"][j] - PAPER[f][j] for j, f in enumerate(singles)])
    return (
        f"Structure: the matching single-family network is the best single-family network on "
        f"{len(wins)} of 4 test families ({', '.join(wins) or 'none'}). Mean off-diagonal error "
        f"{off:.1f} deg vs diagonal {diag:.1f} deg (x{off / diag:.1f}); the paper: {p_off:.1f} vs "
        f"{p_diag:.1f} (x{p_off / p_diag:.1f}). Training on all families costs {cost:+.1f} deg on "
        f"average against the matching specialist (paper: {p_cost:+.1f})."
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="experiments/configs/table1.yaml")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE")
    parser.add_argument("--out", default="results", type=Path)
    args = parser.parse_args(argv)
    cfg = cfgmod.load(AngleExperiment, args.config, cfgmod.parse_overrides(args.set))
    start = time.perf_counter()
    rows = run(cfg)
    minutes = (time.perf_counter() - start) / 60
    note = (
        f"Produced by `python -m experiments.table1 --config {args.config}` "
        f"({cfg.data.n_functions} training functions x {cfg.data.steps} steps per row, "
        f"{cfg.train.epochs} epochs; {minutes:.0f} min on this machine)."
    )
    write(rows, args.out, note)
    print((args.out / "table1.md").read_text())


if __name__ == "__main__":
    cli(main)
