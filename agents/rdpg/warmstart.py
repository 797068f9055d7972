"""Warm start for the recurrent actor: DAgger from a schedule teacher.

The angle network is behaviour-cloned from teachers that see the landscape's derivatives
(section 3.2.2); this does the same for the step-size/resolution actor before recurrent DDPG
takes over. The teacher sees what the agent cannot, the distance ``d`` from the iterate to the
minimiser, and asks for

    alpha_{t+1} = step_gain * d_t        delta_{t+1} = resolution_gain * d_t

as far as one action allows (``(d_alpha, d_delta)`` clipped to ``[-0.5, 1]``): zoom out and
take long steps while far, zoom in as the minimiser nears, recover from any initial alpha and
delta. The actor only sees its grids and previous actions, so it must infer ``d`` from them.

For an actor that also chooses the move (``env.move: actor``, ``action_dim=3``) the privileged
teacher adds a choice: the grid's best sample (+1) where it lies nearer the minimiser than the
teacher's own step would leave the iterate along a perfect direction, ``(1 - step_gain) d``, and
the step (-1) elsewhere (``info["best_sample_distance"]``, in the grid's coordinates as ``d``).

DAgger (Ross et al., 2011): round ``k`` rolls out episodes in which the teacher acts with
probability ``beta_k`` (decaying from 1 to 0 over ``teacher_rounds``) and the actor otherwise,
labels every visited state with the teacher's action, adds the episodes to the data set and
fits the actor to all of it (mean squared error over whole episodes, back-propagation through
time). Later rounds thus label the states the actor itself reaches.

``teacher="success_rule"`` replaces the privileged teacher by one that sees only what an actor
with history features (``env.features``, :mod:`rover_envs.features`) sees: the hand-designed grid
controller's rule (:mod:`agents.baselines.grid_controller`), ``alpha`` times ``success_grow``
after an accepted step and ``success_shrink`` after a rejected one, ``delta = success_ratio *
alpha``; the first action only sets the ratio. In the environment an action scales the alpha of
the *next* move, so the actor acts on a success one move later than the controller does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from agents.rdpg.networks import RecurrentActor
from rover_envs.features import FEATURE_NAMES
from rover_envs.transition import ACTION_HIGH, ACTION_LOW, clip_actions

TEACHERS = ("privileged", "success_rule")


@dataclass
class WarmStartConfig:
    """DAgger from a schedule teacher (0 rounds: no warm start)."""

    rounds: int = 0
    """DAgger rounds; 0 disables the warm start."""
    episodes_per_round: int = 256
    """Episodes rolled out per round (one batched engine)."""
    teacher_rounds: int = 4
    """beta, the teacher's share of episodes, decays from 1 to 0 over these rounds."""
    updates_per_round: int = 200
    """Fitting steps on all the data after each round."""
    batch_episodes: int = 128
    """Whole episodes per fitting step."""
    lr: float = 1e-3
    """Adam learning rate of the fit."""
    noise: float = 0.05
    """Std of the Gaussian added to executed actions (labels stay clean)."""
    step_gain: float = 0.4
    """Teacher's alpha / distance to the minimiser."""
    resolution_gain: float = 0.6
    """Teacher's delta / distance (chosen by python -m experiments.teacher_gains)."""
    teacher: str = "privileged"
    """privileged (knows the distance to the minimiser: step_gain, resolution_gain) or success_rule
    (the grid controller's rule on the history features; needs env.features)."""
    success_grow: float = 2.0
    """success_rule: alpha's factor after an accepted step (at most 2, one action's reach)."""
    success_shrink: float = 0.5
    """success_rule: alpha's factor after a rejected step (at least 0.5)."""
    success_ratio: float = 0.0625
    """success_rule: delta / alpha (the grid controller's resolution_ratio)."""
    success_ratio_end: float | None = None
    """success_rule: delta / alpha at the episode's end; the ratio moves geometrically from
    success_ratio to it with the progress feature t / T (coarse to fine); null: constant."""
    success_ratio_at: float = 1.0
    """success_rule with success_ratio_end: the progress t / T at which the ratio reaches it (and
    stays)."""
    success_switch_growth: float | None = None
    """success_rule with success_ratio_end: switch on the state instead of the clock: delta / alpha
    is success_ratio_end (fine) while the grid's growth feature is at least this (a smooth minimum
    inside the grid grows quadratically: about 1) and success_ratio (coarse) below it (a slope:
    about 1/2; ripples finer than delta: about 0); null: the progress schedule."""

    def __post_init__(self):
        if self.teacher not in TEACHERS:
            raise ValueError(f"warm_start.teacher must be one of {', '.join(TEACHERS)}; got {self.teacher!r}")
        if not (
            1.0 <= self.success_grow <= 2.0
            and 0.5 <= self.success_shrink <= 1.0
            and self.success_ratio > 0
            and (self.success_ratio_end is None or self.success_ratio_end > 0)
            and 0 < self.success_ratio_at <= 1
            and (self.success_switch_growth is None or self.success_ratio_end is not None)
        ):
            raise ValueError(
                "warm_start: 1 <= success_grow <= 2, 0.5 <= success_shrink <= 1, success_ratio > 0, "
                "success_ratio_end null or > 0, 0 < success_ratio_at <= 1, success_switch_growth only "
                "with success_ratio_end (the fine ratio it switches to)"
            )
        if self.rounds < 0 or self.episodes_per_round < 1 or self.updates_per_round < 0:
            raise ValueError("warm_start: rounds >= 0, episodes_per_round >= 1, updates_per_round >= 0")
        if self.teacher_rounds < 0 or self.batch_episodes < 1 or not (self.lr > 0 and self.noise >= 0):
            raise ValueError("warm_start: teacher_rounds >= 0, batch_episodes >= 1, lr > 0, noise >= 0")
        if not (self.step_gain > 0 and self.resolution_gain > 0):
            raise ValueError("warm_start: step_gain and resolution_gain must be > 0")


