"""``rgb_array`` frames: the landscape's contours, the trajectory so far and the current grid.

matplotlib is imported only when a frame is drawn (``render_mode="rgb_array"``).
"""

from __future__ import annotations

import numpy as np

from rover_envs.grid import grid_points


def view_box(trajectory: np.ndarray, x_star: np.ndarray, grid: np.ndarray, bounds) -> np.ndarray:
    """A square ``(2, 2)`` box holding the trajectory, the minimiser and the grid, with margin."""
    pts = np.concatenate([trajectory, x_star[None], grid.reshape(-1, 2)])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    centre, half = (lo + hi) / 2, max(np.max(hi - lo) / 2 * 1.15, 1e-9)
    box = np.stack([centre - half, centre + half], axis=1)
    if bounds is not None:
        box = np.clip(box, bounds[:, :1], bounds[:, 1:])
    return box


def render_frame(landscape, trajectory, theta, delta, n, size: int = 400, shape=None) -> np.ndarray:
    """An ``(size, size, 3)`` uint8 image; ``shape``: the grid's adapted shape ``(2, 2)``
    (:mod:`rover_envs.metric`), ``None`` for the square grid."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    x_star, _ = landscape.minimum
    if shape is None:
        grid = grid_points(theta, delta, n)
    else:
        grid = grid_points(theta[None], np.atleast_1d(delta), n, shape=shape[None])[0]
    box = view_box(trajectory, x_star, grid, landscape.bounds)
    u = np.linspace(box[0, 0], box[0, 1], 120)
    v = np.linspace(box[1, 0], box[1, 1], 120)
    U, V = np.meshgrid(u, v, indexing="xy")
    Z = landscape(np.stack([U, V], axis=-1))
    fig = Figure(figsize=(size / 100, size / 100), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    levels = np.unique(np.quantile(Z[np.isfinite(Z)], np.linspace(0, 1, 25)))
    if levels.size > 1:
        ax.contourf(U, V, Z, levels=levels, cmap="viridis")
    ax.plot(trajectory[:, 0], trajectory[:, 1], "-o", color="white", ms=3, lw=1.2)
    ax.plot(*grid.reshape(-1, 2).T, ".", color="red", ms=3)
    ax.plot(x_star[0], x_star[1], "*", color="gold", ms=12, mec="black")
    ax.set_xlim(box[0])
    ax.set_ylim(box[1])
    ax.set_axis_off()
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
