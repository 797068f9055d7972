"""``make train-ddpg``: train the recurrent DDPG step-size/resolution policy (section 3.2.3).

    python -m experiments.train_ddpg --config experiments/configs/ddpg.yaml [--set train.total_episodes=2000]
    python -m experiments.train_ddpg --resume runs/RoverLandscape-v0__ddpg__0__20261127-081500
    python -m experiments.train_ddpg --help          # every config key, documented

Episodes come from the native vector env (a new training landscape per episode, the frozen
angle net as direction, the running-mean reward by default); every ``steps_per_iteration``
vector steps the agent makes ``updates_per_iteration`` recurrent updates on batches of whole
episodes. Runs live in ``runs/{env}__{experiment}__{seed}__{time}/`` with ``config.yaml``,
``command.txt``, ``git.txt``, TensorBoard events (``losses/*``, ``charts/*``, ``eval/*``, the
config as text, alpha/delta trajectories as figures), ``checkpoint.pt`` (atomic; networks,
optimisers, replay buffer, counters) and the final ``rover_policy.pt``. ``--resume`` restores
all of these; the environment stream restarts from a seed derived from the iteration, so a
resumed run continues the same training statistically, not bit for bit. At the end the policy
is evaluated on held-out landscapes against a fixed (untrained) schedule. The weights replace
the shipped ``agents/pretrained/rover_policy.pt`` only when asked to (``--output``, which
``make train-ddpg`` passes).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch
from torch.utils.tensorboard import SummaryWriter
from tqdm import tqdm

import rover_envs  # noqa: F401
from agents.io import atomic_save
from agents.rdpg import RDPG, EpisodeBuffer, RecurrentActor, RecurrentCritic, split_obs, warmstart
from agents.rdpg.warmstart import dagger
from agents.rover import POLICY_NAME, RoverPolicy
from experiments import heldout
from experiments.runs import cli, publish_weights, run_metadata, start_run
from experiments.schemas import DDPGExperiment
from rover_envs.angle_net import FrozenAngleNet, load_angle_net
from rover_envs.env import build_engine
from rover_envs.features import N_FEATURES
from rover_envs.landscapes import FAMILY_NAMES
from rover_envs.transition import clip_actions


def env_kwargs(cfg: DDPGExperiment, family: str | None = None, training: bool = False) -> dict:
    """The environment's keyword arguments for this experiment (training episodes get the
    config's initial alpha/delta ranges, held-out ones the environment's defaults)."""
    kwargs = asdict(cfg.env)
    kwargs["family"] = family or cfg.env.family
    kwargs["angle_net_path"] = cfg.agent.angle_net
    if not training:
        del kwargs["step_size_range"], kwargs["resolution_range"]
    return kwargs


def make_env(cfg: DDPGExperiment, num_envs: int, family: str | None = None, training: bool = False):
    return gym.make_vec(
        "RoverLandscape-v0",
        num_envs=num_envs,
        vectorization_mode="vector_entry_point",
        **env_kwargs(cfg, family, training),
    )


def build_agent(cfg: DDPGExperiment, device: torch.device | None = None) -> tuple[RDPG, dict]:
    a = cfg.agent
    arch = {
        "grid_size": cfg.env.grid_size,
        "channels": tuple(a.channels),
        "features": a.features,
        "hidden": a.hidden,
        "n_features": N_FEATURES if cfg.env.features else 0,
        **({"action_dim": 3} if cfg.env.move == "actor" else {}),  # the move choice
    }
    actor, critic = RecurrentActor(**arch), RecurrentCritic(**arch)
    if a.init_from_angle_net:
        angle, _ = load_angle_net(a.angle_net)
        for net in (actor, critic):
            net.encoder.load_angle_convolutions(angle, freeze=a.freeze_encoder)
    actor, critic = actor.to(device or "cpu"), critic.to(device or "cpu")
    return RDPG(actor, critic, cfg.rdpg), arch


def make_teacher(cfg: DDPGExperiment):
    """The warm start's teacher as ``(info, features) -> (N, A)`` when the TD3+BC term is on (``A``
    = 3 with the move choice of ``env.move: actor``)."""
    if cfg.rdpg.bc_weight <= 0:
        return None
    return warmstart.make_teacher(cfg.warm_start, with_choice=cfg.env.move == "actor")


def warm_start(cfg: DDPGExperiment, rdpg: RDPG, writer: SummaryWriter, quiet: bool = False) -> list[float]:
    """DAgger from the privileged schedule teacher (:mod:`agents.rdpg.warmstart`) on the
    training distribution, then targets synced to the warm-started actor."""
    ws = cfg.warm_start

    def make_engine(n: int):
        return build_engine(n, "angle_net", **env_kwargs(cfg, training=True))

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
        """``teacher(info) -> (N, A)``, when given, labels every state with its action
        (stored in the buffer for the TD3+BC regulariser)."""
        self.env, self.actor, self.noise, self.teacher = env, actor, noise, teacher
        self.with_choice = actor.action_dim == 3  # the move choice of move="actor"
        self.rng = np.random.default_rng(seed)
        n = env.num_envs
        obs, info = env.reset(seed=seed)
        self.obs, self.feats = split_obs(obs)
        self.labels = self._label(info, self.feats)
        self.hidden = actor.initial(n)
        self.start = np.ones(n, bool)
        self.pending_reset = np.zeros(n, bool)
        self.episodes = [self._fresh(self.obs[i], self.feats[i], info["regret"][i]) for i in range(n)]

    def _label(self, info, feats) -> np.ndarray | None:
        return None if self.teacher is None else self.teacher(info, feats)

    @staticmethod
    def _fresh(obs, feats, regret0):
        return {
            "obs": [obs],
            "feats": [feats],
            "actions": [],
            "rewards": [],
            "labels": [],
            "r0": float(regret0),
        }

    @torch.no_grad()
    def step(self, buffer: EpisodeBuffer) -> list[dict]:
        """One vector step; returns stats of the episodes that finished."""
        device = self.hidden.h.device
        obs, feats = torch.from_numpy(self.obs).to(device), torch.from_numpy(self.feats).to(device)
        action, self.hidden = self.actor.act(obs, self.hidden, torch.from_numpy(self.start), feats)
        action = action.cpu().numpy().astype(np.float64)
        if self.noise > 0:
            noisy = action + self.noise * self.rng.standard_normal(action.shape)
            action = clip_actions(noisy, with_choice=self.with_choice)
        prev = torch.from_numpy(action.astype(np.float32)).to(device)
        self.hidden = self.hidden._replace(prev_action=prev)
        obs, reward, term, trunc, info = self.env.step(action)
        obs, feats = split_obs(obs)
        labels, self.labels = self.labels, self._label(info, feats)
        finished = []
        for i in range(self.env.num_envs):
            if self.pending_reset[i]:  # NEXT_STEP autoreset: this step started a new episode
                self.episodes[i] = self._fresh(obs[i], feats[i], info["regret"][i])
                self.pending_reset[i], self.start[i] = False, True
                continue
            ep = self.episodes[i]
            ep["obs"].append(obs[i])
            ep["feats"].append(feats[i])
            ep["actions"].append(action[i])
            ep["rewards"].append(reward[i])
            if labels is not None:
                ep["labels"].append(labels[i])
            self.start[i] = False
            if term[i] or trunc[i]:
                buffer.add(
                    np.stack(ep["obs"]),
                    np.stack(ep["actions"]),
                    np.array(ep["rewards"]),
                    bool(term[i]),
                    np.stack(ep["labels"]) if ep["labels"] else None,
                    np.stack(ep["feats"]),
                )
                finished.append(
                    {
                        "return": float(np.sum(ep["rewards"])),
                        "terminated": bool(term[i]),
                        "final_normalized_regret": float(info["regret"][i] / max(ep["r0"], 1e-300)),
                    }
                )
                self.pending_reset[i] = True
        self.obs, self.feats = obs, feats
        return finished


def evaluate(cfg: DDPGExperiment, actor: RecurrentActor | None, families=FAMILY_NAMES) -> dict:
    """Held-out episodes per family (:func:`experiments.heldout.evaluate`); ``actor=None`` runs
    the fixed schedule (alpha and delta never change)."""
    return heldout.evaluate(
        None if actor is None else heldout.actor_policy(actor),
        env=heldout.heldout_env(cfg.env, cfg.eval.noise, cfg.agent.angle_net),
        landscapes=cfg.eval.landscapes_per_family,
        seed=cfg.seed + cfg.eval.seed_offset,
        families=families,
    )


@dataclass
class TrainState:
    """Everything a checkpoint holds."""

    rdpg: RDPG
    arch: dict
    buffer: EpisodeBuffer
    counters: dict = field(
        default_factory=lambda: {
            "iteration": 0,
            "episodes": 0,
            "updates": 0,
            "env_steps": 0,
            "train_ms": 0,
            "warm_started": 0,
        }
    )
    curve: list = field(default_factory=list)  # [env_steps, mean return, median final normalised regret]

    def save(self, path: Path) -> None:
        buf = {
            k: (torch.from_numpy(v) if isinstance(v, np.ndarray) else v)
            for k, v in self.buffer.state_dict().items()
        }
        atomic_save(
            {"rdpg": self.rdpg.state_dict(), "buffer": buf, "curve": self.curve, **self.counters}, path
        )


def restore(cfg: DDPGExperiment, run_dir: Path, resume: bool) -> TrainState:
    """A fresh state, or the run folder's checkpoint when resuming."""
    rdpg, arch = build_agent(cfg, torch.device(cfg.train.device))
    state = TrainState(
        rdpg,
        arch,
        EpisodeBuffer(
            cfg.train.buffer_episodes,
            cfg.env.horizon,
            cfg.env.grid_size,
            arch["n_features"],
            arch.get("action_dim", 2),
        ),
    )
    path = run_dir / "checkpoint.pt"
    if not (resume and path.is_file()):
        return state
    try:
        ckpt = torch.load(path, map_location=cfg.train.device, weights_only=True)
        rdpg.load_state_dict(ckpt["rdpg"])
        state.buffer.load_state_dict(
            {k: (v.numpy() if torch.is_tensor(v) else v) for k, v in ckpt["buffer"].items()}
        )
    except (RuntimeError, KeyError, ValueError) as exc:
        raise RuntimeError(
            f"cannot resume from {path} ({exc}); it does not match the run's config (was agent.* or "
            "train.buffer_episodes changed with --set?)"
        ) from exc
    state.counters = {k: int(ckpt.get(k, 0)) for k in state.counters}
    state.curve = [list(map(float, row)) for row in ckpt.get("curve", [])]
    return state


