"""``make compare-rl``: our recurrent DDPG against Stable-Baselines3 agents on one env config.

    python -m experiments.compare_rl --config experiments/configs/compare_rl.yaml [--backend ray]

Every algorithm trains on the same ``RoverLandscape-v0`` configuration (training family,
reward variant, noise, horizon, initial alpha/delta ranges; the frozen angle net gives the
direction), for the same number of environment steps, with the same seeds, and is evaluated
on the same held-out landscapes (the held-out set depends on the seed only). ``rdpg`` is
``experiments.train_ddpg`` (its budget in episodes is ``total_steps // horizon``); ``ddpg``,
``td3``, ``sac``, ``ppo`` (Stable-Baselines3) and ``recurrent_ppo`` (sb3-contrib) are
``experiments.train_sb3`` with :class:`agents.sb3.GridCNN` on SB3's own ``VecEnv``. Each keeps
its own number of parallel environments (a property of the agent, not of the env).

All runs live in ``{runs_dir}/{name}/`` and log ``charts/final_normalized_regret_median`` and
``charts/episode_return`` against environment steps, so ``tensorboard --logdir
{runs_dir}/{name}`` overlays them. The runs go through the sweep runner (parallel, failures
isolated, finished runs skipped, interrupted runs resumed, Ray Tune as an option); the result
is ``summary.md`` (held-out log10 final normalised regret mean +- std over seeds, per family,
training wall-clock) and ``curves.png``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from experiments import config as cfgmod
from experiments.runs import cli
from experiments.schemas import CompareConfig, DDPGExperiment, SB3Experiment
from experiments.sweep import RunSpec, add_run_arguments, run_and_summarise


def specs_for(cfg: CompareConfig, source: str = "compare") -> list[RunSpec]:
    """One validated :class:`RunSpec` per algorithm x seed."""
    if not cfg.algorithms or not cfg.seeds:
        raise cfgmod.ConfigError(f"{source}: list at least one algorithm and one seed")
    env = {f"env.{k}": v for k, v in cfgmod.to_dict(cfg.env).items()}
    ev = {f"eval.{k}": v for k, v in cfgmod.to_dict(cfg.eval).items()}
    sweep_dir = str((Path(cfg.runs_dir) / cfg.name).resolve())
    specs = []
    for algo in cfg.algorithms:
        for seed in cfg.seeds:
            experiment = f"{cfg.name}-{algo}"
            common = {**env, **ev, "name": experiment, "seed": seed}
            if cfg.angle_net is not None:
                common["agent.angle_net" if algo == "rdpg" else "angle_net"] = cfg.angle_net
            if algo == "rdpg":
                module, cls, base = "experiments.train_ddpg", DDPGExperiment, cfg.rdpg_config
                overrides = {
                    **common,
                    "train.total_episodes": max(1, cfg.total_steps // cfg.env.horizon),
                    "train.threads": cfg.threads,
                }
            else:
                module, cls, base = "experiments.train_sb3", SB3Experiment, cfg.sb3_config
                overrides = {**common, "algo": algo, "total_steps": cfg.total_steps, "threads": cfg.threads}
            try:
                cfgmod.load(cls, base, overrides)
            except cfgmod.ConfigError as exc:
                raise cfgmod.ConfigError(f"{source}: {algo} seed {seed}: {exc}") from exc
            specs.append(
                RunSpec(
                    module, base, overrides, experiment, seed, {"algorithm": algo}, sweep_dir, cfg.threads
                )
            )
    return specs


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="Compare RL algorithms on one RoverLandscape-v0 config.")
    parser.add_argument("--config", default="experiments/configs/compare_rl.yaml")
    add_run_arguments(parser, "config")
    args = parser.parse_args(argv)
    cfg = cfgmod.load(CompareConfig, args.config, cfgmod.parse_overrides(args.set))
    specs = specs_for(cfg, args.config)
    workers = args.workers or cfg.workers or max(1, (os.cpu_count() or 1) // cfg.threads)
    sweep_dir = Path(cfg.runs_dir) / cfg.name
    sweep_dir.mkdir(parents=True, exist_ok=True)
    cfgmod.dump(cfg, sweep_dir / "compare.yaml")
    title = (
        f"RL algorithms on RoverLandscape-v0 (family={cfg.env.family}, reward={cfg.env.reward}, "
        + (f"move={cfg.env.move}, " if cfg.env.move != "eq4" else "")
        + ("features, " if cfg.env.features else "")
        + (f"metric={cfg.env.metric}, " if cfg.env.metric != "none" else "")
        + (f"angle net {Path(cfg.angle_net).stem}, " if cfg.angle_net else "")
        + f"{cfg.total_steps:,} steps)"
    )
    return run_and_summarise(
        specs,
        args,
        sweep_dir=sweep_dir,
        name=cfg.name,
        workers=workers,
        axes=["algorithm"],
        title=title,
        config=("compare.yaml", cfg),
    )


if __name__ == "__main__":
    cli(main)
