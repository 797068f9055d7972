"""Figures of the environment suite.

``python -m experiments.plots landscapes --out docs/figures`` (``make figures``) draws

* ``families.png``: three random instances of each training family (the paper's Figure 3),
  with the starting-point distribution's samples and the global minimiser;
* ``test_functions.png``: the six analytic test functions on their domains with the hard
  start (square) and the minimiser (star), as in appendix 6.3;
* ``episode.png``: one ``RoverLandscape-v0`` episode per family under the best teacher with a
  fixed schedule, drawn by the environment's own ``rgb_array`` renderer;
* ``metric.png``: one ill-conditioned bowl (the first seed whose condition number lies in [1e3,
  1e4], so that the contours stay visible), the policy shipped before on the paper's square grid
  and the shipped one on the adapted grid it was trained on (``metric="grid_fit"``,
  :mod:`rover_envs.metric`): trajectories and the grids of a few iterations;
* ``initial_design.png``: the shipped optimiser on the first held-out landscape of three
  multimodal families in the domain box of :mod:`experiments.bounded` (seed ``--seed``), at 30
  iterations from x0 and after its initial design (``minimize(initial_samples=...)``): the design's
  points, the start each run takes, and both trajectories;
* ``peaks.png``: three landscapes of the ``peaks`` validation family (many unrelated wells,
  :mod:`rover_envs.landscapes.peaks`) in the domain box of :mod:`experiments.bounded`, and the
  shipped optimiser on each at BBOB's 1471 evaluations with and without ``restart="design"``:
  the design, both trajectories, and where the second schedule started;
* ``lopsided.png``: three landscapes of the ``lopsided`` validation family (bowls steeper on one
  side of the minimum, :mod:`rover_envs.landscapes.lopsided`) in the domain box, and the shipped
  optimiser on each at 1471 evaluations with ``descend`` 0 and 3;
* ``explore.png``: the shipped optimiser at 1471 evaluations with ``explore`` 0 and 0.01 on the
  first ``peaks`` landscapes (in the domain box) where the two end more than tenfold apart, paths
  above and each iterate's normalised regret below: a parked schedule's restart shows as a jump
  up, its resumption for the last ten iterations as a jump back down.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from rover_envs import landscapes as L
from rover_envs.core import EngineConfig, sample_start


def _contour(ax, f, box, starts=None, levels=30):
    u = np.linspace(*box[0], 150)
    v = np.linspace(*box[1], 150)
    U, V = np.meshgrid(u, v, indexing="xy")
    Z = f(np.stack([U, V], -1))
    lv = np.unique(np.quantile(Z, np.linspace(0, 1, levels)))
    ax.contourf(U, V, Z, levels=lv, cmap="viridis")
    ax.contour(U, V, Z, levels=lv, colors="k", linewidths=0.2)
    x_star, _ = f.minimum
    if starts is not None:
        ax.plot(starts[:, 0], starts[:, 1], ".", color="white", ms=3, alpha=0.8)
    ax.plot(*x_star, "*", color="gold", ms=12, mec="k")
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])


def _save(fig, path: Path, title: str) -> Path:
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=64)
    plt.close(fig)
    return path


def _family_box(f, starts):
    pts = np.vstack([starts, f.minimum[0][None]])
    lo, hi = pts.min(0), pts.max(0)
    c, h = (lo + hi) / 2, np.max(hi - lo) / 2 * 1.1
    return np.stack([c - h, c + h], 1)


def families_figure(out: Path, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    fig, axes = plt.subplots(3, 4, figsize=(13, 10))
    for col, name in enumerate(L.FAMILY_NAMES):
        for row in range(3):
            f = L.make(name, rng=rng)
            starts = np.array([sample_start(f, f.minimum[0], rng) for _ in range(60)])
            _contour(axes[row, col], f, _family_box(f, starts), starts)
            if row == 0:
                axes[row, col].set_title(name)
    return _save(
        fig,
        out / "families.png",
        "Training families (appendix 6.1): contours, start distribution (dots), minimum (star)",
    )


def rippled_figure(out: Path, seed: int = 0) -> Path:
    """The optional ``rippled`` family (not the paper's): bowls with Rastrigin-like ripples."""
    rng = np.random.default_rng(seed)
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.4))
    for ax in axes:
        f = L.make("rippled", rng=rng)
        starts = np.array([sample_start(f, f.minimum[0], rng) for _ in range(60)])
        _contour(ax, f, _family_box(f, starts), starts)
        ax.set_title(f"wavelength {f.params.lam[0]:.2f}, amplitude {f.params.r[0]:.2g}", fontsize=9)
    return _save(fig, out / "rippled.png", "Optional rippled family: contours, starts (dots), minimum (star)")


