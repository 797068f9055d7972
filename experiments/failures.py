"""How the learned optimiser fails on validation landscapes: which runs end next to the minimiser.

    python -m experiments.failures runs/sweeps/guard/*guard-guard* [--settings shipped] \
        [--families rippled multiscale funnels peaks] [--landscapes 50] [--draw 0] \
        [--max-evals 1471] [--out results/failure_modes.md]

A solved fraction says how often a run misses the global minimum, not how. This runs each policy
(a run folder, on its held-out landscapes of ``--draw``, in the domain box of
``experiments.bounded --box domain``) and sorts every unsolved run (final normalised regret at or
above ``heldout.SOLVED``) by two tests that can both hold:

* **adjacent**: on a landscape with ripples (``rippled``, ``multiscale``: a bowl under ripples of
  wavelength ``lam``), the run ended within ``ADJACENT`` wavelengths of the minimiser, in a
  neighbouring ripple's basin: it found the bowl's bottom and chose the wrong ripple there. A
  restart from a far design point cannot mend that; a search of the neighbourhood could.
* **one schedule**: no schedule converged, parked or gave up before the budget ran out (the
  result names no restart): the run spent its budget refining one basin.

Runs that are neither ended in a basin away from the minimiser. A second table splits the ripple
families by wavelength. With ``--jumps``, a third sorts the *jumps*: moves of the best-sample
rule longer than ``REVISIT_JUMP`` of its grid's median spacings between neighbouring samples (to
a sample in another basin; ``minimize(revisit=...)`` counts in the resolution delta). A jump is a
*mistake* when the basin it left bottoms out lower than the one it went to (each found by a
bounded L-BFGS-B descent from the point, a check only the diagnosis can afford), and its *gap* is
how much lower the sample jumped to was than the iterate, as a fraction of the grid's median
above its lowest sample. It reads validation landscapes only (no test function) and chooses
nothing: it is a diagnosis, for deciding what to try next.

``--oracle`` measures a ceiling instead: the best-sample rule replaced by a privileged one that
knows the landscape's minimiser and moves to the candidate nearest it (``ORACLES``):
``fallback``, where the step failed, any grid sample below the centre (best_sample takes the
lowest); ``below``, at every move, the accepted step or any sample below the centre (the most a
rule that never moves uphill can do); ``uphill``, at every move, the step or any finite sample,
whatever its value. The actor's schedule and every other setting are unchanged.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import re
from pathlib import Path

import numpy as np
from scipy.optimize import minimize as local_minimize
from tqdm import tqdm

from agents.rover import REVISIT_JUMP, SETTINGS, RoverDescent
from experiments import heldout
from experiments.bounded import FAMILIES, problems
from experiments.config import load
from experiments.schemas import DDPGExperiment
from rover_envs.landscapes import VALIDATION_ONLY
from rover_envs.moves import MOVES, Move

ADJACENT = 1.5
"""A run ends *adjacent* when its final point is within this many ripple wavelengths of the
landscape's minimiser (neighbouring ripples' minima are about one wavelength apart)."""
BANDS = ((0.05, 0.2), (0.2, 0.5), (0.5, 1.0), (1.0, 3.0))
"""Wavelength bands of the second table (multiscale's wavelengths are log-uniform in [0.05, 3])."""
DEFAULT_FAMILIES = ("rippled", "multiscale", "funnels", "peaks")
RESTARTS = re.compile(r"(\d+) restart\(s\)")
CORE = 0.3
"""A point is in the global ripple's core within this many wavelengths of the minimiser."""
CLOSE = 0.1
"""A jump is a *close call* when its gap is below this fraction of the grid's median above its
lowest sample."""


@contextlib.contextmanager
def recording_jumps(log: list[dict], move: str = "best_sample"):
    """While open, every move of rule ``move`` (:data:`rover_envs.moves.MOVES`, which
    ``RoverDescent`` looks up per iteration) longer than ``REVISIT_JUMP`` spacings of its grid
    appends ``{"left", "to", "gap"}`` to ``log``; the rule itself is unchanged."""
    original = MOVES[move]

    def recorded(m, evaluate):
        out = original(m, evaluate)
        n = math.isqrt(m.points.shape[1])
        grid = m.points[0].reshape(n, n, -1)
        spacing = float(np.median(np.linalg.norm(np.diff(grid, axis=1), axis=-1)))
        if np.linalg.norm(out.theta[0] - m.theta[0]) > REVISIT_JUMP * spacing:
            values = m.values[0][np.isfinite(m.values[0])]
            below = max(float(np.median(values) - values.min()), 1e-300)
            gap = (float(m.centre[0]) - float(values.min())) / below
            log.append({"left": m.theta[0].copy(), "to": out.theta[0].copy(), "gap": gap})
        return out

    MOVES[move] = recorded
    try:
        yield log
    finally:
        MOVES[move] = original


ORACLES = ("fallback", "below", "uphill")
"""``--oracle`` modes (module docstring)."""


@contextlib.contextmanager
def oracle_moves(mode: str, minimiser: list):
    """While open, the best-sample rule is the privileged ``mode`` of :data:`ORACLES`, moving to
    the candidate nearest ``minimiser[0]`` (set per landscape by the caller)."""
    if mode not in ORACLES:
        raise ValueError(f"unknown oracle {mode!r}; valid: {', '.join(ORACLES)}")
    original = MOVES["best_sample"]

    def oracle(m, evaluate):
        accepted = original(m, evaluate).accepted  # the step's one evaluation, as best_sample's
        values = np.where(np.isfinite(m.values), m.values, np.inf)
        theta = m.theta.copy()
        for b in range(len(values)):
            below = values[b] < m.centre[b]
            if mode == "fallback" and accepted[b]:
                theta[b] = m.step[b]
                continue
            samples = m.points[b, np.isfinite(values[b]) if mode == "uphill" else below]
            with_step = mode == "uphill" or (mode == "below" and accepted[b])
            candidates = np.vstack([m.step[b][None], samples]) if with_step else samples
            if len(candidates):
                theta[b] = candidates[np.argmin(np.linalg.norm(candidates - minimiser[0], axis=1))]
        return Move(theta, accepted)

    MOVES["best_sample"] = oracle
    try:
        yield
    finally:
        MOVES["best_sample"] = original


def wavelength(f) -> float | None:
    """The ripple wavelength of a generated landscape (through ``experiments.bounded``'s
    translation), or None for a landscape without ripples."""
    inner = getattr(f, "f", f)
    params = getattr(inner, "params", None)
    if params is None or not float(np.asarray(params.r).ravel()[0]) > 0:
        return None
    return float(np.asarray(params.lam).ravel()[0])


def restarts(message: str) -> int:
    """The number of restarts a ``RoverDescent.minimize`` result's message names (0 if none)."""
    found = RESTARTS.search(message)
    return int(found.group(1)) if found else 0


def outcome(result, f, f_star: float, x0: np.ndarray, samples: np.ndarray | None = None) -> dict:
    """One run's normalised regret, whether it is solved, its wavelength (None: no ripples),
    whether it ended adjacent to the minimiser, its number of restarts, and on ripples the
    distance in wavelengths from the minimiser to the nearest of ``samples`` (every point
    evaluated, when given) and to the nearest iterate of ``result.history``."""
    span = max(float(np.asarray(f(np.atleast_2d(x0))).ravel()[0]) - f_star, 1e-300)
    regret = (float(result.fun) - f_star) / span
    lam = wavelength(f)
    x_star = np.asarray(f.minimum[0], dtype=float)
    distance = float(np.linalg.norm(np.asarray(result.x) - x_star))

    def nearest(points) -> float | None:
        if lam is None or points is None or not len(points):
            return None
        return float(np.min(np.linalg.norm(np.asarray(points, dtype=float) - x_star, axis=1))) / lam

    history = result.get("history") if hasattr(result, "get") else None
    return {
        "regret": regret,
        "solved": regret < heldout.SOLVED,
        "wavelength": lam,
        "adjacent": lam is not None and distance <= ADJACENT * lam,
        "restarts": restarts(result.message),
        "sampled": nearest(samples),
        "visited": nearest(None if history is None else history["x"]),
    }


def recorded_run(rover: RoverDescent, f, bounds: np.ndarray, x0: np.ndarray, max_evals: int | None):
    """``(result, samples)``: ``rover.minimize`` on landscape ``f`` from ``x0`` in ``bounds``, and
    every point it evaluated ``(m, 2)``."""
    seen: list[np.ndarray] = []

    def fun(x):
        seen.append(np.atleast_2d(x).copy())
        return f(np.atleast_2d(x))

    options = {"bounds": bounds} | ({} if max_evals is None else {"max_evals": max_evals})
    result = rover.minimize(fun, x0, vectorized=True, **options)
    return result, np.vstack(seen)


def diagnose(
    rover: RoverDescent,
    family: str,
    count: int,
    seed: int,
    max_evals: int | None,
    jumps: bool = False,
    oracle: str | None = None,
) -> list[dict]:
    """The outcomes of ``rover`` on ``count`` domain-box landscapes of ``family`` from ``seed``;
    with ``jumps``, each with its ``"jumps"``, every one marked a ``"mistake"`` or not, and whether
    it left the global basin; with ``oracle`` (:data:`ORACLES`), under that privileged move."""
    out = []
    minimiser: list = [None]
    for f, f_star, bounds, x0 in problems(family, count, seed, box="domain"):
        log: list[dict] = []
        minimiser[0] = np.asarray(f.minimum[0], dtype=float)
        with (
            recording_jumps(log) if jumps else contextlib.nullcontext(),
            oracle_moves(oracle, minimiser) if oracle else contextlib.nullcontext(),
        ):
            result, samples = recorded_run(rover, f, bounds, x0, max_evals)
        row = outcome(result, f, f_star, x0, samples)
        if jumps:

            def value(z, f=f):
                return float(np.asarray(f(np.atleast_2d(z))).ravel()[0])

            span = max(value(x0) - f_star, 1e-300)
            for jump in log:
                left, to = (float(local_minimize(value, jump[k], bounds=bounds).fun) for k in ("left", "to"))
                jump["mistake"] = left < to - 1e-9 * span
                jump["global"] = jump["mistake"] and left - f_star < 1e-6 * span
            row["jumps"] = log
        out.append(row)
    return out


def adjacent_table(results: dict[str, list[dict]]) -> list[str]:
    """Per ripple family: the adjacent misses, and how many of them evaluated a sample in the
    global ripple's core (within ``CORE`` wavelengths of the minimiser), had an iterate there, and
    (with jumps recorded) jumped out of the global basin."""
    lines = [
        f"| family | adjacent misses | a sample within {CORE:g} wavelengths | an iterate within {CORE:g} "
        "wavelengths | a jump out of the global basin |",
        "|---|---:|---:|---:|---:|",
    ]
    for family, rows in results.items():
        misses = [r for r in rows if r["adjacent"] and not r["solved"]]
        if not any(r["wavelength"] is not None for r in rows):
            continue
        sampled = sum(r["sampled"] is not None and r["sampled"] <= CORE for r in misses)
        visited = sum(r["visited"] is not None and r["visited"] <= CORE for r in misses)
        jumped = (
            str(sum(any(j["global"] for j in r["jumps"]) for r in misses))
            if all("jumps" in r for r in misses)
            else "–"
        )
        lines.append(f"| {family} | {len(misses)} | {sampled} | {visited} | {jumped} |")
    return lines


def jump_table(results: dict[str, list[dict]]) -> list[str]:
    """Per family: jumps, mistakes, mistakes out of the global basin, the median gap of mistakes
    and of the rest, and how many of the close calls (gap below ``CLOSE``) were mistakes."""
    lines = [
        "| family | jumps | mistakes | out of the global basin | median gap: mistakes / the rest "
        f"| close calls (gap < {CLOSE:g}): mistakes of all |",
        "|---|---:|---:|---:|---|---|",
    ]
    for family, rows in results.items():
        found = [jump for row in rows for jump in row.get("jumps", [])]
        if not found:
            continue
        wrong = [j["gap"] for j in found if j["mistake"]]
        right = [j["gap"] for j in found if not j["mistake"]]
        close = [j for j in found if j["gap"] < CLOSE]

        def median(gaps):
            return f"{np.median(gaps):.3f}" if gaps else "–"

        lines.append(
            f"| {family} | {len(found)} | {len(wrong)} | {sum(j['global'] for j in found)} | "
            f"{median(wrong)} / {median(right)} | {sum(j['mistake'] for j in close)} of {len(close)} |"
        )
    return lines


def mode_table(results: dict[str, list[dict]]) -> list[str]:
    """Per family: runs, solved, unsolved, and of the unsolved how many are adjacent and how
    many ran one schedule (the two tests can both hold)."""
    lines = [
        "| family | runs | solved | unsolved | adjacent (of unsolved) | one schedule (of unsolved) "
        "| elsewhere |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for family, rows in results.items():
        bad = [r for r in rows if not r["solved"]]
        adjacent = sum(r["adjacent"] for r in bad)
        alone = sum(r["restarts"] == 0 for r in bad)
        rest = sum(not r["adjacent"] and r["restarts"] > 0 for r in bad)
        ripples = any(r["wavelength"] is not None for r in rows)
        lines.append(
            f"| {family} | {len(rows)} | {len(rows) - len(bad)} | {len(bad)} | "
            + (f"{adjacent}" if ripples else "–")
            + f" | {alone} | {rest} |"
        )
    return lines


def band_table(results: dict[str, list[dict]]) -> list[str]:
    """Per ripple family and wavelength band: runs, solved and adjacent."""
    lines = ["| family | wavelength | runs | solved | adjacent |", "|---|---|---:|---:|---:|"]
    for family, rows in results.items():
        if not any(r["wavelength"] is not None for r in rows):
            continue
        for lo, hi in BANDS:
            band = [r for r in rows if r["wavelength"] is not None and lo <= r["wavelength"] < hi]
            if band:
                solved = sum(r["solved"] for r in band)
                adjacent = sum(r["adjacent"] and not r["solved"] for r in band)
                lines.append(f"| {family} | [{lo:g}, {hi:g}) | {len(band)} | {solved} | {adjacent} |")
    return lines


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "runs", nargs="+", type=Path, help="run folders (their config.yaml and rover_policy.pt)"
    )
    parser.add_argument(
        "--families",
        nargs="+",
        default=list(DEFAULT_FAMILIES),
        choices=[*FAMILIES, *VALIDATION_ONLY],
        help=f"validation families (default: {' '.join(DEFAULT_FAMILIES)})",
    )
    parser.add_argument(
        "--landscapes", type=int, default=50, help="landscapes per family and run (default 50)"
    )
    parser.add_argument(
        "--max-evals",
        type=int,
        default=None,
        help="the evaluation budget (default: none, the policy's 30 iterations)",
    )
    parser.add_argument(
        "--settings",
        choices=SETTINGS,
        default="shipped",
        help="the shipped optimiser's deployment settings (default) or each policy's trained ones",
    )
    heldout.add_draw_argument(parser)
    parser.add_argument(
        "--jumps",
        action="store_true",
        help="also sort the best-sample rule's jumps into mistakes and the rest (a local descent from "
        "each end of every jump: slower)",
    )
    parser.add_argument(
        "--oracle",
        choices=ORACLES,
        default=None,
        help="a privileged ceiling: the best-sample rule replaced by a move to the candidate nearest "
        "the minimiser (module docstring; a diagnostic, never a setting)",
    )
    parser.add_argument("--out", type=Path, default=None, help="also write the tables here (markdown)")
    args = parser.parse_args(argv)
    if args.oracle and args.jumps:
        parser.error("--oracle replaces the rule --jumps records; use one of them")
    if args.landscapes < 1:
        parser.error(f"--landscapes must be >= 1; got {args.landscapes}")
    if args.max_evals is not None and args.max_evals < 1:
        parser.error(f"--max-evals must be >= 1; got {args.max_evals}")
    for run in args.runs:
        if not (run / "config.yaml").is_file() or not (run / "rover_policy.pt").is_file():
            parser.error(f"{run}: not a finished run folder (config.yaml and rover_policy.pt)")
    results: dict[str, list[dict]] = {family: [] for family in args.families}
    for run in tqdm(args.runs, desc="runs", unit="run"):
        cfg = load(DDPGExperiment, run / "config.yaml")
        rover = RoverDescent.pretrained(run / "rover_policy.pt", settings=args.settings)
        seed = heldout.heldout_seed(cfg.seed, cfg.eval.seed_offset, args.draw)
        for family in args.families:
            results[family] += diagnose(
                rover, family, args.landscapes, seed, args.max_evals, args.jumps, args.oracle
            )
    budget = "30 iterations" if args.max_evals is None else f"{args.max_evals} evaluations"
    lines = [
        f"{len(args.runs)} run(s), {args.landscapes} landscapes per family each, held-out draw {args.draw}, "
        f"the domain box, {budget}, settings {args.settings}"
        + (f", the privileged `{args.oracle}` move (a ceiling, not a setting)." if args.oracle else "."),
        "",
        *mode_table(results),
    ]
    bands = band_table(results)
    if len(bands) > 2:
        lines += ["", *bands, "", *adjacent_table(results)]
    if args.jumps:
        lines += ["", *jump_table(results)]
    text = "\n".join(lines) + "\n"
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    print(text)
    return lines


if __name__ == "__main__":
    main()
