"""``make evaluate``'s figures: the paper's Figures 4, 5, 8, 9 and 10, for the learned optimiser."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from agents.rover import RESOLUTION_SCALE, STEP_SIZE_SCALE, RoverDescent
from experiments.evaluation.runs import ITERS, problems
from rover_envs.core import sample_start
from rover_envs.grid import grid_points
from rover_envs.landscapes import FAMILY_NAMES, make


def envelopes(results: dict, names: list[str], path: Path, title: str) -> None:
    """Mean log10 best-so-far regret per optimiser with its min-max envelope (Figures 4 and 5)."""
    cols = 3 if len(names) > 4 else 2
    rows = int(np.ceil(len(names) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.6 * rows), squeeze=False)
    for ax, name in zip(axes.ravel(), names):
        for opt, r in results[name].items():
            if opt.startswith("_"):
                continue
            c = np.log10(np.maximum(r.curves, 1e-16))
            c = np.where(np.isfinite(c), c, 16)
            line = ax.plot(np.mean(c, axis=0), label=opt, lw=2.2 if opt == "rover" else 1.2)[0]
            ax.fill_between(range(c.shape[1]), c.min(0), c.max(0), color=line.get_color(), alpha=0.12)
        ax.set_title(name)
        ax.set_xlabel("iteration")
        ax.set_ylabel("log10 best regret")
    for ax in axes.ravel()[len(names) :]:
        ax.set_axis_off()
    axes.ravel()[0].legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=70)
    plt.close(fig)


def _nominal(x0: np.ndarray, f) -> dict:
    """The training-time initial alpha and delta (geometric means of the ranges x the distance)."""
    d = float(np.linalg.norm(x0 - f.minimum[0]))
    return {"step_size": STEP_SIZE_SCALE * d, "resolution": RESOLUTION_SCALE * d}


def schedules(rover: RoverDescent, path: Path, seed: int) -> None:
    """Median alpha/alpha0 and delta/delta0 over iterations per family (Figure 8)."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    rng = np.random.default_rng(seed)
    for fam in FAMILY_NAMES:
        a, d = [], []
        for p in problems(fam, 20, rng):
            res = rover.minimize(p.fun, p.x0, max_iter=ITERS, vectorized=True, **_nominal(p.x0, p.fun))
            a.append(res.history["step_size"] / res.history["step_size"][0])
            d.append(res.history["resolution"] / res.history["resolution"][0])
        axes[0].semilogy(np.median(a, axis=0), label=fam)
        axes[1].semilogy(np.median(d, axis=0), label=fam)
    axes[0].set_title("step size / initial (median of 20)")
    axes[1].set_title("resolution / initial (median of 20)")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=70)
    plt.close(fig)


def recovery(rover: RoverDescent, path: Path, seed: int) -> dict[str, float]:
    """A bowl started with the training-time alpha0, delta0 and with alpha0 x 0.01, delta0 x 100
    (Figure 9); returns the final regret of each."""
    f = make("quadratic", rng=np.random.default_rng(seed))
    x0 = sample_start(f, f.minimum[0], np.random.default_rng(seed + 1))
    nominal = _nominal(x0, f)
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    out = {}
    for label, (ka, kd) in {"nominal": (1, 1), "alpha x0.01, delta x100": (0.01, 100)}.items():
        res = rover.minimize(
            f,
            x0,
            max_iter=ITERS,
            vectorized=True,
            step_size=ka * nominal["step_size"],
            resolution=kd * nominal["resolution"],
        )
        axes[0].semilogy(res.history["step_size"], label=label)
        axes[1].semilogy(res.history["resolution"], label=label)
        axes[2].semilogy(np.maximum(res.history["fun"] - f.minimum[1], 1e-16), label=label)
        out[label] = float(res.fun - f.minimum[1])
    for ax, t in zip(axes, ("step size", "resolution", "regret")):
        ax.set_title(t)
        ax.set_xlabel("iteration")
    axes[2].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=70)
    plt.close(fig)
    return out


def contours(rover: RoverDescent, path: Path, seed: int) -> None:
    """One run per family on its contours, with the grids the optimiser sampled (Figure 10)."""
    fig, axes = plt.subplots(1, 4, figsize=(16, 4.2))
    rng = np.random.default_rng(seed)
    for ax, fam in zip(axes, FAMILY_NAMES):
        f, x0, _, _ = problems(fam, 1, rng)[0]
        res = rover.minimize(f, x0, max_iter=ITERS, vectorized=True)
        xs = res.history["x"]
        pts = np.vstack([xs, f.minimum[0][None]])
        c = (pts.min(0) + pts.max(0)) / 2
        h = max(np.ptp(pts, axis=0).max() / 2 * 1.3, 0.05 * np.linalg.norm(x0 - f.minimum[0]), 1e-6)
        U, V = np.meshgrid(np.linspace(c[0] - h, c[0] + h, 120), np.linspace(c[1] - h, c[1] + h, 120))
        Z = f(np.stack([U, V], -1))
        levels = np.unique(np.quantile(Z, np.linspace(0, 1, 25)))
        ax.contourf(U, V, Z, levels=levels if levels.size > 1 else 10, cmap="viridis")
        for k in range(0, len(xs) - 1, 3):
            g = grid_points(xs[k], res.history["resolution"][k], rover.policy.grid_size).reshape(-1, 2)
            ax.plot(g[:, 0], g[:, 1], ".", color="red", ms=1.5, alpha=0.6)
        ax.plot(xs[:, 0], xs[:, 1], "-o", color="white", ms=2.5, lw=1)
        ax.plot(*f.minimum[0], "*", color="gold", ms=12, mec="k")
        ax.set_title(fam)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    fig.savefig(path, dpi=70)
    plt.close(fig)