def generated_figure(out: Path, seed: int = 0) -> Path:
    """The project's generated families (not the paper's): ill-conditioned bowls, multiscale
    ripples, funnels, steps, geometric steps on ill-conditioned bowls."""
    rng = np.random.default_rng(seed)
    names = ("ill_conditioned", "multiscale", "funnels", "steps", "ill_log_steps")
    fig, axes = plt.subplots(len(names), 3, figsize=(13, 4.1 * len(names)))
    for row, name in enumerate(names):
        for ax in axes[row]:
            f = L.make(name, rng=rng)
            starts = np.array([sample_start(f, f.minimum[0], rng) for _ in range(60)])
            _contour(ax, f, _family_box(f, starts), starts)
            if name == "funnels":
                depths = np.sort(-f.params.w[0, :4])[::-1]
                ax.set_title(f"funnels: depths {', '.join(f'{d:.1f}' for d in depths)}", fontsize=9)
                continue
            eig = np.linalg.eigvalsh(f.params.Q[0])
            extra = f", wavelength {f.params.lam[0]:.2f}" if name == "multiscale" else ""
            if name == "steps":
                levels = np.median([f(x) for x in starts]) / f.params.q[0]
                extra = f", median start {levels:.0f} steps up"
            if name == "ill_log_steps":
                extra = f", plateaus {np.exp(f.params.qlog[0]) - 1:.0%} apart"
            ax.set_title(f"{name}: condition {eig[1] / eig[0]:.2g}{extra}", fontsize=9)
    return _save(fig, out / "generated.png", "Generated families: contours, starts (dots), minimum (star)")


def test_functions_figure(out: Path) -> Path:
    fig, axes = plt.subplots(2, 3, figsize=(13, 8.5))
    for ax, name in zip(axes.ravel(), L.FUNCTIONS):
        f = L.make(name)
        box = f.bounds if name != "ackley" else np.array([[-5.0, 5.0], [-5.0, 5.0]])
        _contour(ax, f, box)
        ax.plot(*f.hard_start, "s", color="tab:blue", ms=9, mec="white")
        ax.set_title(f"{name}  (start ({f.hard_start[0]:g}, {f.hard_start[1]:g}))")
    return _save(
        fig,
        out / "test_functions.png",
        "Test functions (appendix 6.3): hard start (square), global minimum (star)",
    )


def episode_figure(out: Path, seed: int = 0) -> Path:
    import gymnasium as gym

    import rover_envs  # noqa: F401

    fig, axes = plt.subplots(1, 4, figsize=(16, 4.4))
    for ax, name in zip(axes, L.FAMILY_NAMES):
        env = gym.make("RoverLandscape-v0", family=name, direction="best_teacher", render_mode="rgb_array")
        _, info = env.reset(seed=seed)
        regret0 = info["regret"]
        for _ in range(EngineConfig().horizon):
            _, _, term, trunc, info = env.step(np.array([0.0, -0.05]))
            if term or trunc:
                break
        ax.imshow(env.render())
        ax.set_title(f"{name}: regret {regret0:.3g} -> {info['regret']:.2g}", fontsize=9)
        ax.set_axis_off()
    return _save(
        fig,
        out / "episode.png",
        "RoverLandscape-v0 rgb_array frames: best teacher, constant alpha, shrinking delta",
    )


def _ill_conditioned_seed(lo: float = 1e3, hi: float = 1e4) -> int:
    import gymnasium as gym

    import rover_envs  # noqa: F401

    env = gym.make("RoverLandscape-v0", family="ill_conditioned", direction="quadratic_fit")
    for seed in range(1000):
        env.reset(seed=seed)
        if lo <= np.linalg.cond(env.unwrapped.landscape.params.Q[0]) <= hi:
            return seed
    raise RuntimeError(f"no ill-conditioned bowl with condition number in [{lo:g}, {hi:g}] in 1000 seeds")


