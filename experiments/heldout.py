"""Held-out evaluation shared by every trainer (our recurrent DDPG and the SB3 agents).

A *policy* here is anything with SB3's ``predict`` shape, ``act(obs, state, episode_start) ->
(actions, state)`` on a batch: our recurrent actor (:func:`actor_policy`), a Stable-Baselines3
model (``model.predict(..., deterministic=True)``, :func:`sb3_policy`) or the fixed schedule
(``None``: alpha and delta never change). Each family gets ``landscapes`` held-out landscapes,
seeded away from every training stream, one deterministic episode each.

The headline number is the *final normalised regret* ``regret_T / regret_0``: its median per
family, and ``log10_score``, the mean over families of ``log10`` of those medians (one number
per run; lower is better; -13 means the median run closed 13 decades of its initial regret).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym
import numpy as np

import rover_envs  # noqa: F401
from rover_envs.landscapes import FAMILY_NAMES

Act = Callable[[np.ndarray, Any, np.ndarray], tuple[np.ndarray, Any]]
FLOOR = 1e-16  # normalised regrets below this count as solved (log10 floor)


def actor_policy(actor) -> Act:
    """Our :class:`~agents.rdpg.RecurrentActor` as a batched ``act`` (explicit hidden state)."""
    import torch

    from agents.rdpg import split_obs

    device = next(actor.parameters()).device

    @torch.no_grad()
    def act(obs, hidden, start):
        grid, feats = split_obs(obs)
        if hidden is None:
            hidden = actor.initial(len(grid))
        a, hidden = actor.act(
            torch.from_numpy(grid).to(device),
            hidden,
            torch.from_numpy(start),
            torch.from_numpy(feats).to(device),
        )
        return a.cpu().numpy().astype(np.float64), hidden

    return act


def sb3_policy(model) -> Act:
    """A Stable-Baselines3 model (recurrent or not) as a batched deterministic ``act``."""

    def act(obs, state, start):
        action, state = model.predict(obs, state=state, episode_start=start, deterministic=True)
        return np.asarray(action, dtype=np.float64), state

    return act


HELDOUT_DEFAULTS = ("family", "step_size_range", "resolution_range", "box_fraction", "box_side_fraction")
"""Keyword arguments the held-out episodes never take from a training config: each family is
evaluated alone, unbounded (``python -m experiments.bounded`` validates under bounds), from the
environment's default initial alpha and delta ranges."""


def heldout_env(env: Any, noise: float | None = None, angle_net: str | None = None) -> dict:
    """The held-out environment's keyword arguments from a training config's ``env`` section
    (an :class:`~rover_envs.core.EngineConfig`): the same rules (reward, move, grid, horizon,
    noise model), but the keys in ``HELDOUT_DEFAULTS`` left to the environment; ``noise``
    replaces the training noise when given (e.g. 0: validate on noiseless landscapes);
    ``angle_net``: the weights of the direction the policy was trained with (the config's
    ``agent.angle_net``; None: the shipped network)."""
    from dataclasses import asdict

    kwargs = {k: v for k, v in asdict(env).items() if k not in HELDOUT_DEFAULTS}
    if noise is not None:
        kwargs["noise"] = noise
    if angle_net is not None:
        kwargs["angle_net_path"] = angle_net
    return kwargs


def heldout_seed(seed: int, offset: int, draw: int = 0) -> int:
    """The held-out landscapes' seed for a run seeded ``seed``: ``seed + (1 + draw) * offset``
    (``offset``: the config's ``eval.seed_offset``). Draw 0 is the validation set that training's
    own evaluation and every choice so far used; draw ``k > 0`` is a fresh set of the same
    distribution, for confirming a choice on landscapes that chose nothing."""
    if draw < 0:
        raise ValueError(f"draw must be 0 (the validation set) or a positive fresh draw; got {draw}")
    return seed + (1 + draw) * offset


def add_draw_argument(parser) -> None:
    """``--draw K`` on an ``argparse`` parser: which held-out set (:func:`heldout_seed`), 0 or more."""

    def draw(text: str) -> int:
        value = int(text)
        if value < 0:
            raise argparse.ArgumentTypeError(
                f"must be 0 (the validation set) or a positive fresh draw; got {value}"
            )
        return value

    parser.add_argument(
        "--draw",
        type=draw,
        default=0,
        help="held-out set: 0 the validation set (seed + eval.seed_offset), k > 0 a fresh draw "
        "(seed + (1 + k) * eval.seed_offset) for confirming a choice",
    )


