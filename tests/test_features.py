"""History features: their values on known grids, their invariances, and the env's Dict observation."""

import gymnasium as gym
import numpy as np
import pytest

import rover_envs  # noqa: F401
from agents.rdpg.warmstart import WarmStartConfig, success_rule_actions
from rover_envs.features import FEATURE_NAMES, HistoryFeatures, grid_statistics
from rover_envs.grid import grid_points

GRID = grid_points(np.zeros(2), 1.0, 7)  # (7, 7, 2), spacing 1


def _index(name: str) -> int:
    return FEATURE_NAMES.index(name)


def test_growth_tells_a_minimum_from_a_slope_from_ripples():
    x, y = GRID[..., 0], GRID[..., 1]
    bowl, slope = x**2 + y**2, 2.0 * x + y
    ripples = np.cos(np.pi * x) * np.cos(np.pi * y)  # period 2 spacings: the inner 3x3 spans it all
    span, border, growth = grid_statistics(np.stack([bowl, slope, ripples]))
    np.testing.assert_allclose(growth, [1.0, 0.5, 0.0], atol=1e-12)
    np.testing.assert_array_equal(border[:2], [0.0, 1.0])  # (the ripples have tied minima)
    np.testing.assert_allclose(span, [18.0, 18.0, 2.0])


def test_features_are_invariant_to_affine_values_and_joint_scaling():
    rng = np.random.default_rng(0)
    grids = rng.normal(size=(4, 7, 7))
    steps = [rng.normal(size=(4, 7, 7)) for _ in range(3)]
    out = []
    for a, b, s in ((1.0, 0.0, 1.0), (1e4, -3.0, 1e-6)):
        h = HistoryFeatures(4, horizon=10)
        h.reset(np.arange(4), a * grids + b, s * np.full(4, 2.0), s * np.full(4, 0.5))
        for t, g in enumerate(steps, 1):
            h.update(
                np.arange(4), a * g + b, None, np.full(4, t), s * np.full(4, 2.0**t), s * np.full(4, 0.5)
            )
        out.append(h.values.copy())
    np.testing.assert_allclose(out[0], out[1], atol=1e-6)
    assert np.all(np.abs(out[0]) <= 10)


def test_success_tracking_and_nonfinite_samples():
    h = HistoryFeatures(2, horizon=4)
    g = np.zeros((2, 7, 7))
    g[:, 3, 3] = 1.0
    h.reset([0, 1], g, np.ones(2), np.ones(2))
    assert np.all(h.values[:, _index("progress")] == 0) and np.all(h.values[:, _index("step_accepted")] == 0)
    lower, nan = g.copy(), g.copy()
    lower[:, 3, 3] = 0.5
    nan[1, 0, 0] = np.nan
    h.update(
        [0, 1],
        np.stack([lower[0], nan[1]]),
        np.array([False, True]),
        np.array([1, 1]),
        np.ones(2),
        np.ones(2),
    )
    np.testing.assert_array_equal(h.values[:, _index("step_accepted")], [0.0, 1.0])  # the rule's flag
    np.testing.assert_array_equal(h.values[:, _index("improved")], [1.0, 0.0])  # the centre's value
    np.testing.assert_allclose(h.values[:, _index("success_rate")], [0.0, 0.2])
    np.testing.assert_allclose(h.values[:, _index("progress")], [0.25, 0.25])
    assert np.all(np.isfinite(h.values))


def test_env_observes_a_dict_that_the_vector_env_batches_alike():
    kwargs = {"family": "all", "features": True, "move": "best_sample", "direction": "gradient"}
    env = gym.make("RoverLandscape-v0", **kwargs)
    venv = gym.make_vec("RoverLandscape-v0", num_envs=2, vectorization_mode="vector_entry_point", **kwargs)
    obs, _ = env.reset(seed=4)
    vobs, _ = venv.reset(seed=4)
    assert env.observation_space.contains(obs) and set(obs) == {"grid", "features"}
    action = np.array([0.3, -0.2])
    for _ in range(5):
        obs, *_ = env.step(action)
        vobs, *_ = venv.step(np.stack([action, action]))
        np.testing.assert_array_equal(obs["features"], vobs["features"][0])
        np.testing.assert_array_equal(obs["grid"], vobs["grid"][0])
    with pytest.raises(ValueError, match="grid_size must be odd"):
        gym.make("RoverLandscape-v0", features=True, grid_size=6, direction="gradient")


def test_success_rule_teacher_is_the_grid_controllers_rule():
    cfg = WarmStartConfig(teacher="success_rule")
    feats = np.zeros((3, len(FEATURE_NAMES)))
    feats[1:, _index("progress")] = 0.1
    feats[1, _index("step_accepted")] = 1.0
    alpha, delta = np.array([1.0, 1.0, 1.0]), np.array([1.0, 0.0625, 0.0625])
    actions = success_rule_actions(
        feats, alpha, delta, cfg.success_grow, cfg.success_shrink, cfg.success_ratio
    )
    new_alpha = alpha * (1 + actions[:, 0])
    np.testing.assert_allclose(new_alpha, [1.0, 2.0, 0.5])  # first step: hold; then grow / shrink
    np.testing.assert_allclose((delta * (1 + actions[:, 1]))[1:], 0.0625 * new_alpha[1:])
    with pytest.raises(ValueError, match="history features"):
        success_rule_actions(np.zeros((3, 0)), alpha, delta, 2.0, 0.5, 0.0625)
    # coarse to fine: delta / alpha moves geometrically from 1.5 to 1/16 with t / T
    feats[:, _index("progress")] = [0.0, 0.5, 1.0]
    targets = np.array([1.5 * 1.0, np.sqrt(1.5 * 0.0625) * 2.0, 0.0625 * 0.5])  # ratio x new alpha
    actions = success_rule_actions(feats, alpha, targets, 2.0, 0.5, 1.5, 0.0625)
    np.testing.assert_allclose(actions, [[0.0, 0.0], [1.0, 0.0], [-0.5, 0.0]], atol=1e-12)
    # reaching the fine end at mid-episode: t / T = 0.25 is halfway, 0.5 and later the end
    feats[:, _index("progress")] = [0.25, 0.5, 0.9]
    targets[0] = np.sqrt(1.5 * 0.0625) * 0.5  # its step was not accepted: alpha halves
    targets[1:] = 0.0625 * np.array([2.0, 0.5])
    actions = success_rule_actions(feats, alpha, targets, 2.0, 0.5, 1.5, 0.0625, 0.5)
    np.testing.assert_allclose(actions[:, 1], 0.0, atol=1e-12)
    # switched on the state: fine where the grid grows quadratically (a smooth minimum), else coarse
    feats[:, _index("growth")] = [1.0, 0.5, 0.0]
    targets = np.array([0.0625 * 0.5, 1.5 * 2.0, 1.5 * 0.5])
    actions = success_rule_actions(feats, alpha, targets, 2.0, 0.5, 1.5, 0.0625, 1.0, 0.75)
    np.testing.assert_allclose(actions[:, 1], 0.0, atol=1e-12)
    with pytest.raises(ValueError, match="success_switch_growth"):
        WarmStartConfig(teacher="success_rule", success_switch_growth=0.75)
    with pytest.raises(ValueError, match="success_ratio_end"):
        WarmStartConfig(teacher="success_rule", success_ratio_end=0.0)
    with pytest.raises(ValueError, match="success_ratio_at"):
        WarmStartConfig(teacher="success_rule", success_ratio_end=0.1, success_ratio_at=0.0)
