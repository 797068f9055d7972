"""Validate trained policies under several start protocols, on held-out training landscapes only.

    python -m experiments.validate runs/sweeps/recipe_ablations [--out docs/validation.md]

Every run folder under the given folders (a sweep's, a comparison's, or single runs) that
holds a finished policy -- our recurrent DDPG's ``rover_policy.pt`` or a Stable-Baselines3
``model.zip`` from ``make compare-rl`` -- is evaluated on the held-out landscapes of its own
training run (same seeds: ``seed + eval.seed_offset``; never a test function), noiseless, with
the environment rules it was trained with (move rule, grid), on every training family of the
``broad`` mixture (whichever subset the run trained on; ``--families`` names others, such as
the generated ``funnels`` that no run trains on), under two start protocols:

* ``distance`` — the environment's default: ``alpha0 / d`` log-uniform in [0.01, 0.3] and
  ``delta0 / d`` in [0.005, 0.1], ``d`` the distance to the minimiser (what training's own
  held-out score uses: privileged);
* ``deployment`` — what ``RoverDescent.minimize`` does: ``alpha0 = 0.055 L``, ``delta0 =
  0.022 L`` with ``L`` the half-width of a box in which start and minimiser lie uniformly
  (``initial_scale="domain"``, :mod:`rover_envs.core`).

Cells: log10 of the median final normalised regret per family, mean ± std over seeds; runs
are grouped by experiment name (a sweep's variants).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np

from agents.rover import RESOLUTION_SCALE, STEP_SIZE_SCALE, RoverPolicy
from experiments import heldout
from experiments.config import load
from experiments.decide import write_values
from experiments.runs import cli
from experiments.schemas import DDPGExperiment, SB3Experiment
from rover_envs.metric import METRICS

FAMILIES = ("quadratic", "valley", "saddle", "plateau_cliff", "rippled", "ill_conditioned", "multiscale")
"""The default validation families: the ``broad`` mixture's seven (``--families`` picks others,
e.g. ``funnels``, the generated family drawn only for validation)."""
PROTOCOLS = {
    "distance": {
        "initial_scale": "distance",
        "step_size_range": (0.01, 0.3),
        "resolution_range": (0.005, 0.1),
    },
    "deployment": {
        "initial_scale": "domain",
        "step_size_range": (STEP_SIZE_SCALE, STEP_SIZE_SCALE),
        "resolution_range": (RESOLUTION_SCALE, RESOLUTION_SCALE),
    },
}
"""Start protocols: environment keyword arguments for the held-out episodes."""


POLICY_FILES = ("rover_policy.pt", "model.zip")
"""What a finished run leaves: our recurrent DDPG's policy, or a Stable-Baselines3 model."""


def find_runs(folders: list[Path]) -> list[Path]:
    """Finished run folders (a ``config.yaml`` and a policy file of ``POLICY_FILES``) in or under
    ``folders``: recurrent DDPG runs and Stable-Baselines3 runs (``make compare-rl``) alike."""
    runs = []
    for folder in folders:
        candidates = [folder] if (folder / "config.yaml").is_file() else sorted(folder.iterdir())
        runs += [
            r
            for r in candidates
            if (r / "config.yaml").is_file() and any((r / f).is_file() for f in POLICY_FILES)
        ]
    if not runs:
        raise ValueError(
            f"no finished runs (config.yaml + {' or '.join(POLICY_FILES)}) in {[str(f) for f in folders]}"
        )
    return runs


def _run_policy(run: Path):
    """``(config, act, angle net path)`` of a finished run."""
    if (run / "rover_policy.pt").is_file():
        cfg = load(DDPGExperiment, run / "config.yaml")
        return cfg, heldout.actor_policy(RoverPolicy.load(run / "rover_policy.pt").actor), cfg.agent.angle_net
    from agents.sb3 import load_sb3_policy

    cfg = load(SB3Experiment, run / "config.yaml")
    return cfg, heldout.sb3_policy(load_sb3_policy(run).actor.model), cfg.angle_net


STATISTICS = {
    "median": "log10 of the median final normalised regret per family (lower is better, -16 the floor)",
    "solved": f"the fraction of landscapes solved (final normalised regret below {heldout.SOLVED:g}; higher "
    "is better)",
}
"""What a cell reports (``--statistic``)."""


def validate_run(
    run: Path,
    protocol: str,
    landscapes: int | None,
    families=FAMILIES,
    statistic: str = "median",
    horizon: int | None = None,
    steps: int | None = None,
    env: dict | None = None,
    draw: int = 0,
) -> tuple[str, dict]:
    """``(experiment name, {family: statistic})`` of one run (``STATISTICS``); ``horizon``: episodes
    of this many steps instead of the run's own (the progress feature then reads ``t / horizon``);
    ``steps``: stop after this many (a budget that cuts the episode short); ``env``: other
    environment settings than the run's (e.g. ``{"metric": "grid_fit"}``, the optimiser's grid
    shape, for a policy trained without it); ``draw``: which held-out set (``heldout.heldout_seed``:
    0 the validation set, k > 0 a fresh one)."""
    cfg, act, angle_net = _run_policy(run)
    kwargs = {**heldout.heldout_env(cfg.env, noise=0.0, angle_net=angle_net), **PROTOCOLS[protocol]}
    kwargs.update(env or {})
    if horizon is not None:
        kwargs["horizon"] = horizon
    out = heldout.evaluate(
        act,
        env=kwargs,
        landscapes=landscapes or cfg.eval.landscapes_per_family,
        seed=heldout.heldout_seed(cfg.seed, cfg.eval.seed_offset, draw),
        families=families,
        steps=steps,
    )
    if statistic == "solved":
        return cfg.name, {f: out[f]["solved_fraction"] for f in families}
    scores = heldout.log10_medians({f: out[f] for f in families})
    return cfg.name, scores