SOLVED = 1e-3
"""A landscape counts as solved when its final normalised regret is below this: on the funnels
family a rival well leaves at least about 1e-2."""


def evaluate(
    act: Act | None,
    *,
    env: dict | None = None,
    landscapes: int = 50,
    seed: int = 1_000_003,
    families: Sequence[str] = FAMILY_NAMES,
    steps: int | None = None,
) -> dict:
    """Per family: the median final normalised regret, its mean log10, the fraction of landscapes
    solved (below ``SOLVED``), and the median alpha/alpha0 and delta/delta0 trajectories.

    ``env``: the environment's keyword arguments other than ``family`` (:func:`heldout_env`
    builds them from a training config; default: the environment's defaults). ``steps``: stop
    after this many steps (default: the horizon) while the environment, and the progress
    feature, still count to its horizon: a run cut short by its budget."""
    env_kwargs = dict(env or {})
    if "family" in env_kwargs:
        raise ValueError("evaluate() sets the family itself (families=...)")
    horizon = env_kwargs.get("horizon", 30)
    if steps is not None and not 1 <= steps <= horizon:
        raise ValueError(f"steps must be between 1 and the horizon {horizon}; got {steps}")
    out: dict[str, Any] = {}
    for k, fam in enumerate(families):
        venv = gym.make_vec(
            "RoverLandscape-v0",
            num_envs=landscapes,
            vectorization_mode="vector_entry_point",
            family=fam,
            **env_kwargs,
        )
        obs, info = venv.reset(seed=seed + 10_000 * k)
        r0, a0, d0 = info["regret"].copy(), info["step_size"].copy(), info["resolution"].copy()
        state, start = None, np.ones(landscapes, bool)
        alive = np.ones(landscapes, bool)
        regret, alphas, deltas = r0.copy(), [np.ones(landscapes)], [np.ones(landscapes)]
        for _ in range(steps or horizon):
            if act is None:
                action = np.zeros(venv.action_space.shape)
            else:
                action, state = act(obs, state, start)
            start = np.zeros(landscapes, bool)
            obs, _, term, trunc, info = venv.step(action)
            regret = np.where(alive, info["regret"], regret)
            alphas.append(np.where(alive, info["step_size"] / a0, alphas[-1]))
            deltas.append(np.where(alive, info["resolution"] / d0, deltas[-1]))
            alive &= ~(term | trunc)
        venv.close()
        norm = regret / np.maximum(r0, 1e-300)
        out[fam] = {
            "median_final_normalized_regret": float(np.median(norm)),
            "mean_log10_final_normalized_regret": float(np.mean(np.log10(np.maximum(norm, FLOOR)))),
            "solved_fraction": float(np.mean(norm < SOLVED)),
            "alpha_ratio": np.median(np.stack(alphas), axis=1).tolist(),
            "delta_ratio": np.median(np.stack(deltas), axis=1).tolist(),
        }
    return out


def log10_medians(result: dict) -> dict[str, float]:
    """Per family: log10 of the median final normalised regret, floored at 1e-16."""
    return {
        fam: float(np.log10(max(r["median_final_normalized_regret"], FLOOR))) for fam, r in result.items()
    }


def log10_score(result: dict) -> float:
    """Mean over families of log10(median final normalised regret), floored at 1e-16."""
    return float(np.mean(list(log10_medians(result).values())))


def summary(trained: dict, fixed: dict | None = None) -> dict:
    """``{family: {"trained": median, "fixed_schedule": median}}`` as written to metrics.json."""
    key = "median_final_normalized_regret"
    return {
        fam: {"trained": trained[fam][key], **({"fixed_schedule": fixed[fam][key]} if fixed else {})}
        for fam in trained
    }


def trajectory_figure(result: dict):
    """Median alpha/alpha0 and delta/delta0 per step, one line per family."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    for fam, r in result.items():
        axes[0].semilogy(r["alpha_ratio"], label=fam)
        axes[1].semilogy(r["delta_ratio"], label=fam)
    axes[0].set_title("median step size / initial")
    axes[1].set_title("median resolution / initial")
    for ax in axes:
        ax.set_xlabel("step")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def log_to_tensorboard(writer, result: dict, step: int, prefix: str = "eval") -> None:
    for fam, r in result.items():
        writer.add_scalar(
            f"{prefix}/final_normalized_regret/{fam}", r["median_final_normalized_regret"], step
        )
    writer.add_scalar(f"{prefix}/log10_score", log10_score(result), step)
    writer.add_figure(f"{prefix}/alpha_delta_trajectories", trajectory_figure(result), step)
