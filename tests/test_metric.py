"""The adapted grid shape (``metric="grid_fit"``): what it learns from a grid, and that the
environment and the optimiser run it alike."""

import gymnasium as gym
import numpy as np
import pytest

import rover_envs  # noqa: F401
from agents.rover import RoverDescent, default_policy_path
from rover_envs import metric
from rover_envs.grid import grid_points
from rover_envs.landscapes import make


def _rotated(kappa: float, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    R = np.array([[c, -s], [s, c]])
    return R @ np.diag([kappa, 1.0]) @ R.T


def _grid(H: np.ndarray, shape: np.ndarray, theta=(3.0, 2.0), delta=0.01) -> np.ndarray:
    pts = grid_points(np.array([theta]), np.array([delta]), 7, shape=shape)[0]
    return 0.5 * np.einsum("...i,ij,...j->...", pts, H, pts)[None]


def test_the_shape_whitens_an_ill_conditioned_quadratic_geometrically():
    """rate 0.5 halves the log-condition of the Hessian the grid sees at every update; the shape
    keeps determinant 1 and stays symmetric."""
    H = _rotated(1e6, 0.5)
    shape, conds = metric.identity(1), []
    for _ in range(6):
        shape = metric.update(shape, _grid(H, shape), rate=0.5)
        conds.append(np.linalg.cond(shape[0] @ H @ shape[0]))
        assert np.linalg.det(shape[0]) == pytest.approx(1.0)
        np.testing.assert_allclose(shape[0], shape[0].T, atol=1e-12)
    np.testing.assert_allclose(np.log10(conds), 6.0 / 2.0 ** np.arange(1, 7), rtol=1e-4)
    once = metric.update(metric.identity(1), _grid(H, metric.identity(1)), rate=1.0)
    assert np.linalg.cond(once[0] @ H @ once[0]) == pytest.approx(1.0)  # rate 1: one grid


def test_grids_without_significant_convex_curvature_leave_the_shape():
    """Saddles, slopes, ripples finer than the grid, noise, flat and non-finite grids: no update."""
    o = np.arange(7) - 3.0
    u, v = np.meshgrid(o, o, indexing="ij")
    rng = np.random.default_rng(0)
    grids = np.stack(
        [
            u**2 - v**2,  # saddle
            2.0 * u + v,  # slope (no curvature at all)
            np.cos(np.pi * u) + np.cos(np.pi * v) + 1e-3 * (u**2 + 0.01 * v**2),  # ripples over a weak bowl
            rng.standard_normal((7, 7)),  # noise
            np.zeros((7, 7)),  # flat
            np.where(u == 3, np.nan, u**2 + v**2),  # a NaN sample
        ]
    )
    shape = np.stack([_rotated(3.0, 0.3) / np.sqrt(3.0)] * len(grids))
    np.testing.assert_array_equal(metric.update(shape, grids), shape)
    assert not metric.fitted_hessians(grids)[1].any()


def test_a_quadratic_that_explains_too_little_of_the_grid_leaves_the_shape():
    """Significant curvature under ripples that carry a few percent of the variance: the fit is
    not trusted (MIN_R2), while the bowl alone updates the shape."""
    o = np.arange(7) - 3.0
    u, v = np.meshgrid(o, o, indexing="ij")
    bowl = 4.0 * u**2 + v**2
    rippled = bowl + 3.0 * (np.cos(2.2 * u) + np.cos(2.2 * v))  # R^2 = 0.974
    H, ok = metric.fitted_hessians(np.stack([bowl, rippled]), min_r2=0.99)
    assert ok.tolist() == [True, False]
    np.testing.assert_allclose(H[0] / H[0, 1, 1], np.diag([4.0, 1.0]), atol=1e-9)
    assert metric.fitted_hessians(rippled[None], min_r2=0.0)[1].all()  # the curvature itself is significant


def test_the_floored_fit_adapts_where_a_residual_hides_the_flat_curvature():
    """An ill-conditioned bowl seen through a value distortion of a few % (log-steps): grid_fit
    never adapts (the flat curvature is within the residual); grid_fit_floor stretches along the
    flat direction, by less than the true conditioning (the floor is conservative), and still
    leaves saddles and clean slopes alone."""
    H = _rotated(1e4, 0.4)
    shape = {"grid_fit": metric.identity(1), "grid_fit_floor": metric.identity(1)}
    for _ in range(6):
        for name in shape:
            g = _grid(H, shape[name], theta=(0.013, 0.021), delta=0.01)
            g = np.exp(0.1 * np.floor(np.log(g) / 0.1))
            shape[name] = metric.update(shape[name], g, rate=0.5, metric=name)
    np.testing.assert_array_equal(shape["grid_fit"], metric.identity(1))
    cond = np.linalg.cond(shape["grid_fit_floor"][0] @ H @ shape["grid_fit_floor"][0])
    assert 1.0 < cond < 1e4 / 10  # the grid sees a rounder bowl than the square grid did
    o = np.arange(7) - 3.0
    u, v = np.meshgrid(o, o, indexing="ij")
    others = np.stack([u**2 - v**2, 2.0 * u + v, 2.0 * u + v + 1e-3 * u**2 - 1.0 * v**2])
    assert not metric.fitted_hessians(others, floor=True)[1].any()


def test_the_shape_condition_is_capped():
    shape = metric.identity(1)
    H = np.diag([1e12, 1.0])
    for _ in range(20):
        shape = metric.update(shape, _grid(H, shape, theta=(1e-3, 2.0), delta=1e-4), rate=1.0)
    assert np.linalg.cond(shape[0] @ shape[0]) == pytest.approx(metric.MAX_CONDITION, rel=1e-6)


def test_the_optimiser_replays_the_environment_episode_on_an_adapted_grid():
    """metric='grid_fit': RoverDescent's iterates are the env's episode (shipped policy, ill-conditioned
    bowl), and the adapted grid changes the episode."""
    from experiments.heldout import actor_policy

    rover = RoverDescent.pretrained()
    f = make("ill_conditioned", rng=np.random.default_rng(5))
    x0, a0, d0 = f.minimum[0] + np.array([3.0, -2.0]), 0.3, 0.05
    env_cfg = rover.policy.meta["config"]["env"]
    kwargs = {k: env_cfg[k] for k in ("move", "features", "grid_size")}
    angle_path = rover.policy.meta["config"]["agent"]["angle_net"]
    runs = {}
    for name in ("none", "grid_fit"):
        res = rover.minimize(f, x0, step_size=a0, resolution=d0, vectorized=True, metric=name)
        env = gym.make("RoverLandscape-v0", metric=name, angle_net_path=angle_path, **kwargs)
        obs, info = env.reset(
            seed=0, options={"landscape": f, "theta": x0, "step_size": a0, "resolution": d0}
        )
        act, state, trajectory = actor_policy(rover.policy.actor), None, [info["theta"]]
        for t in range(rover.policy.horizon):
            action, state = act({k: v[None] for k, v in obs.items()}, state, np.array([t == 0]))
            obs, _, _, _, info = env.step(action[0])
            trajectory.append(info["theta"])
        np.testing.assert_array_equal(res.history["x"], np.array(trajectory))
        runs[name] = res
    assert not np.array_equal(runs["none"].history["x"], runs["grid_fit"].history["x"])


def test_metric_errors_name_the_fix():
    with pytest.raises(ValueError, match="unknown metric"):
        gym.make("RoverLandscape-v0", metric="cma")
    with pytest.raises(ValueError, match="metric_rate"):
        gym.make("RoverLandscape-v0", metric="grid_fit", metric_rate=2.0)
    with pytest.raises(ValueError, match="metric_min_r2"):
        gym.make("RoverLandscape-v0", metric="grid_fit", metric_min_r2=-0.1)
    with pytest.raises(ValueError, match="teacher 'gradient'"):
        gym.make("RoverLandscape-v0", metric="grid_fit", direction="gradient")
    rover = RoverDescent.pretrained()
    with pytest.raises(ValueError, match="unknown metric"):
        rover.minimize(lambda x: float(np.sum(x**2)), [1.0, 1.0], metric="cma")
    with pytest.raises(ValueError, match="pairs of dimensions"):
        rover.minimize(lambda x: float(np.sum(x**2)), [1.0, 1.0, 1.0], metric="grid_fit", max_iter=1)


def test_same_seed_same_episode_with_an_adapted_grid():
    runs = []
    for _ in range(2):
        env = gym.make("RoverLandscape-v0", family="broad", metric="grid_fit", direction="quadratic_fit")
        env.reset(seed=7)
        env.action_space.seed(7)
        runs.append([env.step(env.action_space.sample())[4]["theta"] for _ in range(10)])
    np.testing.assert_array_equal(runs[0], runs[1])


@pytest.mark.parametrize("name", ["none", "grid_fit"])
def test_the_optimiser_keeps_its_iterates_in_the_bounds(name):
    """A grid that reaches beyond the box is evaluated at its clipped points, and a move to the best
    sample goes there, never outside (a slope whose minimum is the box's corner; the direction points
    away from it, so every step fails and the iterate moves to the best sample)."""
    shipped = RoverDescent.pretrained()
    rover = RoverDescent(shipped.policy, direction=lambda obs, theta: np.array([-1.0, 0.0]))
    res = rover.minimize(
        lambda x: -x[..., 0] - x[..., 1],
        [4.5, 4.0],
        bounds=[(-5, 5)] * 2,
        resolution=1.0,
        metric=name,
        vectorized=True,
    )
    assert np.all(np.abs(res.history["x"]) <= 5.0) and res.fun == -10.0


def test_the_optimiser_defaults_to_the_grid_shape_its_policy_was_trained_on():
    """RoverPolicy.metric reads the training config's env (the shipped files: grid_fit); a policy
    whose config predates the option runs the square grid; RoverDescent.pretrained() runs both
    shipped policies on SHIPPED_METRIC, a policy given by path on its own shape."""
    from agents.rover import SHIPPED_METRIC

    shipped = RoverDescent.pretrained()
    assert shipped.policy.metric[0] == shipped.bounded_policy.metric[0] == SHIPPED_METRIC == "grid_fit_floor"
    assert shipped.policy.metric[1:] == RoverDescent.pretrained(default_policy_path()).policy.metric[1:]
    own = RoverDescent.pretrained(default_policy_path())
    assert own.policy.metric[0] == "grid_fit" and own.bounded_policy is None
    f = make("ill_conditioned", rng=np.random.default_rng(2))
    x0 = f.minimum[0] + np.array([2.0, 1.0])
    runs = {m: own.minimize(f, x0, vectorized=True, metric=m).history["x"] for m in ("none", "grid_fit")}
    np.testing.assert_array_equal(own.minimize(f, x0, vectorized=True).history["x"], runs["grid_fit"])
    floor = shipped.minimize(f, x0, vectorized=True, metric="grid_fit_floor").history["x"]
    np.testing.assert_array_equal(shipped.minimize(f, x0, vectorized=True).history["x"], floor)
    older = RoverDescent.pretrained("agents/pretrained/rover_square_grid.pt")
    assert older.policy.metric[0] == "none"
    assert not np.array_equal(runs["none"], runs["grid_fit"])


def test_pretrained_settings_choose_between_the_shipped_and_the_trained_shape_and_rule():
    from agents.rover import SHIPPED_BOUNDARY, SHIPPED_METRIC, default_bounded_policy_path

    trained = RoverDescent.pretrained(settings="trained")
    assert trained.policy.metric[0] == trained.bounded_policy.metric[0] == "grid_fit"
    assert trained.bounded_policy.boundary == "clip"
    one = RoverDescent.pretrained(default_bounded_policy_path(), settings="shipped")
    assert (one.policy.metric[0], one.policy.boundary) == (SHIPPED_METRIC, SHIPPED_BOUNDARY)
    assert one.bounded_policy is None  # one policy for every problem, bounded ones included
    with pytest.raises(ValueError, match="unknown settings"):
        RoverDescent.pretrained(settings="tuned")


def test_rover_policy_override_runs_its_own_grid_shape(monkeypatch):
    monkeypatch.setenv("ROVER_POLICY", str(default_policy_path()))
    assert RoverDescent.pretrained().policy.metric[0] == "grid_fit"


def test_grid_distance_is_the_distance_in_the_grids_coordinates():
    """info["grid_distance"] = |A^-1 (theta - x*)|: the Euclidean distance on the square grid, and on
    an adapted grid the length that alpha and delta are measured in (what the warm-start teacher reads)."""
    for name in ("none", "grid_fit"):
        env = gym.make("RoverLandscape-v0", family="ill_conditioned", metric=name, direction="quadratic_fit")
        _, info = env.reset(seed=3)
        assert info["grid_distance"] == info["distance"]  # the shape starts as the identity
        for _ in range(5):
            _, _, _, _, info = env.step(np.array([0.0, 0.0], dtype=np.float32))
        engine = env.unwrapped._engine
        offset = info["theta"] - engine.x_star[0]
        shape = np.eye(2) if engine.shape is None else engine.shape[0]
        assert info["grid_distance"] == pytest.approx(np.linalg.norm(np.linalg.solve(shape, offset)))
        assert (info["grid_distance"] == info["distance"]) == (name == "none")


def test_the_floors_fit_quality_test_gates_only_the_fits_that_need_the_floor():
    """min_r2 with grid_fit_floor: a clean ill-conditioned bowl (both curvatures significant)
    updates whatever min_r2, a floored fit only when the quadratic explains enough of the grid."""
    o = np.arange(7) - 3.0
    u, v = np.meshgrid(o, o, indexing="ij")
    clean = 4.0 * u**2 + 0.5 * v**2
    distorted = np.exp(0.3 * np.floor(np.log(1e3 * (u - 0.3) ** 2 + 1e-2 * (v + 0.2) ** 2) / 0.3))
    assert metric.fitted_hessians(np.stack([clean, distorted]))[1].tolist() == [True, False]  # grid_fit
    _, ok = metric.fitted_hessians(np.stack([clean, distorted]), min_r2=0.0, floor=True)
    assert ok.tolist() == [True, True]
    _, ok = metric.fitted_hessians(np.stack([clean, distorted]), min_r2=1.0, floor=True)
    assert ok.tolist() == [True, False]