def train_loop(
    cfg: DDPGExperiment, state: TrainState, ckpt_path: Path, writer: SummaryWriter, quiet: bool = False
) -> None:
    """Collect and update until ``train.total_episodes``, checkpointing as it goes."""
    counters, rdpg, buffer = state.counters, state.rdpg, state.buffer
    env = make_env(cfg, cfg.train.num_envs, training=True)
    collector = Collector(
        env,
        rdpg.actor,
        cfg.train.exploration_noise,
        cfg.seed + 7919 * counters["iteration"],
        teacher=make_teacher(cfg),
    )
    rng = np.random.default_rng(cfg.seed + counters["iteration"])
    recent: list[dict] = []
    bar = tqdm(
        total=cfg.train.total_episodes,
        initial=counters["episodes"],
        unit="ep",
        disable=quiet,
        desc="train-ddpg",
    )
    clock = time.perf_counter()
    while counters["episodes"] < cfg.train.total_episodes:
        for _ in range(cfg.train.steps_per_iteration):
            done = collector.step(buffer)
            counters["env_steps"] += env.num_envs
            counters["episodes"] += len(done)
            bar.update(len(done))
            recent = (recent + done)[-500:]
        if buffer.size >= cfg.train.learning_starts:
            metrics: dict[str, float] = {}
            for _ in range(cfg.train.updates_per_iteration):
                metrics = rdpg.update(buffer.sample(cfg.train.batch_episodes, rng))
                counters["updates"] += 1
            for k, v in metrics.items():  # the round's last update
                writer.add_scalar(k, v, counters["env_steps"])
        counters["iteration"] += 1
        if recent:
            _log_recent(writer, bar, state, recent)
        if counters["iteration"] % cfg.train.checkpoint_every == 0:
            counters["train_ms"] += int(1000 * (time.perf_counter() - clock))
            clock = time.perf_counter()
            state.save(ckpt_path)
    bar.close()
    counters["train_ms"] += int(1000 * (time.perf_counter() - clock))
    state.save(ckpt_path)
    env.close()


