"""Which trained seed of one recipe ships: each seed against the shipped one, over validation draws.

    python -m experiments.choose_seed \
        --draw results/decide/ensemble_draw9.json "guard [penalty, grid_fit_floor, delta0 0.088 L]" \
        --draw results/decide/resolution_scale_draw10.json "guard [penalty, grid_fit_floor, delta0 0.088 L]" \
        [--baseline-seed 0] [--target solved] [--guarded median]

Each ``--draw FILE ROW`` names a file that ``experiments.bounded --json`` wrote on one held-out
draw and the row that holds the recipe's seeds under the settings to ship. Within a draw every
seed runs on its own landscapes (``heldout.heldout_seed``), so the draws are the replicates: for
each seed ``k``, ``d_k`` is its value minus the baseline seed's, one per draw, and ``tol`` is
``2 x std(d_k) / sqrt(draws)`` (``experiments.decide``'s paired arithmetic, draws in place of
runs). The candidate is the seed with the largest gain on ``--target``; it replaces the baseline
seed only if that gain is larger than its ``tol`` and no ``--guarded`` statistic loses more than
its own. Validation values only: choose the seed here, never on a test set.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from pathlib import Path

import numpy as np

from experiments.decide import Comparison, _statistic, per_run, report, verdict
from experiments.runs import cli

_SEED = re.compile(r"__(\d+)__")


def seed_of(run: str) -> int:
    """The training seed in a run folder's name (``<env>__<experiment>__<seed>__<time>``)."""
    found = _SEED.findall(run)
    if not found:
        raise ValueError(f"no seed in the run name {run!r} (expected <env>__<experiment>__<seed>__<time>)")
    return int(found[-1])


def per_seed(draws: list[tuple[dict, str]], statistic: str, families: tuple[str, ...] | None) -> dict:
    """``{seed: values, one per draw}`` of ``statistic`` (each run's mean over ``families``, all of a
    file's families when None) from ``(bounded --json record, row)`` pairs; every draw must hold
    the same seeds."""
    out: dict[int, list[float]] = {}
    for record, row in draws:
        rows = record["statistics"][statistic]
        if row not in rows:
            raise ValueError(f"draw {record.get('draw')}: no row {row!r}; the rows are {sorted(rows)}")
        seeds = [seed_of(run) for run in record["runs"][row]]
        values = per_run(rows[row], families or tuple(record["families"]))
        if len(set(seeds)) != len(seeds) or (out and set(seeds) != set(out)):
            raise ValueError(
                f"draw {record.get('draw')}, row {row!r}: seeds {sorted(seeds)}; every draw must hold the "
                f"same seeds once each{f' ({sorted(out)})' if out else ''}"
            )
        for seed, value in zip(seeds, values):
            out.setdefault(seed, []).append(float(value))
    return {seed: np.array(v) for seed, v in sorted(out.items())}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--draw",
        nargs=2,
        action="append",
        required=True,
        metavar=("FILE", "ROW"),
        help="a file of experiments.bounded --json and the row of the seeds under the settings to ship",
    )
    parser.add_argument("--baseline-seed", type=int, default=0, help="the seed shipped now (default 0)")
    parser.add_argument("--target", type=_statistic, default=("solved", None), help="NAME or NAME:FAMILY,...")
    parser.add_argument(
        "--guarded", type=_statistic, nargs="+", default=[("median", None)], help="must not lose beyond tol"
    )
    parser.add_argument("--out", type=Path, default=None, help="also write the tables here")
    args = parser.parse_args(argv)
    if len(args.draw) < 2:
        parser.error("give at least two --draw: the draws are the replicates that tol is computed from")
    try:
        draws = [(json.loads(Path(path).read_text()), row) for path, row in args.draw]
        stats = [(args.target, True)] + [(g, False) for g in args.guarded]
        values = [per_seed(draws, name, families) for (name, families), _ in stats]
    except (OSError, ValueError, KeyError) as exc:
        parser.error(f"cannot read the draws ({exc})")
    everything = tuple(draws[0][0]["families"])
    base = args.baseline_seed
    if base not in values[0]:
        parser.error(f"--baseline-seed {base} is not among the seeds {sorted(values[0])}")
    names = [f"{name}{':' + ','.join(fams) if fams else ''}" for (name, fams), _ in stats]
    lines = [
        f"{len(draws)} draws ({', '.join(str(record.get('draw')) for record, _ in draws)}); each seed's "
        f"per-draw differences from seed {base} are the replicates",
        "",
        "| seed | "
        + " | ".join(f"{n}: mean{' (target)' if t else ''}" for n, (_, t) in zip(names, stats))
        + " | "
        + " | ".join(f"{n}: change from seed {base} (tol)" for n in names)
        + " |",
        "|---:|" + "---:|" * (2 * len(stats)),
    ]
    comparisons: dict[int, list[tuple[Comparison, bool]]] = {}
    for seed in values[0]:
        cells = [f"{v[seed].mean():.4f}" for v in values]
        if seed != base:
            comparisons[seed] = [
                (Comparison(name, fams or everything, v[base], v[seed], paired=True), target)
                for ((name, fams), target), v in zip(stats, values)
            ]
            cells += [f"{c.change:+.4f} ({c.tol:.4f}), {verdict(c, t)[0]}" for c, t in comparisons[seed]]
        else:
            cells += ["shipped"] * len(stats)
        lines.append(f"| {seed} | " + " | ".join(cells) + " |")
    candidate = max(comparisons, key=lambda s: comparisons[s][0][0].gain)
    text, adopted = report(comparisons[candidate], f"seed {base}", f"seed {candidate}")
    lines += [
        "",
        f"The candidate, the largest gain on the target: seed {candidate} (per-draw differences below).",
        "",
        text,
    ]
    head = f"`python -m experiments.choose_seed {shlex.join(argv if argv is not None else sys.argv[1:])}`\n\n"
    print(head + "\n".join(lines))
    if args.out:
        args.out.write_text(head + "\n".join(lines))
    return {"candidate": candidate, "adopted": adopted, "comparisons": comparisons}


if __name__ == "__main__":
    cli(main)
