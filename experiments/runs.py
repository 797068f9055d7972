"""Run folders shared by every training script.

A run lives in ``{runs_dir}/{env}__{experiment}__{seed}__{time}/`` with the resolved
``config.yaml``, the ``command.txt`` that started it and ``git.txt`` (the revision, flagged when
the tree had uncommitted changes); trainers add TensorBoard events, ``checkpoint.pt``,
``metrics.json`` and the finished weights. Weights leave the run folder only on an explicit
request (``--output PATH``, which ``make train-angle`` / ``make train-ddpg`` give for the shipped
files), with their config (``.yaml``) and metadata (``.json``) beside them.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from agents.io import atomic_path
from experiments import config as cfgmod

T = TypeVar("T")


def git_revision() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], capture_output=True, text=True
        ).stdout.strip()
        return out.stdout.strip() + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run_name(env: str, experiment: str, seed: int, stamp: str | None = None) -> str:
    """``{env}__{experiment}__{seed}__{time}``, the name of every run folder."""
    return f"{env}__{experiment}__{seed}__{stamp or time.strftime('%Y%m%d-%H%M%S')}"


def command_line() -> str:
    """The command that started this process, as a user would retype it: ``python -m
    experiments.train_ddpg ...`` for a module run (not the module file's absolute path)."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    argv = ["python", "-m", spec.name, *sys.argv[1:]] if spec is not None and spec.name else sys.argv
    return " ".join(shlex.quote(a) for a in argv)


def new_run_dir(runs_dir: str, env: str, cfg, run_dir: str | Path | None = None) -> Path:
    """Create ``{runs_dir}/{env}__{cfg.name}__{cfg.seed}__{time}/`` (or ``run_dir`` when given,
    as sweeps do) with the resolved config, the command line and the git revision."""
    run_dir = Path(run_dir) if run_dir else Path(runs_dir) / run_name(env, cfg.name, cfg.seed)
    if run_dir.exists() and any(run_dir.iterdir()):
        raise FileExistsError(f"run folder {run_dir} is not empty; continue it with --resume {run_dir}")
    run_dir.mkdir(parents=True, exist_ok=True)
    cfgmod.dump(cfg, run_dir / "config.yaml")
    (run_dir / "command.txt").write_text(command_line() + "\n")
    (run_dir / "git.txt").write_text(git_revision() + "\n")
    return run_dir


def run_metadata(cfg, run_dir: Path, **extra: Any) -> dict:
    """What a finished model carries: its config, command, git revision and results."""
    command = (run_dir / "command.txt").read_text().strip()
    return {"config": cfgmod.to_dict(cfg), "command": command, "git": git_revision(), **extra}


def save_beside(cfg, meta: dict, weights: Path) -> None:
    """The config and metadata next to weights (``x.pt`` -> ``x.yaml``, ``x.json``)."""
    cfgmod.dump(cfg, weights.with_suffix(".yaml"))
    weights.with_suffix(".json").write_text(json.dumps(meta, indent=2, default=str))


def publish_weights(src: Path, output: Path | None, cfg, meta: dict) -> Path:
    """Copy finished weights from the run folder to ``output`` (an explicit ``--output``), with
    their config and metadata beside them; returns where they are."""
    if output is None:
        return src
    with atomic_path(output) as tmp:
        shutil.copyfile(src, tmp)
    save_beside(cfg, meta, output)
    return output


class Run(NamedTuple):
    """What a trainer's command line asked for."""

    cfg: Any
    dir: Path
    resume: bool
    output: Path | None  # also write the final weights here (an explicit request; None: no)


def start_run(
    cls: type[T],
    env: str,
    description: str,
    default_config: str,
    argv: list[str] | None,
    output_help: str | None = None,
) -> Run:
    """Parse ``--config/--set/--resume/--run-dir`` (and ``--output`` when ``output_help`` is given).

    Every value is validated before a run folder exists. ``--resume DIR --set k=v`` continues the
    run with those keys changed (e.g. more episodes): the updated config is validated, saved in
    ``DIR/config.yaml`` and the command appended to ``DIR/command.txt``.
    """
    parser = argparse.ArgumentParser(
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="config keys (YAML file, or --set key=value):\n" + "\n".join(cfgmod.describe(cls)),
    )
    parser.add_argument("--config", default=default_config, help=f"YAML config (default {default_config})")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="override config keys")
    parser.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from its checkpoint")
    parser.add_argument("--run-dir", help="use this (new or empty) folder instead of a timestamped one")
    if output_help:
        parser.add_argument("--output", type=Path, metavar="PATH", help=output_help)
    args = parser.parse_args(argv)
    output = getattr(args, "output", None)
    overrides = cfgmod.parse_overrides(args.set)
    if args.resume:
        run_dir = Path(args.resume)
        if not (run_dir / "config.yaml").is_file():
            raise cfgmod.ConfigError(f"{run_dir} is not a run folder (no config.yaml); nothing to resume")
        cfg = cfgmod.load(cls, run_dir / "config.yaml", overrides)
        if overrides:
            cfgmod.dump(cfg, run_dir / "config.yaml")
            with open(run_dir / "command.txt", "a") as fh:
                fh.write(command_line() + "\n")
        return Run(cfg, run_dir, True, output)
    cfg = cfgmod.load(cls, args.config, overrides)
    return Run(cfg, new_run_dir(cfg.runs_dir, env, cfg, args.run_dir), False, output)


def print_report(text: str, out: Path | None) -> None:
    """Print a markdown report and, when ``out`` is given, write it there (folders created)."""
    print(text)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)


def cli(main: Callable[[list[str] | None], Any]) -> None:
    """Run a command-line ``main``; a config error is one line on stderr (exit status 2), not a
    traceback."""
    try:
        main(None)
    except cfgmod.ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