def _log_recent(writer: SummaryWriter, bar, state: TrainState, recent: list[dict]) -> None:
    step = state.counters["env_steps"]
    ret = float(np.mean([d["return"] for d in recent]))
    reg = float(np.median([d["final_normalized_regret"] for d in recent]))
    writer.add_scalar("charts/episode_return", ret, step)
    writer.add_scalar("charts/final_normalized_regret_median", reg, step)
    writer.add_scalar("charts/diverged_fraction", np.mean([d["terminated"] for d in recent]), step)
    bar.set_postfix(ret=f"{ret:.2f}", regret=f"{reg:.3g}")
    state.curve.append([step, ret, reg])


def finish(
    cfg: DDPGExperiment, run_dir: Path, state: TrainState, writer: SummaryWriter, output: Path | None = None
) -> dict:
    """Held-out evaluation (trained vs fixed schedule), ``metrics.json`` and the policy file in
    the run folder (and at ``output`` when given)."""
    counters, actor = state.counters, state.rdpg.actor.eval()
    trained, fixed = evaluate(cfg, actor), evaluate(cfg, None)
    heldout.log_to_tensorboard(writer, trained, counters["env_steps"])
    heldout.log_to_tensorboard(writer, fixed, counters["env_steps"], prefix="eval_fixed_schedule")
    writer.close()
    summary = heldout.summary(trained, fixed)
    metrics = {
        "held_out_median_final_normalized_regret": summary,
        "log10_score": heldout.log10_score(trained),
        "fixed_schedule_log10_score": heldout.log10_score(fixed),
        **counters,
        "train_seconds": counters["train_ms"] / 1000,
        "curve": state.curve,
        "trained": trained,
        "fixed_schedule": fixed,
    }
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
    meta = run_metadata(cfg, run_dir, held_out_median_final_normalized_regret=summary, **counters)
    policy = RoverPolicy(FrozenAngleNet.load(cfg.agent.angle_net), actor.cpu(), state.arch, meta)
    policy.save(run_dir / POLICY_NAME)
    metrics["policy"] = str(publish_weights(run_dir / POLICY_NAME, output, cfg, meta))
    return metrics


