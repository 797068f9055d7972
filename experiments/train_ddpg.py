"""``make train-ddpg``: train the recurrent DDPG step-size/resolution policy (section 3.2.3).

    python -m experiments.train_ddpg --config experiments/configs/ddpg.yaml [--set train.total_episodes=2000]
    python -m experiments.train_ddpg --resume runs/RoverLandscape-v0__ddpg__0__20261127-081500

Episodes come from the native vector env (a new training landscape per episode, the frozen
angle net as direction, the running-mean reward by default); every ``steps_per_iteration``
vector steps the agent makes ``updates_per_iteration`` recurrent updates on batches of whole
episodes. Runs live in ``runs/{env}__{experiment}__{seed}__{time}/`` with ``config.yaml``,
``command.txt``, ``git.txt``, TensorBoard events (``losses/*``, ``charts/*``, ``eval/*``, the
config as text, alpha/delta trajectories as figures) and ``checkpoint.pt`` (atomic; networks,
optimisers, replay buffer, counters). ``--resume`` restores all of these; the environment
stream restarts from a seed derived from the iteration, so a resumed run continues the same
training statistically, not bit for bit. At the end the policy is evaluated on held-out
landscapes against a fixed (untrained) schedule and saved with its config and command.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import gymnasium as gym
import numpy as np
import torch
from torch.utils.tensorboard import SummaryWriter
from tqdm import tqdm

import rover_envs  # noqa: F401
from agents.rdpg import RDPG, EpisodeBuffer, RDPGConfig, RecurrentActor, RecurrentCritic
from agents.rdpg.warmstart import WarmStartConfig, dagger, teacher_actions
from agents.rover import RoverPolicy
from experiments import heldout
from experiments.runs import run_metadata, save_beside, start_run
from rover_envs.angle_net import default_weights_path, load_angle_net
from rover_envs.env import build_engine
from rover_envs.landscapes import FAMILY_NAMES, NAMES
from rover_envs.rewards import REWARDS

Family = Literal[NAMES]  # a training family, "all", or an analytic test function
Reward = Literal[tuple(REWARDS)]


@dataclass
class EnvConfig:
    family: Family = "all"
    reward: Reward = "running_mean"
    noise: float = 0.0
    num_envs: int = 64
    horizon: int = 30
    # initial alpha0 / L0 and delta0 / L0 of *training* episodes (held-out evaluation always
    # uses the environment's defaults); wider ranges teach the policy to recover (appendix 6.2)
    step_size_range: tuple[float, float] = (0.01, 0.3)
    resolution_range: tuple[float, float] = (0.005, 0.1)


@dataclass
class AgentConfig:
    channels: tuple[int, int] = (16, 32)
    features: int = 64
    hidden: int = 64
    gamma: float = 1.0
    tau: float = 0.01
    actor_lr: float = 3e-4
    critic_lr: float = 1e-3
    exploration_noise: float = 0.2  # std of the Gaussian added to each action component
    init_from_angle_net: bool = False  # copy the angle net's convolutions into both encoders
    freeze_encoder: bool = False  # and keep them fixed
    actor_delay: int = 0  # critic-only updates first (lets a warm-started actor keep its skill)
    bc_weight: float = 0.0  # > 0: TD3+BC term pulling the actor to the warm-start teacher's actions


@dataclass
class TrainConfig:
    total_episodes: int = 80_000
    steps_per_iteration: int = 30
    updates_per_iteration: int = 8
    batch_episodes: int = 64
    buffer_episodes: int = 20_000
    learning_starts: int = 512  # episodes collected before the first update
    checkpoint_every: int = 20  # iterations
    threads: int = 0  # 0: min(cores, 4); the networks are too small to use more
    device: str = "cpu"  # "cuda" puts the networks and updates on the GPU (the env stays numpy)


@dataclass
class EvalConfig:
    landscapes_per_family: int = 50
    seed_offset: int = 1_000_003


@dataclass
class DDPGExperiment:
    name: str = "ddpg"
    seed: int = 0
    env: EnvConfig = field(default_factory=EnvConfig)
    agent: AgentConfig = field(default_factory=AgentConfig)
    warm_start: WarmStartConfig = field(default_factory=WarmStartConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    runs_dir: str = "runs"
    output: str | None = None  # final policy; None: {run}/rover_policy.pt


def env_kwargs(cfg: DDPGExperiment, family: str | None = None, training: bool = False) -> dict:
    """The environment's keyword arguments for this experiment (training episodes get the
    config's initial alpha/delta ranges, held-out ones the environment's defaults)."""
    ranges = {"step_size_range": cfg.env.step_size_range, "resolution_range": cfg.env.resolution_range}
    return {"family": family or cfg.env.family, "reward": cfg.env.reward, "noise": cfg.env.noise,
            **(ranges if training else {})}  # fmt: skip


def make_env(cfg: DDPGExperiment, num_envs: int, family: str | None = None, training: bool = False):
    return gym.make_vec("RoverLandscape-v0", num_envs=num_envs, vectorization_mode="vector_entry_point",
                        max_episode_steps=cfg.env.horizon, **env_kwargs(cfg, family, training))  # fmt: skip


def build_agent(cfg: DDPGExperiment, device: torch.device | None = None) -> tuple[RDPG, dict]:
    a = cfg.agent
    arch = {"grid_size": 7, "channels": tuple(a.channels), "features": a.features, "hidden": a.hidden}
    actor, critic = RecurrentActor(**arch), RecurrentCritic(**arch)
    if a.init_from_angle_net:
        angle, _ = load_angle_net()
        for net in (actor, critic):
            net.encoder.load_angle_convolutions(angle, freeze=a.freeze_encoder)
    actor, critic = actor.to(device or "cpu"), critic.to(device or "cpu")
    rdpg = RDPG(actor, critic, RDPGConfig(gamma=a.gamma, tau=a.tau, actor_lr=a.actor_lr,
                                          critic_lr=a.critic_lr, actor_delay=a.actor_delay,
                                          bc_weight=a.bc_weight))  # fmt: skip
    return rdpg, arch


def make_teacher(cfg: DDPGExperiment):
    """The privileged schedule teacher as ``info -> (N, 2)`` when the TD3+BC term is on."""
    if cfg.agent.bc_weight <= 0:
        return None
    ws = cfg.warm_start
    return lambda info: teacher_actions(info["distance"], info["step_size"], info["resolution"],
                                        ws.step_gain, ws.resolution_gain)  # fmt: skip


def warm_start(cfg: DDPGExperiment, rdpg: RDPG, writer: SummaryWriter, quiet: bool = False) -> list[float]:
    """DAgger from the privileged schedule teacher (:mod:`agents.rdpg.warmstart`) on the
    training distribution, then targets synced to the warm-started actor."""
    ws = cfg.warm_start

    def make_engine(n: int):
        return build_engine(n, "angle_net", horizon=cfg.env.horizon, **env_kwargs(cfg, training=True))

    bar = tqdm(total=ws.rounds, unit="round", disable=quiet, desc="warm start (DAgger)")

    def progress(k: int, loss: float, episodes: int) -> None:
        writer.add_scalar("warm_start/loss", loss, k)
        writer.add_scalar("warm_start/episodes", episodes, k)
        bar.update(1)
        bar.set_postfix(loss=f"{loss:.4f}", episodes=episodes)

    losses = dagger(rdpg.actor, make_engine, ws, seed=cfg.seed + 104_729, progress=progress)
    bar.close()
    rdpg.sync_targets()
    return losses


class Collector:
    """Steps the vector env with the noisy actor; hands finished episodes to the buffer."""

    def __init__(self, env, actor: RecurrentActor, noise: float, seed: int, teacher=None):
        """``teacher(info) -> (N, 2)``, when given, labels every state with its action
        (stored in the buffer for the TD3+BC regulariser)."""
        self.env, self.actor, self.noise, self.teacher = env, actor, noise, teacher
        self.rng = np.random.default_rng(seed)
        n = env.num_envs
        self.obs, info = env.reset(seed=seed)
        self.labels = self._label(info)
        self.hidden = actor.initial(n)
        self.start = np.ones(n, bool)
        self.pending_reset = np.zeros(n, bool)
        self.episodes = [self._fresh(self.obs[i], info["regret"][i]) for i in range(n)]

    def _label(self, info) -> np.ndarray | None:
        return None if self.teacher is None else self.teacher(info)

    @staticmethod
    def _fresh(obs, regret0):
        return {"obs": [obs], "actions": [], "rewards": [], "labels": [], "r0": float(regret0)}

    @torch.no_grad()
    def step(self, buffer: EpisodeBuffer) -> list[dict]:
        """One vector step; returns stats of the episodes that finished."""
        device = self.hidden.h.device
        obs = torch.from_numpy(self.obs).to(device)
        action, self.hidden = self.actor.act(obs, self.hidden, torch.from_numpy(self.start))
        action = action.cpu().numpy().astype(np.float64)
        if self.noise > 0:
            action = np.clip(action + self.noise * self.rng.standard_normal(action.shape), -0.5, 1.0)
        prev = torch.from_numpy(action.astype(np.float32)).to(device)
        self.hidden = self.hidden._replace(prev_action=prev)
        obs, reward, term, trunc, info = self.env.step(action)
        labels, self.labels = self.labels, self._label(info)
        finished = []
        for i in range(self.env.num_envs):
            if self.pending_reset[i]:  # NEXT_STEP autoreset: this step started a new episode
                self.episodes[i] = self._fresh(obs[i], info["regret"][i])
                self.pending_reset[i], self.start[i] = False, True
                continue
            ep = self.episodes[i]
            ep["obs"].append(obs[i])
            ep["actions"].append(action[i])
            ep["rewards"].append(reward[i])
            if labels is not None:
                ep["labels"].append(labels[i])
            self.start[i] = False
            if term[i] or trunc[i]:
                buffer.add(np.stack(ep["obs"]), np.stack(ep["actions"]), np.array(ep["rewards"]),
                           bool(term[i]), np.stack(ep["labels"]) if ep["labels"] else None)  # fmt: skip
                finished.append(
                    {
                        "return": float(np.sum(ep["rewards"])),
                        "terminated": bool(term[i]),
                        "final_normalized_regret": float(info["regret"][i] / max(ep["r0"], 1e-300)),
                    }
                )
                self.pending_reset[i] = True
        self.obs = obs
        return finished


def evaluate(cfg: DDPGExperiment, actor: RecurrentActor | None, families=FAMILY_NAMES) -> dict:
    """Held-out episodes per family (:func:`experiments.heldout.evaluate`); ``actor=None`` runs
    the fixed schedule (alpha and delta never change)."""
    return heldout.evaluate(None if actor is None else heldout.actor_policy(actor), reward=cfg.env.reward,
                            noise=cfg.env.noise, horizon=cfg.env.horizon,
                            landscapes=cfg.eval.landscapes_per_family,
                            seed=cfg.seed + cfg.eval.seed_offset, families=families)  # fmt: skip


def save_checkpoint(path: Path, rdpg: RDPG, buffer: EpisodeBuffer, counters: dict, curve: list) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    buf = {
        k: (torch.from_numpy(v) if isinstance(v, np.ndarray) else v) for k, v in buffer.state_dict().items()
    }
    torch.save({"rdpg": rdpg.state_dict(), "buffer": buf, "curve": curve, **counters}, tmp)
    os.replace(tmp, path)


def train(cfg: DDPGExperiment, run_dir: Path, resume: bool = False, quiet: bool = False) -> dict:
    torch.set_num_threads(cfg.train.threads or min(os.cpu_count() or 1, 4))
    torch.manual_seed(cfg.seed)
    rdpg, arch = build_agent(cfg, torch.device(cfg.train.device))
    buffer = EpisodeBuffer(cfg.train.buffer_episodes, cfg.env.horizon, 7)
    counters = {"iteration": 0, "episodes": 0, "updates": 0, "env_steps": 0, "train_ms": 0,
                "warm_started": 0}  # fmt: skip
    curve: list[list[float]] = []  # [env_steps, mean return, median final normalised regret]
    ckpt_path = run_dir / "checkpoint.pt"
    if resume and ckpt_path.is_file():
        ckpt = torch.load(ckpt_path, map_location=cfg.train.device, weights_only=True)
        rdpg.load_state_dict(ckpt["rdpg"])
        buffer.load_state_dict(
            {k: (v.numpy() if torch.is_tensor(v) else v) for k, v in ckpt["buffer"].items()}
        )
        counters = {k: int(ckpt.get(k, 0)) for k in counters}
        curve = [list(map(float, row)) for row in ckpt.get("curve", [])]
    writer = SummaryWriter(str(run_dir))
    writer.add_text("config", "```\n" + (run_dir / "config.yaml").read_text() + "\n```")
    if cfg.warm_start.rounds > 0 and not counters["warm_started"]:
        clock = time.perf_counter()
        warm_start(cfg, rdpg, writer, quiet)
        counters["warm_started"] = 1
        counters["train_ms"] += int(1000 * (time.perf_counter() - clock))
        save_checkpoint(ckpt_path, rdpg, buffer, counters, curve)
    env = make_env(cfg, cfg.env.num_envs, training=True)
    collector = Collector(env, rdpg.actor, cfg.agent.exploration_noise,
                          cfg.seed + 7919 * counters["iteration"], teacher=make_teacher(cfg))  # fmt: skip
    rng = np.random.default_rng(cfg.seed + counters["iteration"])
    recent: list[dict] = []
    bar = tqdm(total=cfg.train.total_episodes, initial=counters["episodes"], unit="ep", disable=quiet,
               desc="train-ddpg")  # fmt: skip
    clock = time.perf_counter()
    while counters["episodes"] < cfg.train.total_episodes:
        for _ in range(cfg.train.steps_per_iteration):
            done = collector.step(buffer)
            counters["env_steps"] += env.num_envs
            counters["episodes"] += len(done)
            bar.update(len(done))
            recent = (recent + done)[-500:]
        if buffer.size >= cfg.train.learning_starts:
            for _ in range(cfg.train.updates_per_iteration):
                metrics = rdpg.update(buffer.sample(cfg.train.batch_episodes, rng))
                counters["updates"] += 1
            for k, v in metrics.items():
                writer.add_scalar(k, v, counters["env_steps"])
        counters["iteration"] += 1
        if recent:
            ret = float(np.mean([d["return"] for d in recent]))
            reg = float(np.median([d["final_normalized_regret"] for d in recent]))
            writer.add_scalar("charts/episode_return", ret, counters["env_steps"])
            writer.add_scalar("charts/final_normalized_regret_median", reg, counters["env_steps"])
            writer.add_scalar(
                "charts/diverged_fraction", np.mean([d["terminated"] for d in recent]), counters["env_steps"]
            )
            bar.set_postfix(ret=f"{ret:.2f}", regret=f"{reg:.3g}")
            curve.append([counters["env_steps"], ret, reg])
        if counters["iteration"] % cfg.train.checkpoint_every == 0:
            counters["train_ms"] += int(1000 * (time.perf_counter() - clock))
            clock = time.perf_counter()
            save_checkpoint(ckpt_path, rdpg, buffer, counters, curve)
    bar.close()
    counters["train_ms"] += int(1000 * (time.perf_counter() - clock))
    save_checkpoint(ckpt_path, rdpg, buffer, counters, curve)
    train_seconds = counters["train_ms"] / 1000
    env.close()
    rdpg.actor.eval()
    trained = evaluate(cfg, rdpg.actor)
    fixed = evaluate(cfg, None)
    heldout.log_to_tensorboard(writer, trained, counters["env_steps"])
    heldout.log_to_tensorboard(writer, fixed, counters["env_steps"], prefix="eval_fixed_schedule")
    writer.close()
    summary = heldout.summary(trained, fixed)
    metrics = {"held_out_median_final_normalized_regret": summary,
               "log10_score": heldout.log10_score(trained),
               "fixed_schedule_log10_score": heldout.log10_score(fixed), **counters,
               "train_seconds": train_seconds, "curve": curve, "trained": trained,
               "fixed_schedule": fixed}  # fmt: skip
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
    angle, angle_ckpt = load_angle_net(default_weights_path())
    meta = run_metadata(cfg, run_dir, held_out_median_final_normalized_regret=summary, **counters)
    policy = RoverPolicy(angle, angle_ckpt["arch"], rdpg.actor.cpu(), arch, meta)
    output = Path(cfg.output) if cfg.output else run_dir / "rover_policy.pt"
    policy.save(output)
    if cfg.output:
        save_beside(cfg, meta, output)
    return metrics


def main(argv: list[str] | None = None) -> dict:
    cfg, run_dir, resume = start_run(DDPGExperiment, "RoverLandscape-v0",
                                     "Train the recurrent DDPG step-size/resolution policy.",
                                     "experiments/configs/ddpg.yaml", argv)  # fmt: skip
    start = time.perf_counter()
    metrics = train(cfg, run_dir, resume=resume)
    minutes = (time.perf_counter() - start) / 60
    print(f"run folder (TensorBoard logs, checkpoint): {run_dir}  ({minutes:.1f} min)")
    print(f"policy weights: {cfg.output or run_dir / 'rover_policy.pt'}")
    print("held-out median final normalised regret (trained vs fixed schedule):")
    for fam, r in metrics["held_out_median_final_normalized_regret"].items():
        print(f"  {fam:14s} {r['trained']:.3g}  vs  {r['fixed_schedule']:.3g}")
    return metrics


if __name__ == "__main__":
    main()
