"""Decide a candidate against the shipped setting from per-run validation values, by a stated rule.

    python -m experiments.bounded RUNS ... --json runs/decide/draw5.json
    python -m experiments.decide runs/decide/draw5.json --baseline "guard [penalty, grid_fit_floor]" \
        --candidate "floor [penalty, grid_fit_floor]" --target median --unpaired

The input is the file that ``experiments.bounded --json`` writes (or several, such as
``experiments.validate --json``'s, one per ``--statistic``; rows ``<variant> [<protocol>]``):
per statistic (``median``, the log10 of the median final normalised regret, lower is better;
``resolved``, the same with each landscape's regret floored at what float64 resolves there,
``experiments.bounded`` only, lower is better; ``solved``, the fraction of landscapes below
:data:`experiments.heldout.SOLVED`, higher is better), per row, one ``{family: value}`` per
run. Each run's value is the mean over the chosen families; the two rows are then compared by
the rule of docs/rdpg.md ("The next rule"):

* ``--paired`` (the same weights with and without a deployment-time switch): ``d_i`` is run
  ``i``'s candidate minus its own baseline, the change is the mean of ``d_i`` and ``tol`` is
  ``2 × std(d_i) / √n``;
* ``--paired-by-seed`` (two trained recipes, the same training seeds): as ``--paired``, with
  ``d_i`` the candidate's seed-``i`` run minus the baseline's. Each run is scored on landscapes
  drawn from its config's seed, so the two runs of a seed meet the same landscapes;
* ``--unpaired`` (two trained recipes, different weights): the change is the difference of the
  two means and ``tol`` is ``2 × √(s²_base / n_base + s²_cand / n_cand)``.

The candidate is adopted when its target gains more than the target's ``tol`` and no statistic
loses more than its own ``tol``. The table prints every number the verdict is computed from, so
a document that quotes it quotes numbers, not prose.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from experiments.runs import cli

LOWER_IS_BETTER = {"median": True, "resolved": True, "solved": False}
"""Statistic -> whether a lower value is better."""


@dataclass(frozen=True)
class Comparison:
    """One statistic, candidate against baseline: ``change`` is candidate minus baseline."""

    statistic: str
    families: tuple[str, ...]
    baseline: np.ndarray
    candidate: np.ndarray
    paired: bool

    @property
    def differences(self) -> np.ndarray | None:
        return self.candidate - self.baseline if self.paired else None

    @property
    def change(self) -> float:
        return float(self.candidate.mean() - self.baseline.mean())

    @property
    def tol(self) -> float:
        if self.paired:
            d = self.differences
            return float(2 * d.std(ddof=1) / np.sqrt(len(d)))
        b, c = self.baseline, self.candidate
        return float(2 * np.sqrt(b.var(ddof=1) / len(b) + c.var(ddof=1) / len(c)))

    @property
    def gain(self) -> float:
        """The change in the better direction (negative: a loss)."""
        return -self.change if LOWER_IS_BETTER[self.statistic] else self.change


def per_run(runs: list[dict[str, float]], families: tuple[str, ...]) -> np.ndarray:
    """Each run's mean over ``families``."""
    missing = sorted({f for r in runs for f in families if f not in r})
    if missing:
        raise ValueError(f"families {missing} are not in the results; they hold {sorted(runs[0])}")
    return np.array([np.mean([r[f] for f in families]) for r in runs])


def compare(
    results: dict,
    statistic: str,
    baseline: str,
    candidate: str,
    families: tuple[str, ...],
    paired: bool,
    by_seed: bool = False,
) -> Comparison:
    """Compare two rows of ``results[statistic]`` (``experiments.bounded``'s per-run values);
    ``by_seed`` pairs two recipes' runs by their training seed (``paired`` must be true)."""
    if statistic not in LOWER_IS_BETTER:
        raise ValueError(f"unknown statistic {statistic!r}; expected one of {sorted(LOWER_IS_BETTER)}")
    rows = results["statistics"][statistic]
    for row in (baseline, candidate):
        if row not in rows:
            raise ValueError(f"no row {row!r}; the rows are {sorted(rows)}")
    base, cand = per_run(rows[baseline], families), per_run(rows[candidate], families)
    if min(len(base), len(cand)) < 2:
        raise ValueError("a tolerance needs at least two runs per row")
    if by_seed:
        runs = results.get("runs", {})
        seeds = [[_seed(name) for name in runs.get(row, [])] for row in (baseline, candidate)]
        one_each = len(set(seeds[0])) == len(seeds[0]) == len(base) and len(seeds[1]) == len(cand)
        if not one_each or sorted(seeds[0]) != sorted(seeds[1]):
            raise ValueError(
                f"--paired-by-seed needs one run per seed and the same seeds in both rows; {baseline!r} "
                f"has seeds {seeds[0]}, {candidate!r} has {seeds[1]}"
            )
        cand = cand[[seeds[1].index(seed) for seed in seeds[0]]]
        return Comparison(statistic, families, base, cand, True)
    if paired:
        runs = results.get("runs", {})
        if len(base) != len(cand) or runs.get(baseline) != runs.get(candidate):
            raise ValueError(
                f"--paired needs the same runs in both rows; {baseline!r} has {runs.get(baseline)}, "
                f"{candidate!r} has {runs.get(candidate)} (two recipes: use --unpaired)"
            )
    return Comparison(statistic, families, base, cand, paired)


def _seed(run: str) -> int:
    """A run folder's training seed, from its name ``{env}__{name}__{seed}__{time}``."""
    parts = run.split("__")
    if len(parts) < 4 or not parts[2].isdigit():
        raise ValueError(
            f"cannot read a seed from the run name {run!r} ({{env}}__{{name}}__{{seed}}__{{time}})"
        )
    return int(parts[2])


