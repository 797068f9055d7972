"""Every experiment's config schema, in one place.

The YAML files under ``experiments/configs/`` are these dataclasses serialised
(:mod:`experiments.config` loads them strictly). Where a library already has the dataclass, the
experiment nests it instead of repeating its fields: the ``env`` section *is*
:class:`rover_envs.core.EngineConfig` (so a config is validated by the environment's own rules
before any run folder exists), ``rdpg`` is :class:`agents.rdpg.RDPGConfig`, ``warm_start`` is
:class:`agents.rdpg.warmstart.WarmStartConfig` and the angle network's ``data`` is
:class:`agents.angle.DataSpec`. Each field's docstring is its documentation, shown by
``--help`` (``python -m experiments.train_ddpg --help``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from agents.angle.dataset import DataSpec
from agents.rdpg import RDPGConfig
from agents.rdpg.warmstart import WarmStartConfig
from rover_envs.core import EngineConfig

CONFIGS = Path(__file__).resolve().parent / "configs"
"""The shipped configs (installed with the package)."""


def _at_least(section: str, minimum: int, **values: int) -> None:
    for name, value in values.items():
        if value < minimum:
            key = f"{section}.{name}" if section else name
            raise ValueError(f"{key} must be >= {minimum}; got {value}")


def _device(name: str) -> None:
    import torch

    try:
        torch.device(name)
    except RuntimeError as exc:
        raise ValueError(f"train.device {name!r} is not a torch device (cpu, cuda, cuda:1, mps ...)") from exc


# --------------------------------------------------------------------------- shared sections
@dataclass
class HeldoutConfig:
    """Held-out evaluation of a step-size/resolution policy (:mod:`experiments.heldout`)."""

    landscapes_per_family: int = 50
    """Held-out landscapes per training family, one deterministic episode each."""
    seed_offset: int = 1_000_003
    """The held-out landscapes are seeded seed + seed_offset, away from every training stream."""
    noise: float | None = None
    """Observation noise of the held-out episodes (in env.noise_unit); null: the training env's.
    0 validates every variant on the same noiseless landscapes (what RoverDescent meets)."""

    def __post_init__(self):
        _at_least("eval", 1, landscapes_per_family=self.landscapes_per_family)
        if self.noise is not None and not (
            isinstance(self.noise, int | float) and 0 <= self.noise < float("inf")
        ):
            raise ValueError(f"eval.noise must be null or a finite number >= 0; got {self.noise!r}")


# --------------------------------------------------------------------------- train_ddpg
@dataclass
class AgentConfig:
    """The recurrent actor's and critic's networks (:mod:`agents.rdpg.networks`)."""

    channels: tuple[int, int] = (16, 32)
    """Output channels of the two 3x3 convolutions of the grid encoder."""
    features: int = 64
    """Width of the encoder's output."""
    hidden: int = 64
    """LSTM and head width."""
    angle_net: str | None = None
    """Weights of the frozen angle network that gives the direction (and the encoders'
    convolutions); null: the shipped ``agents/pretrained/angle_net.pt``. The trained policy file
    carries the network, so ``RoverDescent`` needs no path."""
    init_from_angle_net: bool = False
    """Copy the angle network's convolutions (batch-norm folded in) into both encoders."""
    freeze_encoder: bool = False
    """And keep them fixed."""

    def __post_init__(self):
        _at_least("agent", 1, features=self.features, hidden=self.hidden, channels=min(self.channels))


@dataclass
class DDPGTrainConfig:
    """The collection and update loop of :mod:`experiments.train_ddpg`."""

    total_episodes: int = 80_000
    """Training episodes (the warm start's are extra)."""
    num_envs: int = 64
    """Sub-environments of the native vector env that collects episodes."""
    exploration_noise: float = 0.2
    """Std of the Gaussian added to each action component during collection."""
    steps_per_iteration: int = 30
    """Vector-env steps between rounds of updates."""
    updates_per_iteration: int = 8
    """Recurrent DPG updates per round."""
    batch_episodes: int = 64
    """Whole episodes per update batch."""
    buffer_episodes: int = 20_000
    """Replay buffer capacity, in episodes."""
    learning_starts: int = 512
    """Episodes collected before the first update."""
    checkpoint_every: int = 20
    """Rounds between atomic checkpoints."""
    threads: int = 1
    """torch threads; 0: min(cores, 4). One degrades gracefully under load (docs/rdpg.md)."""
    device: str = "cpu"
    """"cuda" puts the networks and updates on the GPU (the environment stays numpy)."""

    def __post_init__(self):
        _at_least(
            "train",
            1,
            num_envs=self.num_envs,
            steps_per_iteration=self.steps_per_iteration,
            batch_episodes=self.batch_episodes,
            buffer_episodes=self.buffer_episodes,
            checkpoint_every=self.checkpoint_every,
        )
        _at_least(
            "train",
            0,
            total_episodes=self.total_episodes,
            updates_per_iteration=self.updates_per_iteration,
            learning_starts=self.learning_starts,
            threads=self.threads,
        )
        if not self.exploration_noise >= 0:
            raise ValueError(f"train.exploration_noise must be >= 0; got {self.exploration_noise}")
        _device(self.device)


