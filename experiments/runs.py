"""Run folders shared by every training script.

A run lives in ``{runs_dir}/{env}__{experiment}__{seed}__{time}/`` with the resolved
``config.yaml``, the ``command.txt`` that started it and ``git.txt`` (the revision, flagged when
the tree had uncommitted changes); trainers add TensorBoard events, ``checkpoint.pt`` and
``metrics.json``. Finished weights are saved with their config (``.yaml``) and metadata
(``.json``) beside them.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, TypeVar

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


def new_run_dir(runs_dir: str, env: str, cfg) -> Path:
    """Create ``{runs_dir}/{env}__{cfg.name}__{cfg.seed}__{time}/`` with config, command, git."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    run_dir = Path(runs_dir) / f"{env}__{cfg.name}__{cfg.seed}__{stamp}"
    run_dir.mkdir(parents=True, exist_ok=False)
    cfgmod.dump(cfg, run_dir / "config.yaml")
    (run_dir / "command.txt").write_text(" ".join(shlex.quote(a) for a in sys.argv) + "\n")
    (run_dir / "git.txt").write_text(git_revision() + "\n")
    return run_dir


def run_metadata(cfg, run_dir: Path, **extra: Any) -> dict:
    """What a finished model carries: its config, command, git revision and results."""
    command = (run_dir / "command.txt").read_text().strip()
    return {"config": cfgmod.to_dict(cfg), "command": command, "git": git_revision(), **extra}


def save_beside(cfg, meta: dict, weights: Path) -> None:
    """The config and metadata next to shipped weights (``x.pt`` -> ``x.yaml``, ``x.json``)."""
    cfgmod.dump(cfg, weights.with_suffix(".yaml"))
    weights.with_suffix(".json").write_text(json.dumps(meta, indent=2, default=str))


def start_run(cls: type[T], env: str, description: str, default_config: str,
              argv: list[str] | None) -> tuple[T, Path, bool]:  # fmt: skip
    """Parse ``--config/--set/--resume`` and return ``(config, run_dir, resuming)``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--config", default=default_config)
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="override config keys")
    parser.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from its checkpoint")
    args = parser.parse_args(argv)
    if args.resume:
        run_dir = Path(args.resume)
        return cfgmod.load(cls, run_dir / "config.yaml"), run_dir, True
    cfg = cfgmod.load(cls, args.config, cfgmod.parse_overrides(args.set))
    return cfg, new_run_dir(cfg.runs_dir, env, cfg), False
