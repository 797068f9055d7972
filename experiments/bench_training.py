"""Training speed against torch's thread count, alone and under load (``train.threads``' default).

    python -m experiments.bench_training [--full] [--out results/training_threads.md]

Runs a shortened ``make train-ddpg`` recipe (``experiments/configs/ddpg.yaml`` with fewer DAgger
rounds and episodes) with 1 and 2 torch threads in three situations: alone on the machine, beside
one busy process (a pure-Python loop occupying a core, as another user's job would), and two
identical trainings at once (after one untimed warm-up run). It reports wall-clock seconds per
scenario and checks that the trained weights do not depend on the thread count. Timings are only
figures when nothing else runs on the machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

SHORT = [
    "warm_start.rounds=3",
    "train.total_episodes=4000",
    "rdpg.actor_delay=200",
    "eval.landscapes_per_family=10",
]
"""The shortened recipe: full-size DAgger rounds and RDPG updates (the actor's included), a tenth
of each phase."""


def _train(threads: int, runs_dir: Path, short: bool = True) -> subprocess.Popen:
    cmd = [
        sys.executable,
        "-m",
        "experiments.train_ddpg",
        "--config",
        "experiments/configs/ddpg.yaml",
        "--set",
        *(SHORT if short else []),
        f"train.threads={threads}",
        f"runs_dir={runs_dir}",
    ]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def full_recipe(threads: int, root: Path) -> float:
    """Training seconds (warm start + RDPG, without the evaluation) of the unshortened recipe alone."""
    runs = root / f"full-{threads}"
    if _train(threads, runs, short=False).wait():
        raise RuntimeError(f"the full recipe failed with {threads} threads")
    (metrics,) = runs.glob("*/metrics.json")
    return float(json.loads(metrics.read_text())["train_seconds"])


def scenario(threads: int, load: str, root: Path) -> dict:
    """Wall-clock seconds of one training with ``threads`` torch threads; ``load`` is ``"none"``,
    ``"busy"`` (a busy process beside it) or ``"twin"`` (a second identical training)."""
    runs = root / f"{load}-{threads}"
    busy = None
    if load == "busy":
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    start = time.perf_counter()
    procs = [_train(threads, runs / "a")] + ([_train(threads, runs / "b")] if load == "twin" else [])
    codes = [p.wait() for p in procs]
    seconds = time.perf_counter() - start
    if busy is not None:
        busy.kill()
        busy.wait()
    if any(codes):
        raise RuntimeError(f"a training failed (threads={threads}, load={load}): exit codes {codes}")
    (policy,) = (runs / "a").glob("*/rover_policy.pt")
    return {"threads": threads, "load": load, "seconds": seconds, "policy": str(policy)}


def same_weights(a: str, b: str) -> bool:
    sa = torch.load(a, weights_only=True)["actor"]["state_dict"]
    sb = torch.load(b, weights_only=True)["actor"]["state_dict"]
    return all(torch.equal(sa[k], sb[k]) for k in sa)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write a markdown table here")
    parser.add_argument(
        "--full", action="store_true", help="also time the unshortened recipe alone (~20 min)"
    )
    args = parser.parse_args(argv)
    rows, full = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        scenario(1, "none", Path(tmp) / "warm-up")  # imports and disk caches, not timed
        for load in ("none", "busy", "twin"):
            for threads in (1, 2):
                rows.append(scenario(threads, load, Path(tmp)))
                print(f"load {load:5s} threads {threads}: {rows[-1]['seconds']:.1f} s", flush=True)
        identical = same_weights(rows[0]["policy"], rows[1]["policy"])
        if args.full:
            full = {threads: full_recipe(threads, Path(tmp)) for threads in (1, 2)}
    base = {r["threads"]: r["seconds"] for r in rows if r["load"] == "none"}
    what = {"none": "alone", "busy": "beside a busy process", "twin": "two trainings at once"}
    lines = [
        "# Training speed and torch threads",
        "",
        f"`python -m experiments.bench_training`: the `ddpg.yaml` recipe shortened ({', '.join(SHORT)}), "
        "wall-clock seconds on this project's 2-core CPU machine (nothing else running).",
        "",
        "| situation | 1 thread | 2 threads |",
        "|---|---:|---:|",
        *[
            f"| {what[load]} | "
            + " | ".join(
                f"{r['seconds']:.0f} s (x{r['seconds'] / base[r['threads']]:.1f})"
                for r in rows
                if r["load"] == load
            )
            + " |"
            for load in what
        ],
        "",
        f"(xN: against the same thread count alone.) Trained weights identical with 1 and 2 threads: "
        f"{'yes' if identical else 'no'}.",
        "",
    ]
    if full:
        lines += [
            "The unshortened recipe alone (`make train-ddpg`'s training time, without the held-out "
            f"evaluation): {full[1] / 60:.1f} min with 1 thread, {full[2] / 60:.1f} min with 2 "
            f"(x{full[1] / full[2]:.2f}).",
            "",
        ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text)
    result = {
        "full_recipe_seconds": full,
        "rows": [{k: v for k, v in r.items() if k != "policy"} for r in rows],
        "identical_weights": identical,
    }
    if args.out:
        args.out.with_suffix(".json").write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