@dataclass
class DDPGExperiment:
    """``python -m experiments.train_ddpg``: the recurrent DDPG step-size/resolution policy."""

    name: str = "ddpg"
    """Experiment name (the run folder is {runs_dir}/{env}__{name}__{seed}__{time})."""
    seed: int = 0
    """Seeds the networks, the environments and the replay sampling."""
    env: EngineConfig = field(default_factory=EngineConfig)
    """Training episodes' environment (held-out evaluation uses the default alpha0/delta0 ranges)."""
    agent: AgentConfig = field(default_factory=AgentConfig)
    rdpg: RDPGConfig = field(default_factory=RDPGConfig)
    warm_start: WarmStartConfig = field(default_factory=WarmStartConfig)
    train: DDPGTrainConfig = field(default_factory=DDPGTrainConfig)
    eval: HeldoutConfig = field(default_factory=HeldoutConfig)
    runs_dir: str = "runs"
    """Where run folders go (relative to the working directory)."""

    def __post_init__(self):
        teaching = self.warm_start.rounds > 0 or self.rdpg.bc_weight > 0
        if self.env.move == "actor" and teaching and self.warm_start.teacher != "privileged":
            raise ValueError(
                "env.move='actor' (the actor outputs a move choice) is taught by the privileged "
                "teacher only, whose choice needs the minimiser; set warm_start.teacher: privileged, "
                "or warm_start.rounds: 0 and rdpg.bc_weight: 0"
            )


# --------------------------------------------------------------------------- train_sb3
Algo = Literal["ddpg", "td3", "sac", "ppo", "recurrent_ppo"]