def write_values(
    path: Path, module: str, argv: list[str] | None, draw: int, families, statistics: dict, runs: dict
) -> None:
    """Write the file this module reads: the command that produced it (``python -m <module>``),
    its held-out draw and families, ``{statistic: {row: [{family: value}, ...]}}`` and ``{row:
    [the run of each value]}``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    command = f"python -m {module} {shlex.join(argv if argv is not None else sys.argv[1:])}"
    record = {"command": command, "draw": draw, "families": list(families), "statistics": statistics}
    path.write_text(json.dumps(record | {"runs": runs}, indent=1) + "\n")


def merge(records: list[dict]) -> dict:
    """Several ``--json`` files as one: their statistics side by side (``validate`` writes one
    statistic per file). They must score the same families, and a row the same runs."""
    out = {"families": records[0]["families"], "statistics": {}, "runs": {}}
    for record in records:
        if record["families"] != out["families"]:
            raise ValueError(
                f"the files score different families: {out['families']} and {record['families']}"
            )
        for statistic, rows in record["statistics"].items():
            out["statistics"].setdefault(statistic, {}).update(rows)
        for row, runs in record.get("runs", {}).items():
            if out["runs"].setdefault(row, runs) != runs:
                raise ValueError(f"row {row!r} holds different runs in different files")
    return out


def verdict(c: Comparison, target: bool) -> tuple[str, bool]:
    """``(words, passes)`` for one statistic under the rule."""
    if target:
        return ("gain > tol", True) if c.gain > c.tol else ("gain < tol", False)
    if c.gain >= 0:
        return "no loss", True
    return ("loss < tol", True) if -c.gain <= c.tol else ("loss > tol", False)


def report(comparisons: list[tuple[Comparison, bool]], baseline: str, candidate: str) -> tuple[str, bool]:
    """The markdown table of every comparison and the decision (``(text, adopted)``)."""
    lines = [
        f"baseline `{baseline}`, candidate `{candidate}`",
        "",
        "| statistic | families | baseline | candidate | per-run differences | change (tol) | verdict |",
        "|---|---|---:|---:|---|---:|---|",
    ]
    adopted = True
    for c, target in comparisons:
        words, passes = verdict(c, target)
        adopted &= passes
        d = c.differences
        cells = ", ".join(f"{x:+.4f}" for x in d) if d is not None else "unpaired"
        lines.append(
            f"| {'target: ' if target else ''}{c.statistic} | {', '.join(c.families)} | "
            f"{c.baseline.mean():.4f} (n={len(c.baseline)}) | "
            f"{c.candidate.mean():.4f} (n={len(c.candidate)}) "
            f"| {cells} | {c.change:+.4f} ({c.tol:.4f}) | {words} |"
        )
    lines += ["", f"**{'adopted' if adopted else 'not adopted'}** by the rule"]
    return "\n".join(lines) + "\n", adopted


def _statistic(spec: str) -> tuple[str, tuple[str, ...] | None]:
    """``median`` or ``solved:rippled,multiscale,funnels`` -> (statistic, families or None)."""
    name, _, families = spec.partition(":")
    if name not in LOWER_IS_BETTER:
        raise argparse.ArgumentTypeError(
            f"unknown statistic {name!r}; expected one of {sorted(LOWER_IS_BETTER)}"
        )
    return name, tuple(f for f in families.split(",") if f) or None


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "results",
        type=Path,
        nargs="+",
        help="files that experiments.bounded --json or experiments.validate --json wrote (several: "
        "their statistics together, e.g. validate's median and solved)",
    )
    parser.add_argument("--baseline", required=True, help="the shipped setting's row")
    parser.add_argument("--candidate", required=True, help="the candidate's row")
    pairing = parser.add_mutually_exclusive_group(required=True)
    pairing.add_argument("--paired", action="store_true", help="the same runs in both rows")
    pairing.add_argument(
        "--paired-by-seed",
        action="store_true",
        help="two recipes trained on the same seeds: each seed's runs paired (they meet the same landscapes)",
    )
    pairing.add_argument("--unpaired", action="store_true", help="two recipes, different runs")
    parser.add_argument(
        "--target",
        type=_statistic,
        required=True,
        help="the statistic that must gain: NAME or NAME:FAMILY,FAMILY (default families: all)",
    )
    parser.add_argument(
        "--guarded",
        type=_statistic,
        nargs="+",
        default=[("median", None), ("solved", None)],
        help="statistics that must not lose beyond tol (default: median and solved, all families)",
    )
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = parser.parse_args(argv)
    try:
        results = merge([json.loads(path.read_text()) for path in args.results])
    except (OSError, ValueError, KeyError) as exc:
        parser.error(
            f"cannot read {[str(p) for p in args.results]} as --json output of bounded or validate ({exc})"
        )
    everything = tuple(results["families"])
    comparisons = []
    for (statistic, families), target in [(args.target, True)] + [(g, False) for g in args.guarded]:
        try:
            c = compare(
                results,
                statistic,
                args.baseline,
                args.candidate,
                families or everything,
                args.paired or args.paired_by_seed,
                by_seed=args.paired_by_seed,
            )
        except ValueError as exc:
            parser.error(str(exc))
        comparisons.append((c, target))
    text, adopted = report(comparisons, args.baseline, args.candidate)
    head = f"`python -m experiments.decide {shlex.join(argv if argv is not None else sys.argv[1:])}`\n\n"
    print(head + text)
    if args.out:
        args.out.write_text(head + text)
    return {"adopted": adopted, "comparisons": [c for c, _ in comparisons]}


if __name__ == "__main__":
    cli(main)
