"""Train a Stable-Baselines3 agent (DDPG, TD3, SAC, PPO, or sb3-contrib's RecurrentPPO) on
``RoverLandscape-v0``, with the same run folder, TensorBoard tags and held-out evaluation as
``experiments.train_ddpg`` so their curves overlay.

    python -m experiments.train_sb3 --config experiments/configs/sb3.yaml --set algo=td3 seed=1
    python -m experiments.train_sb3 --resume runs/RoverLandscape-v0__sb3-td3__1__20261127-101500

The agents see the same 7x7 grid (through :class:`agents.sb3.GridCNN`, ``normalize_images=False``)
and move along the same frozen angle-net direction; they choose (delta alpha, delta delta) like
our recurrent DDPG. The env comes as :class:`agents.sb3.RoverVecEnv` (SB3's own ``VecEnv``).
TensorBoard: SB3's own tags (``rollout/*``, ``train/*``) plus ``charts/episode_return`` and
``charts/final_normalized_regret_median`` against environment steps, and ``eval/*`` at the end.
``checkpoint.zip`` (and ``replay_buffer.pkl`` for off-policy agents) are replaced atomically
every ``checkpoint_every`` steps; ``--resume`` continues from them.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.logger import configure
from stable_baselines3.common.noise import NormalActionNoise
from torch.utils.tensorboard import SummaryWriter
from tqdm import tqdm

from agents.io import atomic_path, atomic_write_text
from agents.sb3 import RoverVecEnv, algorithm_class, policy_kwargs
from experiments import heldout
from experiments.config import to_dict
from experiments.runs import cli, start_run
from experiments.schemas import SB3Experiment

OFF_POLICY = ("ddpg", "td3", "sac")


def make_env(cfg: SB3Experiment, seed: int) -> RoverVecEnv:
    return RoverVecEnv(cfg.num_envs, seed=seed, angle_net_path=cfg.angle_net, **to_dict(cfg.env))


def build_model(cfg: SB3Experiment, env: RoverVecEnv):
    dict_obs = isinstance(env.observation_space, gym.spaces.Dict)
    cls, policy = algorithm_class(cfg.algo, dict_obs)
    kwargs: dict[str, Any] = dict(cfg.algo_kwargs.get(cfg.algo, {}))
    if cfg.algo in ("ddpg", "td3"):
        n = env.action_space.shape[0]
        kwargs.setdefault("action_noise", NormalActionNoise(np.zeros(n), cfg.exploration_noise * np.ones(n)))
    pk = policy_kwargs(cfg.features, cfg.channels, dict_obs, net_arch=list(cfg.net_arch))
    if cfg.algo in OFF_POLICY:
        pk["share_features_extractor"] = False
    try:
        return cls(policy, env, policy_kwargs=pk, seed=cfg.seed, device="cpu", verbose=0, **kwargs)
    except TypeError as exc:
        raise ValueError(f"algo_kwargs.{cfg.algo}: {exc} (see the {cls.__name__} documentation)") from exc


class ProgressCallback(BaseCallback):
    """Episode statistics to TensorBoard (our tags) and a tqdm bar; atomic checkpoints."""

    def __init__(self, cfg: SB3Experiment, run_dir: Path, writer: SummaryWriter, state: dict, quiet: bool):
        super().__init__()
        self.cfg, self.run_dir, self.writer, self.state = cfg, run_dir, writer, state
        self.curve = state["curve"]
        self.clock = time.perf_counter()
        self.quiet = quiet
        self.recent: list[tuple[float, float]] = []
        self.last_log = self.last_ckpt = 0

    def _on_training_start(self) -> None:
        self.last_log = self.last_ckpt = self.num_timesteps
        self.bar = tqdm(
            total=self.cfg.total_steps,
            initial=self.num_timesteps,
            unit="step",
            disable=self.quiet,
            desc=f"train-{self.cfg.algo}",
        )

    def _on_step(self) -> bool:
        for info in self.locals["infos"]:
            if "episode" in info:
                self.recent.append((info["episode"]["r"], info["final_normalized_regret"]))
        self.recent = self.recent[-500:]
        self.bar.update(self.training_env.num_envs)
        if self.num_timesteps - self.last_log >= self.cfg.log_every and self.recent:
            self.last_log = self.num_timesteps
            ret = float(np.mean([r for r, _ in self.recent]))
            reg = float(np.median([g for _, g in self.recent]))
            self.writer.add_scalar("charts/episode_return", ret, self.num_timesteps)
            self.writer.add_scalar("charts/final_normalized_regret_median", reg, self.num_timesteps)
            self.curve.append([self.num_timesteps, ret, reg])
            self.bar.set_postfix(ret=f"{ret:.2f}", regret=f"{reg:.3g}")
        if self.num_timesteps - self.last_ckpt >= self.cfg.checkpoint_every:
            self.last_ckpt = self.num_timesteps
            self.tick()
            save_checkpoint(self.model, self.run_dir, self.state)
        return True

    def tick(self) -> None:
        """Add the wall-clock time since the last tick to ``state["train_seconds"]``."""
        now = time.perf_counter()
        self.state["train_seconds"] += now - self.clock
        self.clock = now

    def _on_training_end(self) -> None:
        self.bar.close()


def save_checkpoint(model, run_dir: Path, state: dict) -> None:
    """Model, replay buffer (off-policy) and the curve/timer state, each replaced atomically."""
    if hasattr(model, "replay_buffer") and model.replay_buffer is not None:
        with atomic_path(run_dir / "replay_buffer.pkl", suffix=".pkl") as tmp:
            model.save_replay_buffer(tmp)
    with atomic_path(run_dir / "checkpoint.zip", suffix=".zip") as tmp:
        model.save(tmp)
    atomic_write_text(run_dir / "state.json", json.dumps(state))


def train(cfg: SB3Experiment, run_dir: Path, resume: bool = False, quiet: bool = False) -> dict:
    torch.set_num_threads(cfg.threads or min(os.cpu_count() or 1, 4))
    env = make_env(cfg, cfg.seed)
    state: dict[str, Any] = {"curve": [], "train_seconds": 0.0}  # curve rows: [steps, return, regret]
    ckpt = run_dir / "checkpoint.zip"
    if resume and ckpt.is_file():
        cls, _ = algorithm_class(cfg.algo)
        model = cls.load(ckpt, env=env, device="cpu")
        if (run_dir / "replay_buffer.pkl").is_file():
            model.load_replay_buffer(run_dir / "replay_buffer.pkl")
        if (run_dir / "state.json").is_file():
            state = json.loads((run_dir / "state.json").read_text())
    else:
        model = build_model(cfg, env)
    model.set_logger(configure(str(run_dir), ["tensorboard"]))
    writer = SummaryWriter(str(run_dir))
    writer.add_text("config", "```\n" + (run_dir / "config.yaml").read_text() + "\n```")
    callback = ProgressCallback(cfg, run_dir, writer, state, quiet)
    if cfg.total_steps > model.num_timesteps:
        model.learn(
            cfg.total_steps - model.num_timesteps,
            callback=callback,
            reset_num_timesteps=not resume,
            log_interval=10,
        )
    callback.tick()
    save_checkpoint(model, run_dir, state)
    trained = heldout.evaluate(
        heldout.sb3_policy(model),
        env=heldout.heldout_env(cfg.env, cfg.eval.noise, angle_net=cfg.angle_net),
        landscapes=cfg.eval.landscapes_per_family,
        seed=cfg.seed + cfg.eval.seed_offset,
    )
    heldout.log_to_tensorboard(writer, trained, model.num_timesteps)
    writer.close()
    metrics = {
        "held_out_median_final_normalized_regret": heldout.summary(trained),
        "log10_score": heldout.log10_score(trained),
        "env_steps": int(model.num_timesteps),
        "train_seconds": state["train_seconds"],
        "curve": state["curve"],
        "trained": trained,
    }
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
    model.save(run_dir / "model.zip")
    return metrics


def main(argv: list[str] | None = None) -> dict:
    cfg, run_dir, resume, _ = start_run(
        SB3Experiment,
        "RoverLandscape-v0",
        "Train a Stable-Baselines3 agent on RoverLandscape-v0.",
        "experiments/configs/sb3.yaml",
        argv,
    )
    metrics = train(cfg, run_dir, resume=resume)
    print(f"run folder (TensorBoard logs, model.zip): {run_dir}  ({metrics['train_seconds'] / 60:.1f} min)")
    print(f"held-out median final normalised regret ({cfg.algo}):")
    for fam, r in metrics["held_out_median_final_normalized_regret"].items():
        print(f"  {fam:14s} {r['trained']:.3g}")
    return metrics


if __name__ == "__main__":
    cli(main)