def metric_figure(out: Path, shown=(0, 3, 6, 9)) -> Path:
    import gymnasium as gym

    import rover_envs  # noqa: F401
    from agents.rover import RoverPolicy, default_policy_path
    from experiments.heldout import actor_policy
    from rover_envs.grid import grid_points

    seed = _ill_conditioned_seed()
    fig, axes = plt.subplots(1, 2, figsize=(10, 5))
    runs = []
    square = default_policy_path().parent / "rover_square_grid.pt"
    for label, path in (("before, square grid", square), ("shipped, adapted grid", default_policy_path())):
        policy = RoverPolicy.load(path)
        config = policy.meta["config"]
        kwargs = {k: v for k, v in config["env"].items() if k in ("move", "features", "grid_size", "metric")}
        env = gym.make(
            "RoverLandscape-v0",
            family="ill_conditioned",
            angle_net_path=config["agent"]["angle_net"],
            **kwargs,
        )
        obs, info = env.reset(seed=seed)
        engine, act, state = env.unwrapped._engine, actor_policy(policy.actor), None
        regret0, trail, grids = info["regret"], [info["theta"]], {}
        for t in range(policy.horizon):
            if t in shown:
                shape = None if engine.shape is None else engine.shape[:1]
                grids[t] = grid_points(engine.theta[:1], engine.delta[:1], engine.n, shape=shape)[0]
            batch = {k: v[None] for k, v in obs.items()} if isinstance(obs, dict) else obs[None]
            action, state = act(batch, state, np.array([t == 0]))
            obs, _, term, trunc, info = env.step(action[0])
            trail.append(info["theta"])
            if term or trunc:
                break
        runs.append((label, env.unwrapped.landscape, np.array(trail), grids, regret0, info["regret"]))
    pts = np.vstack([np.vstack([p, *(v.reshape(-1, 2) for v in g.values())]) for _, _, p, g, _, _ in runs])
    for ax, (label, land, trail, grids, r0, r1) in zip(axes, runs):
        _contour(ax, land, _family_box(land, pts))
        ax.plot(*trail.T, "-o", color="white", ms=2.5, lw=1)
        for k, (t, g) in enumerate(sorted(grids.items())):
            color = plt.cm.autumn(k / max(len(grids) - 1, 1))
            ax.plot(*g.reshape(-1, 2).T, ".", ms=3, color=color, label=f"t={t}")
        ax.set_title(f"{label}: normalised regret {r1 / r0:.1e} after {len(trail) - 1} steps", fontsize=9)
        ax.legend(loc="lower right", fontsize=7, markerscale=3)
    cond = np.linalg.cond(runs[0][1].params.Q[0])
    return _save(
        fig, out / "metric.png", f"An ill-conditioned bowl (condition {cond:.0f}): grids at t = {shown}"
    )


def _trajectory(ax, res, style: str, color: str, label: str) -> None:
    """The iterates of one ``minimize`` result, ``res.history["x"]``, as a line on ``ax``."""
    ax.plot(*res.history["x"].T, style, color=color, ms=2, lw=1, label=label)


def design_figure(out: Path, seed: int = 0, families=("funnels", "rippled", "multiscale")) -> Path:
    from agents.rover import RoverDescent, design_points
    from experiments.bounded import problems

    rover = RoverDescent.pretrained()
    fig, axes = plt.subplots(1, len(families), figsize=(5 * len(families), 5.2))
    for ax, family in zip(np.atleast_1d(axes), families):
        f, f_star, bounds, x0 = problems(family, 1, seed, "domain")[0]
        fun = lambda x, f=f: f(np.atleast_2d(x))  # noqa: E731
        span = float(fun(x0)[0]) - f_star
        runs = {
            k: rover.minimize(fun, x0, bounds=bounds, vectorized=True, initial_samples=k) for k in (0, "auto")
        }
        _contour(ax, f, bounds)
        k = rover._iteration_cost(rover.bounded_policy.move) - 1  # the design "auto" draws at 30 iterations
        design = design_points(bounds, k)  # seed None, as in these runs
        ax.plot(*design.T, "x", color="white", ms=4, label=f"design ({k} points)")
        for (name, res), color in zip(runs.items(), ("white", "tab:red")):
            label = "from x0" if name == 0 else "after the design"
            _trajectory(ax, res, "-o", color, f"{label}: {(res.fun - f_star) / span:.0e}")
        ax.plot(*x0, "s", color="white", mec="k", ms=7)
        ax.set_title(f"{family} (held-out, domain box): final normalised regret in the legend", fontsize=9)
        ax.legend(loc="lower right", fontsize=7)
    return _save(
        fig,
        out / "initial_design.png",
        "The shipped optimiser at 30 iterations, without and with its initial design",
    )