@dataclass
class SB3Experiment:
    """``python -m experiments.train_sb3``: a Stable-Baselines3 agent on the same environment."""

    name: str = "sb3"
    """Experiment name (run folder {runs_dir}/{env}__{name}__{seed}__{time})."""
    seed: int = 0
    """Seeds the agent and the environments."""
    algo: Algo = "sac"
    """ddpg, td3, sac, ppo (Stable-Baselines3) or recurrent_ppo (sb3-contrib)."""
    env: EngineConfig = field(default_factory=EngineConfig)
    """The training environment."""
    angle_net: str | None = None
    """Weights of the frozen angle network that gives the environment's direction; null: the
    shipped ``agents/pretrained/angle_net.pt``. ``RoverDescent.from_sb3`` and the validation
    read the run's own network from here."""
    num_envs: int = 16
    """Sub-environments of the SB3 VecEnv."""
    total_steps: int = 300_000
    """Environment steps, all sub-environments together."""
    features: int = 64
    """Width of the grid encoder's output."""
    channels: tuple[int, int] = (16, 32)
    """Channels of the encoder's two convolutions."""
    net_arch: tuple[int, ...] = (64, 64)
    """Hidden layers of the policy and value heads."""
    exploration_noise: float = 0.2
    """DDPG/TD3: std of the Gaussian action noise."""
    algo_kwargs: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per algorithm, keyword arguments for the SB3 class (SB3's names)."""
    checkpoint_every: int = 50_000
    """Environment steps between atomic checkpoints."""
    log_every: int = 960
    """Environment steps between charts/* points."""
    threads: int = 1
    """torch threads."""
    eval: HeldoutConfig = field(default_factory=HeldoutConfig)
    runs_dir: str = "runs"
    """Where run folders go (relative to the working directory)."""

    def __post_init__(self):
        _at_least(
            "",
            1,
            num_envs=self.num_envs,
            total_steps=self.total_steps,
            features=self.features,
            checkpoint_every=self.checkpoint_every,
            log_every=self.log_every,
        )
        _at_least("", 0, threads=self.threads)


# --------------------------------------------------------------------------- train_angle
@dataclass
class AngleHeldoutConfig:
    """The angle network's held-out landscapes: a seed stream training never uses."""

    n_functions: int = 4_000
    """Held-out landscapes (all four families)."""
    seed_offset: int = 1_000_003
    """Their data seed is data.seed + seed_offset."""

    def __post_init__(self):
        _at_least("eval", 1, n_functions=self.n_functions)


@dataclass
class AngleNetConfig:
    """The angle network (:func:`rover_envs.angle_net.build_angle_net`)."""

    channels: tuple[int, int] = (16, 32)
    """Channels of the two 3x3 convolutions."""
    hidden: int = 64
    """Width of the hidden fully connected layer."""


@dataclass
class AngleTrainConfig:
    """Behaviour-cloning optimisation."""

    epochs: int = 40
    """Passes over the data (one-cycle learning-rate schedule)."""
    batch_size: int = 512
    """States per step (each gives a positive and a negative tuple)."""
    lr: float = 3e-3
    """Peak learning rate of AdamW."""
    weight_decay: float = 0.0
    """AdamW weight decay."""
    threads: int = 0
    """torch threads; 0: all cores."""

    def __post_init__(self):
        _at_least("train", 1, epochs=self.epochs, batch_size=self.batch_size)
        if not self.lr > 0:
            raise ValueError(f"train.lr must be > 0; got {self.lr}")


@dataclass
class AngleExperiment:
    """``python -m experiments.train_angle``: the angle network by behaviour cloning."""

    name: str = "angle"
    """Experiment name (run folder {runs_dir}/angle__{name}__{seed}__{time})."""
    seed: int = 0
    """Seeds the network's initialisation and the batch order (data.seed seeds the data)."""
    data: DataSpec = field(default_factory=DataSpec)
    eval: AngleHeldoutConfig = field(default_factory=AngleHeldoutConfig)
    net: AngleNetConfig = field(default_factory=AngleNetConfig)
    train: AngleTrainConfig = field(default_factory=AngleTrainConfig)
    cache_dir: str = "data"
    """Where generated data is cached (keyed by every data field)."""
    runs_dir: str = "runs"
    """Where run folders go (relative to the working directory)."""


# --------------------------------------------------------------------------- sweeps and comparisons
@dataclass
class SweepConfig:
    """``python -m experiments.sweep FILE``: a grid of training runs."""

    name: str
    """The sweep's folder is {runs_dir}/{name}."""
    base: str = field(metadata={"path": True})
    """The trainer's config every run starts from (relative to this sweep file)."""
    grid: dict[str, list[Any]] = field(default_factory=dict)
    """Axis -> values: a dotted config key and its values, or a named axis whose values are groups
    of overrides ({label: ..., key: value, ...})."""
    trainer: Literal["ddpg", "sb3"] = "ddpg"
    """ddpg (experiments.train_ddpg) or sb3 (experiments.train_sb3)."""
    overrides: dict[str, Any] = field(default_factory=dict)
    """Dotted keys set in every run."""
    seeds: list[int] = field(default_factory=lambda: [0])
    """Each grid point runs once per seed."""
    workers: int = 0
    """Parallel runs; 0: cores // threads."""
    threads: int = 1
    """torch threads per run."""
    runs_dir: str = "runs/sweeps"
    """Where the sweep folder goes (relative to the working directory)."""


CompareAlgorithm = Literal["rdpg", "ddpg", "td3", "sac", "ppo", "recurrent_ppo"]


@dataclass
class CompareConfig:
    """``python -m experiments.compare_rl``: RL algorithms on one environment config."""

    name: str = "compare_rl"
    """The comparison's folder is {runs_dir}/{name}."""
    env: EngineConfig = field(default_factory=EngineConfig)
    """The environment every algorithm trains on (each keeps its own number of sub-environments)."""
    angle_net: str | None = None
    """Weights of the frozen angle network that gives every algorithm's direction (rdpg's
    ``agent.angle_net``, the SB3 runs' ``angle_net``); null: each base config's own."""
    total_steps: int = 300_000
    """Environment steps per run."""
    seeds: list[int] = field(default_factory=lambda: [0, 1])
    """Each algorithm runs once per seed."""
    algorithms: list[CompareAlgorithm] = field(
        default_factory=lambda: ["rdpg", "ddpg", "td3", "sac", "ppo", "recurrent_ppo"]
    )
    """rdpg (ours) and the Stable-Baselines3 agents."""
    rdpg_config: str = field(default=str(CONFIGS / "ddpg_scratch.yaml"), metadata={"path": True})
    """Base config of rdpg runs (relative to this file; default: the shipped ddpg_scratch.yaml)."""
    sb3_config: str = field(default=str(CONFIGS / "sb3.yaml"), metadata={"path": True})
    """Base config of the SB3 runs (relative to this file; default: the shipped sb3.yaml)."""
    workers: int = 0
    """Parallel runs; 0: cores // threads."""
    threads: int = 1
    """torch threads per run."""
    eval: HeldoutConfig = field(default_factory=HeldoutConfig)
    runs_dir: str = "runs/compare"
    """Where the comparison's folder goes (relative to the working directory)."""

    def __post_init__(self):
        _at_least("", 1, total_steps=self.total_steps, threads=self.threads)
