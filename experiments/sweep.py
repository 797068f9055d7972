"""``make sweep SWEEP=...``: a grid of training runs from one YAML file, run in parallel.

    python -m experiments.sweep experiments/configs/sweeps/reward_variants.yaml [--backend ray]
    python -m experiments.sweep SWEEP --dry-run          # list the runs and exit
    python -m experiments.sweep SWEEP --summarize        # aggregate the runs finished so far

A sweep file is a base config, overrides for every run, a grid and seeds::

    name: reward_variants
    trainer: ddpg                       # ddpg (experiments.train_ddpg) or sb3 (experiments.train_sb3)
    base: ../ddpg_scratch.yaml          # relative to this file
    overrides: {train.total_episodes: 20000}
    grid:
      env.reward: [running_mean, normalized, raw, final]
      landscape:                        # an axis whose values are groups of overrides
        - {label: all, env.family: all}
        - {label: all_noisy, env.family: all, env.noise: 0.05}
    seeds: [0, 1, 2]

Every combination x seed is one run of the trainer, in
``{runs_dir}/{name}/{env}__{name}-{labels}__{seed}__{time}/`` with its config, command, git
revision, TensorBoard events, checkpoint and ``metrics.json``. Every run's config is validated
before any run starts. Runs execute as separate processes, ``workers`` at a time (default: the
cores divided by ``threads``); a failed run is reported (its log in ``logs/``) and does not stop
the others; running the sweep again skips finished runs and resumes interrupted ones from their
checkpoints. ``--backend ray`` runs the same runs as Ray Tune trials (``pip install
'rover-descent[ray]'``): a local Ray instance by default, the cluster at ``RAY_ADDRESS`` when set.

At the end :func:`experiments.summary.aggregate` writes ``summary.md`` / ``summary.csv`` and
``curves.png`` / ``scores.png``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from experiments import config as cfgmod
from experiments.runs import cli, run_name
from experiments.schemas import DDPGExperiment, SB3Experiment, SweepConfig
from experiments.summary import aggregate, publish

ENV_ID = "RoverLandscape-v0"
ROOT = Path(__file__).resolve().parent.parent


TRAINERS: dict[str, tuple[str, type, str]] = {
    "ddpg": ("experiments.train_ddpg", DDPGExperiment, "train.threads"),
    "sb3": ("experiments.train_sb3", SB3Experiment, "threads"),
}
"""trainer -> (module, config class, the key that sets its torch threads)."""


@dataclass
class RunSpec:
    """One run of a sweep: what to start and where its results go."""

    module: str
    base: str
    overrides: dict[str, Any]
    experiment: str
    seed: int
    labels: dict[str, str]  # axis -> label of this run's value (aggregation keys)
    sweep_dir: str
    threads: int = 1

    def prefix(self) -> str:
        return f"{ENV_ID}__{self.experiment}__{self.seed}__"

    def existing(self) -> list[Path]:
        """Run folders of this spec from earlier invocations, newest last."""
        root = Path(self.sweep_dir)
        return sorted(root.glob(self.prefix() + "*")) if root.is_dir() else []

    def finished(self) -> Path | None:
        done = [d for d in self.existing() if (d / "metrics.json").is_file()]
        return done[-1] if done else None

    def command(self, run_dir: Path, resume: bool) -> list[str]:
        if resume:
            return [sys.executable, "-m", self.module, "--resume", str(run_dir)]
        sets = [f"{k}={json.dumps(v)}" for k, v in self.overrides.items()]
        return [
            sys.executable,
            "-m",
            self.module,
            "--config",
            self.base,
            "--run-dir",
            str(run_dir),
            "--set",
            *sets,
        ]


def _label(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return re.sub(r"[^A-Za-z0-9_.+-]+", "_", str(text)).strip("_") or "x"


def _axis_values(axis: str, values: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    """``[(label, overrides)]`` for one grid axis."""
    if not isinstance(values, list) or not values:
        raise cfgmod.ConfigError(f"grid.{axis}: expected a non-empty list of values")
    out = []
    for v in values:
        if isinstance(v, dict):
            v = dict(v)
            label = str(v.pop("label", "") or "_".join(_label(x) for x in v.values()))
            if not v:
                raise cfgmod.ConfigError(f"grid.{axis}: a group of overrides is empty")
            out.append((_label(label), v))
        else:
            out.append((_label(v), {axis: v}))
    labels = [lab for lab, _ in out]
    if len(set(labels)) != len(labels):
        raise cfgmod.ConfigError(f"grid.{axis}: values must have distinct labels; got {labels}")
    return out


def expand(sweep: SweepConfig, source: str = "sweep") -> list[RunSpec]:
    """Every (combination, seed) of ``sweep`` as a :class:`RunSpec`, each config validated."""
    module, cls, threads_key = TRAINERS[sweep.trainer]
    if not Path(sweep.base).is_file():
        raise cfgmod.ConfigError(f"{source}: base config {sweep.base} does not exist")
    if not sweep.seeds:
        raise cfgmod.ConfigError(f"{source}: seeds must list at least one seed")
    if sweep.threads < 1 or sweep.workers < 0:
        raise cfgmod.ConfigError(f"{source}: threads must be >= 1 and workers >= 0")
    axes = [(axis, _axis_values(axis, values)) for axis, values in sweep.grid.items()]
    combos: list[list[tuple[str, str, dict]]] = [[]]
    for axis, values in axes:
        combos = [[*c, (axis, lab, ov)] for c in combos for lab, ov in values]
    sweep_dir = str((Path(sweep.runs_dir) / sweep.name).resolve())  # absolute: Ray trials change cwd
    specs = []
    for combo in combos:
        experiment = "-".join([sweep.name] + [lab for _, lab, _ in combo])
        for seed in sweep.seeds:
            overrides = {**sweep.overrides}
            for _, _, ov in combo:
                overrides.update(ov)
            overrides.update({"name": experiment, "seed": seed, threads_key: sweep.threads})
            try:
                cfgmod.load(cls, sweep.base, overrides)
            except cfgmod.ConfigError as exc:
                raise cfgmod.ConfigError(f"{source}: run {experiment} seed {seed}: {exc}") from exc
            labels = {axis: lab for axis, lab, _ in combo}
            spec = RunSpec(module, sweep.base, overrides, experiment, seed, labels, sweep_dir, sweep.threads)
            specs.append(spec)
    return specs


def prepare(spec: RunSpec) -> tuple[Path, bool]:
    """The folder a spec runs in and whether it resumes: an interrupted run with a checkpoint
    is continued; a folder without one (it died before its first checkpoint) is replaced."""
    for d in reversed(spec.existing()):
        if any((d / name).is_file() for name in ("checkpoint.pt", "checkpoint.zip")):
            return d, True
        shutil.rmtree(d, ignore_errors=True)
    return Path(spec.sweep_dir) / run_name(ENV_ID, spec.experiment, spec.seed), False


def run_one(spec: RunSpec, cwd: str | Path = ROOT) -> dict:
    """Run one spec as a subprocess; returns ``{"run_dir", "metrics"}``; raises on failure."""
    run_dir, resume = prepare(spec)
    log_dir = Path(spec.sweep_dir) / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "OMP_NUM_THREADS": str(spec.threads),
        "MKL_NUM_THREADS": str(spec.threads),
        "MPLBACKEND": "Agg",
        "TQDM_MININTERVAL": "30",
    }
    log = log_dir / f"{run_dir.name}.log"
    with open(log, "a") as fh:
        fh.write(f"$ {' '.join(spec.command(run_dir, resume))}\n")
        fh.flush()
        proc = subprocess.run(
            spec.command(run_dir, resume), cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT
        )
    if proc.returncode != 0:
        tail = "".join(log.read_text().splitlines(keepends=True)[-15:])
        raise RuntimeError(
            f"{spec.experiment} seed {spec.seed} failed (exit {proc.returncode}); log {log}:\n{tail}"
        )
    return {"run_dir": str(run_dir), "metrics": json.loads((run_dir / "metrics.json").read_text())}


def run_local(specs: Sequence[RunSpec], workers: int, quiet: bool = False) -> tuple[list, list]:
    """Run ``specs`` ``workers`` at a time; returns ``(results, failures)``."""
    results, failures = [], []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {pool.submit(run_one, spec): spec for spec in specs}
        bar = tqdm(total=len(specs), unit="run", desc="sweep", disable=quiet)
        for fut in as_completed(futures):
            spec = futures[fut]
            try:
                results.append((spec, fut.result()))
            except Exception as exc:  # a failed run must not stop the others
                failures.append((spec, str(exc)))
                tqdm.write(f"FAILED {exc}")
            bar.update(1)
        bar.close()
    return results, failures


def run_ray(
    specs: Sequence[RunSpec], workers: int, sweep_name: str, quiet: bool = False
) -> tuple[list, list]:
    """The same runs as Ray Tune trials: one trial per spec (at least one), each running :func:`run_one`.

    Ray starts a local instance unless ``RAY_ADDRESS`` names a cluster; on a cluster every node
    needs the project installed at the same path, and ``runs_dir`` should be shared storage
    (the metrics come back through Tune either way, so the summary is always complete).
    """
    try:
        import ray
        from ray import tune
    except ImportError as exc:
        raise SystemExit("the ray backend needs Ray Tune: pip install 'rover-descent[ray]'") from exc
    cwd = str(ROOT)
    by_key = {f"{s.experiment}__{s.seed}": s for s in specs}

    def trainable(config: dict) -> dict:
        spec = RunSpec(**config["spec"])
        out = run_one(spec, cwd=cwd)
        return {"log10_score": out["metrics"]["log10_score"], "result_json": json.dumps(out)}

    threads = specs[0].threads
    if not ray.is_initialized():
        if os.environ.get("RAY_ADDRESS"):
            ray.init(log_to_driver=not quiet)
        else:
            ray.init(num_cpus=max(1, workers) * threads, include_dashboard=False, log_to_driver=not quiet)
    storage = Path(specs[0].sweep_dir) / "ray"
    tuner = tune.Tuner(
        tune.with_resources(trainable, {"cpu": threads}),
        param_space={"spec": tune.grid_search([dataclasses.asdict(s) for s in specs])},
        tune_config=tune.TuneConfig(max_concurrent_trials=max(1, workers)),
        run_config=tune.RunConfig(name=sweep_name, storage_path=str(storage), verbose=0 if quiet else 1),
    )
    grid = tuner.fit()
    results, failures = [], []
    for r in grid:
        spec = by_key.get("{experiment}__{seed}".format(**r.config["spec"])) if r.config else None
        if r.error is not None or not r.metrics or "result_json" not in r.metrics:
            failures.append((spec, str(r.error)))
        else:
            results.append((spec, json.loads(r.metrics["result_json"])))
    return results, failures


# -- entry point -------------------------------------------------------------------------------------
def execute(
    specs: list[RunSpec],
    *,
    backend: str,
    workers: int,
    name: str,
    quiet: bool = False,
    report: Callable[[str], None] = print,
) -> tuple[list, list]:
    """Skip finished runs, run the rest on ``backend`` (``"none"``: run nothing); return all
    results and the failures."""
    done = [
        (s, {"run_dir": str(d), "metrics": json.loads((d / "metrics.json").read_text())})
        for s in specs
        if (d := s.finished()) is not None
    ]
    todo = [s for s in specs if s.finished() is None]
    how = "summarising only" if backend == "none" else f"{backend}, {workers} at a time"
    report(f"{len(specs)} runs: {len(done)} finished earlier, {len(todo)} to run ({how})")
    if not todo or backend == "none":
        return done, []
    if backend == "ray":
        new, failures = run_ray(todo, workers, name, quiet)
    else:
        new, failures = run_local(todo, workers, quiet)
    order = {id(s): i for i, s in enumerate(specs)}
    results = sorted(done + new, key=lambda x: order.get(id(x[0]), 0))
    return results, failures


def add_run_arguments(parser: argparse.ArgumentParser, source: str) -> None:
    """Options shared by ``sweep`` and ``compare_rl`` (``source``: what ``--set`` overrides)."""
    parser.add_argument("--backend", choices=("local", "ray"), default="local")
    parser.add_argument(
        "--workers", type=int, help=f"parallel runs (default: the {source}'s, else cores // threads)"
    )
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help=f"override {source} keys")
    parser.add_argument("--summarize", action="store_true", help="only aggregate the runs finished so far")
    parser.add_argument("--publish", metavar="DIR", help="also copy the summary and plots into DIR")


def run_and_summarise(
    specs: list[RunSpec],
    args: argparse.Namespace,
    *,
    sweep_dir: Path,
    name: str,
    workers: int,
    axes: list[str],
    title: str,
    config: tuple[str, Any],
) -> dict:
    """Run (or, with ``--summarize``, only collect) ``specs``, write the summary, report failures;
    exits non-zero when a run failed, after the summary of the others is written."""
    start = time.perf_counter()
    backend = "none" if args.summarize else args.backend
    results, failures = execute(specs, backend=backend, workers=workers, name=name)
    print(aggregate(sweep_dir, axes, results, title))
    if args.publish:
        print(f"summary copied to {publish(sweep_dir, args.publish, config)}")
    print(
        f"folder (runs, TensorBoard logs, summary.md): {sweep_dir}  "
        f"({(time.perf_counter() - start) / 60:.1f} min); tensorboard --logdir {sweep_dir}"
    )
    for spec, err in failures:
        what = f"{spec.experiment} seed {spec.seed}" if spec else "a run"
        lines = [x for x in (err or "").splitlines() if x.strip()]
        print(f"FAILED: {what}: {lines[-1] if lines else 'no error message'}", file=sys.stderr)
    if failures:
        raise SystemExit(f"{len(failures)} of {len(specs)} runs failed; fix and run again to finish them")
    return {"results": results, "failures": failures}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="Run a sweep of training runs from a YAML file.")
    parser.add_argument("sweep", help="sweep file, e.g. experiments/configs/sweeps/reward_variants.yaml")
    parser.add_argument("--dry-run", action="store_true", help="list the runs and exit")
    add_run_arguments(parser, "sweep file")
    args = parser.parse_args(argv)
    sweep = cfgmod.load(SweepConfig, args.sweep, cfgmod.parse_overrides(args.set))
    specs = expand(sweep, args.sweep)
    workers = args.workers or sweep.workers or max(1, (os.cpu_count() or 1) // sweep.threads)
    if args.dry_run:
        for s in specs:
            print(f"{s.experiment} seed={s.seed}: {s.overrides}")
        return {"runs": len(specs)}
    sweep_dir = Path(sweep.runs_dir) / sweep.name
    sweep_dir.mkdir(parents=True, exist_ok=True)
    cfgmod.dump(sweep, sweep_dir / "sweep.yaml")
    return run_and_summarise(
        specs,
        args,
        sweep_dir=sweep_dir,
        name=sweep.name,
        workers=workers,
        axes=list(sweep.grid),
        title=f"Sweep {sweep.name}",
        config=("sweep.yaml", sweep),
    )


if __name__ == "__main__":
    cli(main)
