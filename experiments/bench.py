"""``make bench``: environment steps per second against Gymnasium's Pendulum-v1.

Measures, in one run and on one core: a single ``RoverLandscape-v0``, the native vector env at
1, 64 and 1024 sub-environments (for each teacher direction asked for) and ``Pendulum-v1``
made with ``gymnasium.make`` as the reference. Actions are random; episodes autoreset, so
reset costs are included in the figures. ``--metric grid_fit`` times the adapted grid
(:mod:`rover_envs.metric`; with a grid direction, ``angle_net`` or ``quadratic_fit``). Prints a
table and, with ``--out``, writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import gymnasium as gym
import numpy as np

import rover_envs  # noqa: F401


def _time_single(env, seconds: float) -> float:
    env.reset(seed=0)
    actions = np.stack([env.action_space.sample() for _ in range(256)])
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for a in actions[:64]:
            _, _, term, trunc, _ = env.step(a)
            if term or trunc:
                env.reset()
        steps += 64
    return steps / (time.perf_counter() - start)


def _time_vector(env, seconds: float) -> float:
    env.reset(seed=0)
    env.action_space.seed(0)
    actions = [env.action_space.sample() for _ in range(8)]
    for a in actions:  # warm up (first resets, caches)
        env.step(a)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        env.step(actions[steps % 8])
        steps += 1
    return steps * env.num_envs / (time.perf_counter() - start)


def run(directions: list[str], sizes: list[int], seconds: float, metric: str = "none") -> dict:
    rows = []
    pendulum = _time_single(gym.make("Pendulum-v1"), seconds)
    rows.append({"env": "Pendulum-v1 (gym.make)", "direction": "-", "num_envs": 1, "sps": pendulum})
    for direction in directions:
        sps = _time_single(gym.make("RoverLandscape-v0", direction=direction, metric=metric), seconds)
        rows.append(
            {
                "env": "RoverLandscape-v0 (gym.make)",
                "direction": direction,
                "metric": metric,
                "num_envs": 1,
                "sps": sps,
            }
        )
        for n in sizes:
            venv = gym.make_vec(
                "RoverLandscape-v0",
                num_envs=n,
                vectorization_mode="vector_entry_point",
                direction=direction,
                metric=metric,
            )
            sps = _time_vector(venv, seconds)
            rows.append(
                {
                    "env": "RoverLandscape-v0 (native vector)",
                    "direction": direction,
                    "metric": metric,
                    "num_envs": n,
                    "sps": sps,
                }
            )
    for row in rows:
        row["ratio_to_pendulum"] = row["sps"] / pendulum
    machine = platform.processor() or platform.machine()
    return {"machine": machine, "threads": os.environ.get("OMP_NUM_THREADS"), "rows": rows}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--directions", nargs="+", default=["gradient", "best_teacher", "angle_net"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[1, 64, 1024])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    parser.add_argument(
        "--metric", default="none", help="the grid's shape: none or grid_fit (rover_envs.metric)"
    )
    parser.add_argument("--out", help="write the results as JSON to this file")
    args = parser.parse_args(argv)
    result = run(args.directions, args.sizes, args.seconds, args.metric)
    print(f"{'environment':36s} {'direction':14s} {'envs':>5s} {'steps/s':>12s} {'x Pendulum':>10s}")
    for r in result["rows"]:
        ratio = r["ratio_to_pendulum"]
        print(f"{r['env']:36s} {r['direction']:14s} {r['num_envs']:5d} {r['sps']:12,.0f} {ratio:10.2f}")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(result, fh, indent=2)
    return result


if __name__ == "__main__":
    main()
