"""Choose the warm-start teacher's gains on the training landscapes (never the test functions).

    python -m experiments.teacher_gains [--family all_rippled] [--episodes 200] [--out FILE.md]

The privileged teacher of :mod:`agents.rdpg.warmstart` sets ``alpha = step_gain * d`` and
``delta = resolution_gain * d`` (``d`` the distance to the minimiser) and drives the frozen angle
network. For each gain pair on a grid it runs ``episodes`` training landscapes per family of
the mixture from the environment's default initial alpha and delta and scores the pair by the
mean over families of log10 of the median final normalised regret (best so far); the
best-scoring pair is what ``experiments/configs/ddpg.yaml`` uses.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from agents.baselines.tuning import grid_search
from agents.rdpg.warmstart import teacher_episodes
from experiments.heldout import FLOOR
from experiments.runs import cli
from rover_envs.env import build_engine
from rover_envs.landscapes.families import MIXTURES

STEP_GAINS = (0.4, 0.6, 0.8)
RESOLUTION_GAINS = (0.2, 0.4, 0.6, 0.8)


def teacher_regrets(
    family: str, step_gain: float, resolution_gain: float, episodes: int, seed: int, horizon: int = 30
) -> np.ndarray:
    """Final normalised regrets (best so far / initial) of the teacher on ``episodes`` landscapes."""
    engine = build_engine(episodes, "angle_net", family=family, horizon=horizon)
    rngs = [np.random.default_rng([seed, i]) for i in range(episodes)]
    best, regret0 = teacher_episodes(engine, rngs, step_gain, resolution_gain)
    return best / np.maximum(regret0, 1e-300)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", default="all_rippled", choices=sorted(MIXTURES))
    parser.add_argument("--episodes", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="write the table here (markdown)")
    args = parser.parse_args(argv)
    families = MIXTURES[args.family]

    def evaluate(g: dict) -> tuple[float, dict]:
        med = {
            f: float(
                np.median(teacher_regrets(f, g["step_gain"], g["resolution_gain"], args.episodes, args.seed))
            )
            for f in families
        }
        score = float(np.mean([np.log10(max(m, FLOOR)) for m in med.values()]))
        print(
            f"step_gain {g['step_gain']}, resolution_gain {g['resolution_gain']}: score {score:.2f}",
            flush=True,
        )
        return score, med

    found = grid_search(
        evaluate, {"step_gain": STEP_GAINS, "resolution_gain": RESOLUTION_GAINS}, score=lambda row: row[0]
    )
    rows = {(g["step_gain"], g["resolution_gain"]): value for g, value in found.table}
    best = (found.best["step_gain"], found.best["resolution_gain"])
    lines = [
        f"# Warm-start teacher gains on `{args.family}` ({args.episodes} landscapes per family)",
        "",
        "Median final normalised regret of the privileged teacher per family; score = mean log10 "
        "(lower is better). Produced by `python -m experiments.teacher_gains`.",
        "",
        "| step_gain | resolution_gain | " + " | ".join(families) + " | score |",
        "|---:|---:|" + "---:|" * (len(families) + 1),
        *[
            f"| {a} | {d} | "
            + " | ".join(f"{m[f]:.1e}" for f in families)
            + " | "
            + (f"**{s:.2f}**" if (a, d) == best else f"{s:.2f}")
            + " |"
            for (a, d), (s, m) in rows.items()
        ],
        "",
        f"Best: step_gain {best[0]}, resolution_gain {best[1]}.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return {"best": best, "rows": rows}


if __name__ == "__main__":
    cli(main)