def table(results: dict[str, list[dict]], families=FAMILIES) -> list[str]:
    lines = [
        "| variant | seeds | " + " | ".join(families) + " | score |",
        "|---|---:|" + "---:|" * (len(families) + 1),
    ]
    for name, runs in results.items():
        cells = []
        for f in [*families, "score"]:
            xs = np.array([r[f] if f != "score" else np.mean([r[g] for g in families]) for r in runs])
            cells.append(f"{xs.mean():.2f} ± {xs.std(ddof=1):.2f}" if len(xs) > 1 else f"{xs.mean():.2f}")
        lines.append(f"| {name} | {len(runs)} | " + " | ".join(cells) + " |")
    return lines


def variant_labels(names: list[str]) -> dict[str, str]:
    """Row label per experiment name: a sweep's variant (the name after its first ``-``), or the
    whole name where two experiments would share a label (the same variant of two sweeps)."""
    short = {n: re.sub(r"^.*?-", "", n) if "-" in n else n for n in dict.fromkeys(names)}
    counts: dict[str, int] = {}
    for label in short.values():
        counts[label] = counts.get(label, 0) + 1
    return {n: (label if counts[label] == 1 else n) for n, label in short.items()}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path, help="sweep folders or run folders")
    parser.add_argument("--protocols", nargs="+", default=list(PROTOCOLS), choices=list(PROTOCOLS))
    parser.add_argument("--landscapes", type=int, default=None, help="per family (default: the run's)")
    parser.add_argument(
        "--families", nargs="+", default=list(FAMILIES), help="validation families (default: the broad seven)"
    )
    parser.add_argument("--statistic", choices=list(STATISTICS), default="median", help="what a cell reports")
    parser.add_argument(
        "--horizon",
        type=int,
        default=None,
        help="steps per episode for every run (default: each run's training horizon); with history "
        "features the progress input reads t / horizon, the fraction of the budget used",
    )
    parser.add_argument(
        "--steps",
        type=int,
        default=None,
        help="stop every episode after this many steps (default: the horizon)",
    )
    parser.add_argument(
        "--metric", choices=METRICS, default=None, help="the grid's shape (default: each run's own)"
    )
    parser.add_argument(
        "--metric-rate", type=float, default=None, help="grid_fit's rate (default: the run's)"
    )
    parser.add_argument(
        "--metric-min-r2", type=float, default=None, help="grid_fit's fit test (default: the run's)"
    )
    heldout.add_draw_argument(parser)
    parser.add_argument("--out", type=Path, default=None, help="write the markdown here")
    parser.add_argument(
        "--json",
        type=Path,
        default=None,
        help="write the per-run values here (rows '<variant> [<protocol>]'), for experiments.decide",
    )
    args = parser.parse_args(argv)
    overrides = (
        ("metric", args.metric),
        ("metric_rate", args.metric_rate),
        ("metric_min_r2", args.metric_min_r2),
    )
    env = {k: v for k, v in overrides if v is not None}
    runs = find_runs(args.folders)
    lines = [
        "# Validation on held-out training landscapes",
        "",
        f"`python -m experiments.validate {' '.join(argv if argv is not None else sys.argv[1:])}`: "
        f"{STATISTICS[args.statistic]}, mean ± std over seeds; score: the mean over families. No test "
        "function is involved.",
    ]
    everything = {}
    members: dict[str, list[str]] = {}  # '<variant> [<protocol>]' -> the run of each value
    for protocol in args.protocols:
        results: dict[str, list[dict]] = {}
        names, folders = [], {}
        for run in runs:
            name, scores = validate_run(
                run,
                protocol,
                args.landscapes,
                tuple(args.families),
                args.statistic,
                args.horizon,
                args.steps,
                env,
                args.draw,
            )
            names.append(name)
            results.setdefault(name, []).append(scores)
            folders.setdefault(name, []).append(run.name)
        labels = variant_labels(names)
        results = {labels[name]: rows for name, rows in results.items()}
        members |= {f"{labels[name]} [{protocol}]": runs for name, runs in folders.items()}
        everything[protocol] = results
        lines += ["", f"## Protocol `{protocol}`", "", *table(results, tuple(args.families))]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)
    if args.json:
        rows = {f"{v} [{protocol}]": r for protocol, res in everything.items() for v, r in res.items()}
        statistics = {args.statistic: rows}
        write_values(args.json, "experiments.validate", argv, args.draw, args.families, statistics, members)
    return everything


if __name__ == "__main__":
    cli(main)