def train(
    cfg: DDPGExperiment, run_dir: Path, resume: bool = False, quiet: bool = False, output: Path | None = None
) -> dict:
    """Train (or resume) one policy; returns the metrics (``metrics["policy"]``: where it is)."""
    torch.set_num_threads(cfg.train.threads or min(os.cpu_count() or 1, 4))
    torch.manual_seed(cfg.seed)
    state = restore(cfg, run_dir, resume)
    ckpt_path = run_dir / "checkpoint.pt"
    writer = SummaryWriter(str(run_dir))
    writer.add_text("config", "```\n" + (run_dir / "config.yaml").read_text() + "\n```")
    if cfg.warm_start.rounds > 0 and not state.counters["warm_started"]:
        clock = time.perf_counter()
        warm_start(cfg, state.rdpg, writer, quiet)
        state.counters["warm_started"] = 1
        state.counters["train_ms"] += int(1000 * (time.perf_counter() - clock))
        state.save(ckpt_path)
    train_loop(cfg, state, ckpt_path, writer, quiet)
    return finish(cfg, run_dir, state, writer, output)


def main(argv: list[str] | None = None) -> dict:
    run = start_run(
        DDPGExperiment,
        "RoverLandscape-v0",
        "Train the recurrent DDPG step-size/resolution policy.",
        "experiments/configs/ddpg.yaml",
        argv,
        output_help="also write the policy here (make train-ddpg: the shipped "
        "agents/pretrained/rover_policy.pt)",
    )
    start = time.perf_counter()
    metrics = train(run.cfg, run.dir, resume=run.resume, output=run.output)
    minutes = (time.perf_counter() - start) / 60
    print(f"run folder (TensorBoard logs, checkpoint): {run.dir}  ({minutes:.1f} min)")
    print(f"policy weights: {metrics['policy']}")
    print("held-out median final normalised regret (trained vs fixed schedule):")
    for fam, r in metrics["held_out_median_final_normalized_regret"].items():
        print(f"  {fam:14s} {r['trained']:.3g}  vs  {r['fixed_schedule']:.3g}")
    return metrics


if __name__ == "__main__":
    cli(main)