def _compared(ax, runs: list[tuple[str, object, str, str]], f_star: float, span: float, x0) -> None:
    """``runs`` as ``(label, minimize result, color, style)``, the last on top, each labelled with
    its final normalised regret; then the start and the legend."""
    for label, res, color, style in runs:
        regret = max((res.fun - f_star) / span, 1e-16)
        _trajectory(ax, res, style, color, f"{label}: {regret:.0e}")
    ax.plot(*x0, "s", color="white", mec="k", ms=7)
    ax.legend(loc="lower right", fontsize=7)


def peaks_figure(out: Path, seed: int = 0, count: int = 3) -> Path:
    from agents.rover import RoverDescent, design_points
    from experiments.bounded import BUDGET, problems

    rover = RoverDescent.pretrained()
    fig, axes = plt.subplots(1, count, figsize=(5 * count, 5.2))
    for ax, (f, f_star, bounds, x0) in zip(np.atleast_1d(axes), problems("peaks", count, seed, "domain")):
        fun = lambda x, f=f: f(np.atleast_2d(x))  # noqa: E731
        span = float(fun(x0)[0]) - f_star
        kw = {"bounds": bounds, "vectorized": True, "max_evals": BUDGET, "initial_samples": "auto"}
        runs = {r: rover.minimize(fun, x0, restart=r, **kw) for r in ("none", "design")}
        _contour(ax, f, bounds)
        # "spare": what the iterations leave over, less the evaluations of x0 and the last iterate
        cost = rover._iteration_cost(rover.bounded_policy.move)
        k = BUDGET - (BUDGET - 1) // cost * cost - 2
        ax.plot(*design_points(bounds, k).T, "x", color="white", ms=4, label=f"design ({k} points)")
        shown = [
            (f"restart {r}", runs[r], c, st)
            for r, c, st in (("design", "tab:red", "-o"), ("none", "white", "--."))
        ]
        _compared(ax, shown, f_star, span, x0)  # "none" on top
        ax.set_title(f"peaks: {len(f.centres)} wells (held-out, domain box)", fontsize=9)
    return _save(
        fig,
        out / "peaks.png",
        "The peaks validation family; the shipped optimiser at 1471 evaluations, with and without a restart",
    )


def lopsided_figure(out: Path, seed: int = 0, count: int = 3) -> Path:
    from agents.rover import RoverDescent
    from experiments.bounded import BUDGET, problems

    rover = RoverDescent.pretrained()
    fig, axes = plt.subplots(1, count, figsize=(5 * count, 5.2))
    for ax, (f, f_star, bounds, x0) in zip(np.atleast_1d(axes), problems("lopsided", count, seed, "domain")):
        fun = lambda x, f=f: f(np.atleast_2d(x))  # noqa: E731
        span = float(fun(x0)[0]) - f_star
        kw = {"bounds": bounds, "vectorized": True, "max_evals": BUDGET}
        runs = {k: rover.minimize(fun, x0, descend=k, **kw) for k in (0, 3)}
        _contour(ax, f, bounds)
        _compared(
            ax,
            [(f"descend {k}", runs[k], c, st) for k, c, st in ((3, "tab:red", "-o"), (0, "white", "--."))],
            f_star,
            span,
            x0,
        )
        bowl = f.f  # the domain box translates the family's bowl
        title = f"lopsided: steep sides {bowl.steep[0]:.0f}x, {bowl.steep[1]:.0f}x, power {bowl.power:.2f}"
        ax.set_title(title, fontsize=9)
    return _save(
        fig,
        out / "lopsided.png",
        "The lopsided validation family; the shipped optimiser at 1471 evaluations, with and without descend",
    )