def teacher_actions(
    distance: np.ndarray, alpha: np.ndarray, delta: np.ndarray, step_gain: float, resolution_gain: float
) -> np.ndarray:
    """The privileged teacher's ``(d_alpha, d_delta)`` for ``B`` states (see the module
    docstring); ``distance`` is the environment's ``info["grid_distance"]`` (the Euclidean distance on
    the paper's square grid; on an adapted one, :mod:`rover_envs.metric`, the distance in the grid's
    own coordinates, where alpha and delta are lengths)."""
    d = np.asarray(distance, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        da = np.nan_to_num(step_gain * d / alpha - 1.0, nan=ACTION_LOW)
        dd = np.nan_to_num(resolution_gain * d / delta - 1.0, nan=ACTION_LOW)
    return np.clip(np.stack([da, dd], axis=1), ACTION_LOW, ACTION_HIGH)


def success_rule_actions(
    features: np.ndarray,
    alpha: np.ndarray,
    delta: np.ndarray,
    grow: float,
    shrink: float,
    ratio: float,
    ratio_end: float | None = None,
    ratio_at: float = 1.0,
    switch_growth: float | None = None,
) -> np.ndarray:
    """The success-rule teacher's ``(d_alpha, d_delta)`` from history features ``(B, K)``;
    ``delta / alpha`` is ``ratio``, or with ``ratio_end`` moves geometrically from ``ratio`` to it
    with the progress feature, reaching it at progress ``ratio_at``, or with ``switch_growth`` is
    ``ratio_end`` where the growth feature is at least ``switch_growth`` and ``ratio`` elsewhere."""
    feats = np.asarray(features, dtype=float)
    if feats.ndim != 2 or feats.shape[1] != len(FEATURE_NAMES):
        raise ValueError(
            f"the success_rule teacher reads the {len(FEATURE_NAMES)} history features (env.features: "
            f"true); got features of shape {feats.shape}"
        )
    accepted = feats[:, FEATURE_NAMES.index("step_accepted")] > 0.5
    first = feats[:, FEATURE_NAMES.index("progress")] == 0.0
    factor = np.where(first, 1.0, np.where(accepted, grow, shrink))
    if ratio_end is not None and switch_growth is not None:
        ratio = np.where(feats[:, FEATURE_NAMES.index("growth")] >= switch_growth, ratio_end, ratio)
    elif ratio_end is not None:
        progress = np.clip(feats[:, FEATURE_NAMES.index("progress")] / ratio_at, 0.0, 1.0)
        ratio = ratio ** (1.0 - progress) * ratio_end**progress
    with np.errstate(divide="ignore", invalid="ignore"):
        dd = np.nan_to_num(ratio * alpha * factor / delta - 1.0, nan=ACTION_LOW)
    return np.clip(np.stack([factor - 1.0, dd], axis=1), ACTION_LOW, ACTION_HIGH)


def choice_labels(best_distance: np.ndarray, distance: np.ndarray, step_gain: float) -> np.ndarray:
    """The privileged teacher's move choice ``(B, 1)``: +1 (the grid's best sample) where the
    best sample lies nearer the minimiser than ``(1 - step_gain) * distance``, the distance a step
    of ``step_gain * distance`` along a perfect direction leaves, else -1 (the step)."""
    nearer = np.asarray(best_distance, float) < (1.0 - step_gain) * np.asarray(distance, float)
    return np.where(nearer, 1.0, -1.0)[:, None]


def make_teacher(cfg: WarmStartConfig, with_choice: bool = False):
    """``teacher(info, features) -> (B, 2)`` for the configured teacher; ``info`` is what the
    environments report (``grid_distance``, ``step_size``, ``resolution``), ``features`` the history
    features of the same states (``(B, 0)`` without them). ``with_choice`` (``move="actor"``) adds
    the move choice as a third column (:func:`choice_labels`; privileged teacher only)."""
    if with_choice:
        if cfg.teacher != "privileged":
            raise ValueError(
                "env.move='actor' is warm-started by the privileged teacher only (its move choice "
                f"needs the minimiser); got warm_start.teacher={cfg.teacher!r}"
            )
        zoom = make_teacher(cfg)
        return lambda info, feats: np.concatenate(
            [
                zoom(info, feats),
                choice_labels(info["best_sample_distance"], info["grid_distance"], cfg.step_gain),
            ],
            axis=1,
        )
    if cfg.teacher == "success_rule":
        return lambda info, feats: success_rule_actions(
            feats,
            info["step_size"],
            info["resolution"],
            cfg.success_grow,
            cfg.success_shrink,
            cfg.success_ratio,
            cfg.success_ratio_end,
            cfg.success_ratio_at,
            cfg.success_switch_growth,
        )
    return lambda info, feats: teacher_actions(
        info["grid_distance"], info["step_size"], info["resolution"], cfg.step_gain, cfg.resolution_gain
    )


def _engine_features(engine) -> np.ndarray:
    """The engine's history features ``(B, K)`` (``K = 0`` when it computes none)."""
    values = getattr(engine, "features", None)
    return np.zeros((engine.B, 0), np.float32) if values is None else values.values.copy()


def teacher_episodes(
    engine, rngs, step_gain: float, resolution_gain: float, options: dict | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Reset every slot of ``engine`` (with reset ``options``) and let the teacher alone act for
    the horizon. Returns the best-so-far regret and the initial regret per slot."""
    every = slice(None)
    engine.reset_slots(range(engine.B), rngs, options)
    info = engine.info(every)
    regret0 = info["regret"].copy()
    best = regret0.copy()
    alive = np.ones(engine.B, bool)
    for _ in range(engine.cfg.horizon):
        action = teacher_actions(
            info["grid_distance"], info["step_size"], info["resolution"], step_gain, resolution_gain
        )
        alive &= ~engine.step(action, rngs)["terminated"]
        info = engine.info(every)
        best = np.where(alive, np.minimum(best, info["regret"]), best)
    return best, regret0


def rollout(
    engine,
    actor: RecurrentActor,
    rngs,
    cfg: WarmStartConfig,
    use_teacher: np.ndarray,
    noise_rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """One episode per engine slot; returns the complete (non-diverged) ones as arrays:
    ``obs (E, T, 1, n, n)``, ``prev (E, T, A)`` (executed actions, zeros at t = 0) and
    ``labels (E, T, A)`` (the teacher's actions), ``feats (E, T, K)`` (history features); ``A``
    is the actor's ``action_dim`` (3 with the move choice of ``move="actor"``)."""
    B = engine.B
    horizon = engine.cfg.horizon
    engine.reset_slots(range(B), rngs)
    device = next(actor.parameters()).device
    hidden = actor.initial(B)
    start = torch.ones(B, dtype=torch.bool)
    with_choice = actor.action_dim == 3
    if with_choice != (engine.cfg.move == "actor"):
        raise ValueError(
            f"an actor of {actor.action_dim} action entries cannot act under move={engine.cfg.move!r}; "
            "the move choice (action_dim=3) goes with move='actor' and only with it"
        )
    obs, prev, labels, feats = [], [np.zeros((B, actor.action_dim))], [], []
    alive = np.ones(B, bool)
    teacher = make_teacher(cfg, with_choice)
    for _ in range(horizon):
        f = _engine_features(engine)
        label = teacher(engine.info(slice(None)), f)
        obs.append(engine.obs.copy())
        feats.append(f)
        with torch.no_grad():
            own, hidden = actor.act(
                torch.from_numpy(engine.obs).to(device), hidden, start, torch.from_numpy(f).to(device)
            )
        start = torch.zeros(B, dtype=torch.bool)
        action = np.where(use_teacher[:, None], label, own.double().cpu().numpy())
        if cfg.noise > 0:
            action = action + cfg.noise * noise_rng.standard_normal(action.shape)
        action = clip_actions(action, with_choice=with_choice)
        hidden = hidden._replace(prev_action=torch.from_numpy(action.astype(np.float32)).to(device))
        labels.append(label)
        prev.append(action)
        alive &= ~engine.step(action, rngs)["terminated"]
    return {
        "obs": np.stack(obs, 1)[alive].astype(np.float32),
        "prev": np.stack(prev[:-1], 1)[alive].astype(np.float32),
        "labels": np.stack(labels, 1)[alive].astype(np.float32),
        "feats": np.stack(feats, 1)[alive].astype(np.float32),
    }


def dagger(actor: RecurrentActor, make_engine, cfg: WarmStartConfig, seed: int, progress=None) -> list[float]:
    """Warm-start ``actor`` in place. ``make_engine(num_slots)`` builds a training engine
    (:func:`rover_envs.env.build_engine`). Returns the fitting loss after each round;
    ``progress(round, loss, episodes)`` is called after each round."""
    rng = np.random.default_rng(seed)
    params = [p for p in actor.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=cfg.lr)
    device = next(actor.parameters()).device
    engine = make_engine(cfg.episodes_per_round)
    data: dict[str, list[np.ndarray]] = {"obs": [], "prev": [], "labels": [], "feats": []}
    losses = []
    for k in range(cfg.rounds):
        beta = max(0.0, 1.0 - k / cfg.teacher_rounds) if cfg.teacher_rounds > 0 else 0.0
        rngs = [np.random.default_rng([seed, k, i]) for i in range(engine.B)]
        actor.eval()
        new = rollout(engine, actor, rngs, cfg, rng.random(engine.B) < beta, rng)
        for key, value in new.items():
            data[key].append(value)
        obs, prev, labels, feats = (
            torch.from_numpy(np.concatenate(data[key])) for key in ("obs", "prev", "labels", "feats")
        )
        if len(obs) == 0:
            raise RuntimeError("warm start: every episode diverged; check the environment settings")
        actor.train()
        loss = torch.zeros(())
        for _ in range(cfg.updates_per_round):
            idx = torch.from_numpy(rng.integers(0, len(obs), min(cfg.batch_episodes, len(obs))))
            pred = actor.forward_sequence(obs[idx].to(device), prev[idx].to(device), feats[idx].to(device))
            loss = torch.mean((pred - labels[idx].to(device)) ** 2)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        losses.append(loss.item())
        if progress is not None:
            progress(k, losses[-1], len(obs))
    actor.eval()
    return losses