def explore_figure(out: Path, seed: int = 0, count: int = 3, search: int = 50) -> Path:
    from agents.rover import EXPLORE_RESERVE, SHIPPED_EXPLORE, RoverDescent
    from experiments.bounded import BUDGET, problems

    rover = RoverDescent.pretrained()
    shown = []
    for f, f_star, bounds, x0 in problems("peaks", search, seed, "domain"):
        fun = lambda x, f=f: f(np.atleast_2d(x))  # noqa: E731
        span = float(fun(x0)[0]) - f_star
        kw = {"bounds": bounds, "vectorized": True, "max_evals": BUDGET}
        runs = {e: rover.minimize(fun, x0, explore=e, **kw) for e in (0.0, SHIPPED_EXPLORE)}
        regrets = [max((runs[e].fun - f_star) / span, 1e-16) for e in runs]
        if max(regrets) > 10.0 * min(regrets):
            shown.append((f, f_star, bounds, x0, span, runs))
        if len(shown) == count:
            break
    if not shown:
        raise ValueError(f"explore changes none of the first {search} peaks landscapes of seed {seed}")
    fig, axes = plt.subplots(2, len(shown), figsize=(5 * len(shown), 8.4), squeeze=False)
    for (top, bottom), (f, f_star, bounds, x0, span, runs) in zip(axes.T, shown):
        _contour(top, f, bounds)
        styles = ((SHIPPED_EXPLORE, "tab:red", "-o"), (0.0, "white", "--."))
        _compared(top, [(f"explore {e:g}", runs[e], c, st) for e, c, st in styles], f_star, span, x0)
        top.set_title(f"peaks: {len(f.centres)} wells (held-out, domain box)", fontsize=9)
        for e, c, st in styles:
            regret = np.maximum((runs[e].history["fun"] - f_star) / span, 1e-16)
            bottom.semilogy(
                regret, st, color="black" if c == "white" else c, ms=3, lw=1, label=f"explore {e:g}"
            )
        bottom.axvline(len(runs[SHIPPED_EXPLORE].history["fun"]) - 1 - EXPLORE_RESERVE, color="grey", lw=0.8)
        bottom.set_xlabel(f"iteration (grey: {EXPLORE_RESERVE} left, the lowest parked schedule resumes)")
        bottom.set_ylabel("the iterate's normalised regret")
        bottom.legend(fontsize=7)
    return _save(
        fig,
        out / "explore.png",
        "Parking a located basin to explore: the shipped optimiser at 1471 evaluations, explore 0 and 0.01",
    )


def _ripple_runs(seed: int, search: int):
    """``(family, f, f_star, bounds, x0)`` of the first ``search`` domain-box landscapes of
    multiscale, then rippled, from ``seed``: the landscapes the ripple figures search."""
    from experiments.bounded import problems

    for family in ("multiscale", "rippled"):
        for f, f_star, bounds, x0 in problems(family, search, seed, "domain"):
            yield family, f, f_star, bounds, x0


def adjacent_figure(out: Path, seed: int = 0, count: int = 3, search: int = 50) -> Path:
    from agents.rover import RoverDescent
    from experiments.bounded import BUDGET
    from experiments.failures import ADJACENT, CORE, outcome, recorded_run

    rover = RoverDescent.pretrained()
    shown = []
    for family, f, f_star, bounds, x0 in _ripple_runs(seed, search):
        res, samples = recorded_run(rover, f, bounds, x0, BUDGET)
        row = outcome(res, f, f_star, x0, samples)
        if row["adjacent"] and not row["solved"]:
            shown.append((family, f, bounds, res, samples, row))
        if len(shown) == count:
            break
    if not shown:
        raise ValueError(f"no adjacent miss among the first {search} ripple landscapes of seed {seed}")
    fig, axes = plt.subplots(1, len(shown), figsize=(5 * len(shown), 5.4), squeeze=False)
    for ax, (family, f, bounds, res, samples, row) in zip(axes[0], shown):
        lam, x_star = row["wavelength"], np.asarray(f.minimum[0], dtype=float)
        reach = (ADJACENT + 2.5) * lam
        box = np.stack(
            [np.maximum(x_star - reach, bounds[:, 0]), np.minimum(x_star + reach, bounds[:, 1])], 1
        )
        _contour(ax, f, box)
        inside = np.all((samples >= box[:, 0]) & (samples <= box[:, 1]), axis=1)
        core = np.linalg.norm(samples - x_star, axis=1) <= CORE * lam
        ax.plot(*samples[inside & ~core].T, ".", color="white", ms=2, alpha=0.6, label="samples")
        ax.plot(*samples[core].T, "o", color="tab:red", ms=4, mec="k", label=f"samples within {CORE:g} λ")
        path = np.asarray(res.history["x"])
        near = np.all((path >= box[:, 0]) & (path <= box[:, 1]), axis=1)
        ax.plot(*path[near].T, "-", color="white", lw=0.8, alpha=0.8, label="iterates")
        ax.plot(*np.asarray(res.x), "X", color="tab:orange", ms=10, mec="k", label="returned")
        ax.set_xlim(*box[0])
        ax.set_ylim(*box[1])
        ax.set_title(
            f"{family}: wavelength {lam:.2f}, final normalised regret {row['regret']:.0e}", fontsize=9
        )
        ax.legend(loc="lower right", fontsize=7)
    return _save(
        fig,
        out / "adjacent.png",
        "Misses next to the minimum: the shipped optimiser at 1471 evaluations (generated ripples)",
    )


def hop_starts(resolution: np.ndarray) -> list[int]:
    """The iterations of a ``minimize`` history where a schedule started at a zoom an earlier one
    had, narrower than the first and wider than the iteration before: where ``seek="grid"`` hopped
    (a restart from the design starts at the first zoom; a revisit at a quarter of an earlier one)."""
    delta = np.asarray(resolution, dtype=float)
    return [i for i in range(1, len(delta)) if delta[0] > delta[i] > delta[i - 1] and delta[i] in delta[:i]]


def hop_figure(out: Path, seed: int = 0, count: int = 3, search: int = 50) -> Path:
    from agents.rover import RoverDescent
    from experiments.bounded import BUDGET
    from experiments.failures import wavelength

    rover = RoverDescent.pretrained()
    shown = []
    for family, f, f_star, bounds, x0 in _ripple_runs(seed, search):
        fun = lambda x, f=f: f(np.atleast_2d(x))  # noqa: E731
        span = float(fun(x0)[0]) - f_star
        kw = {"bounds": bounds, "vectorized": True, "max_evals": BUDGET}
        runs = {s: rover.minimize(fun, x0, seek=s, **kw) for s in ("none", "grid")}
        regrets = {s: max((runs[s].fun - f_star) / span, 1e-16) for s in runs}
        if regrets["grid"] < 1e-3 <= regrets["none"] and hop_starts(runs["grid"].history["resolution"]):
            shown.append((family, f, bounds, runs, regrets))
        if len(shown) == count:
            break
    if not shown:
        raise ValueError(f"no run the hop solves among the first {search} ripple landscapes of seed {seed}")
    fig, axes = plt.subplots(1, len(shown), figsize=(5 * len(shown), 5.4), squeeze=False)
    for ax, (family, f, bounds, runs, regrets) in zip(axes[0], shown):
        lam, x_star = wavelength(f), np.asarray(f.minimum[0], dtype=float)
        hop = hop_starts(runs["grid"].history["resolution"])[0]
        ends = np.stack([runs["none"].x, runs["grid"].history["x"][hop], x_star])
        reach = 4.0 * max(lam, float(np.max(np.abs(ends - x_star))))
        box = np.stack(
            [np.maximum(x_star - reach, bounds[:, 0]), np.minimum(x_star + reach, bounds[:, 1])], 1
        )
        _contour(ax, f, box)
        for s, color, style, label in (
            ("none", "white", "--", f"without the hop: {regrets['none']:.0e}"),
            ("grid", "tab:red", "-", f"with it: {regrets['grid']:.0e}"),
        ):
            path = np.asarray(runs[s].history["x"])
            near = np.all((path >= box[:, 0]) & (path <= box[:, 1]), axis=1)
            ax.plot(*path[near].T, style, color=color, lw=0.9, alpha=0.85, label=label)
            ax.plot(*np.asarray(runs[s].x), "X", color=color, ms=10, mec="k")
        ax.plot(
            *runs["grid"].history["x"][hop], "o", color="tab:orange", ms=9, mec="k", label="the fitted bottom"
        )
        ax.plot(*x_star, "*", color="white", ms=13, mec="k", label="the minimum")
        ax.set_xlim(*box[0])
        ax.set_ylim(*box[1])
        ax.set_title(f"{family}: wavelength {lam:.2f}; final normalised regret", fontsize=9)
        ax.legend(loc="lower right", fontsize=7)
    return _save(
        fig,
        out / "hop.png",
        "The hop to the fitted bowl's bottom: the shipped optimiser at 1471 evaluations, with and without it",
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Figures of the environment suite.")
    parser.add_argument("what", choices=["landscapes"])
    parser.add_argument("--out", default="docs/figures", type=Path)
    parser.add_argument("--seed", default=0, type=int)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for path in (
        families_figure(args.out, args.seed),
        test_functions_figure(args.out),
        episode_figure(args.out, args.seed),
        rippled_figure(args.out, args.seed),
        generated_figure(args.out, args.seed),
        metric_figure(args.out),
        design_figure(args.out, args.seed),
        peaks_figure(args.out, args.seed),
        lopsided_figure(args.out, args.seed),
        explore_figure(args.out, args.seed),
        adjacent_figure(args.out, args.seed),
        hop_figure(args.out, args.seed),
    ):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
