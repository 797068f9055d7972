"""Contract tests over every registered id and every family x reward variant."""

import pickle
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import rover_envs
from rover_envs.landscapes import NAMES
from rover_envs.landscapes.analytic import AnalyticLandscape
from rover_envs.rewards import REWARDS

FAMILIES = list(NAMES)
COMBOS = [(f, r) for f in FAMILIES for r in REWARDS]


@pytest.mark.parametrize("env_id", rover_envs.ENV_IDS)
def test_every_registered_id_passes_checkers(env_id):
    env = gym.make(env_id)
    check_env(env.unwrapped, skip_render_check=True)
    env.close()


@pytest.mark.parametrize(("family", "reward"), COMBOS)
def test_family_reward_passes_gymnasium_and_sb3_checkers(family, reward):
    env = gym.make("RoverLandscape-v0", family=family, reward=reward)
    check_env(env.unwrapped, skip_render_check=True)
    sb3_check_env(env.unwrapped, warn=False)


def _episode(env, seed, actions):
    obs, info = env.reset(seed=seed)
    out = [(obs, 0.0, info["f"])]
    for a in actions:
        obs, r, term, trunc, info = env.step(a)
        out.append((obs, r, info["f"]))
        if term or trunc:
            break
    return out


@pytest.mark.parametrize(
    ("family", "reward"), [("all", "running_mean"), ("saddle", "final"), ("ackley", "raw")]
)
@pytest.mark.parametrize("noise", [0.0, 0.2])
def test_same_seed_identical_episode(family, reward, noise):
    actions = np.random.default_rng(0).uniform(-0.5, 1.0, size=(30, 2))
    a = _episode(gym.make("RoverLandscape-v0", family=family, reward=reward, noise=noise), 3, actions)
    b = _episode(gym.make("RoverLandscape-v0", family=family, reward=reward, noise=noise), 3, actions)
    c = _episode(gym.make("RoverLandscape-v0", family=family, reward=reward, noise=noise), 4, actions)
    assert len(a) == len(b) == 31
    for (oa, ra, fa), (ob, rb, fb) in zip(a, b):
        np.testing.assert_array_equal(oa, ob)
        assert ra == rb and fa == fb
    assert any(not np.array_equal(x[0], y[0]) for x, y in zip(a, c))


def test_pickling_round_trip_continues_identically():
    env = gym.make("RoverLandscape-v0", noise=0.1)
    env.reset(seed=1)
    env.step(np.array([0.2, -0.1]))
    clone = pickle.loads(pickle.dumps(env))
    for _ in range(5):
        a = np.array([0.1, 0.3])
        o1, r1, *_ = env.step(a)
        o2, r2, *_ = clone.step(a)
        np.testing.assert_array_equal(o1, o2)
        assert r1 == r2


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"family": "bowl"}, "valid: all, quadratic, valley"),
        ({"reward": "dense"}, "valid: running_mean, normalized, raw, final, log_best"),
        ({"direction": "north"}, "valid: angle_net, quadratic_fit, gradient, newton, best_teacher, agent"),
        ({"grid_size": 1}, "grid_size"),
        ({"noise": -1.0}, "noise"),
        ({"noise_unit": "db"}, "valid: amplitude, kernel"),
        ({"guard": "edge"}, "unknown guard .edge.; valid: none, border"),
        ({"family": "ackley", "noise_unit": "kernel"}, "is an analytic function"),
        ({"colour": "red"}, "valid: family"),
        ({"step_size_range": (0.5, 0.1)}, "step_size_range"),
        ({"noise": "0.1"}, "noise must be a finite number"),
        ({"noise": None}, "noise must be a finite number"),
        ({"noise": np.nan}, "noise must be a finite number"),
        ({"step_size_range": 0.1}, "step_size_range must be a pair"),
        ({"step_size_range": (0.1,)}, "step_size_range must be a pair"),
        ({"step_size_range": (0.1, np.inf)}, r"step_size_range must be \(lo, hi\) with 0 < lo <= hi < inf"),
        ({"resolution_range": ("a", 1.0)}, "resolution_range must be a pair"),
        ({"reward_clip": 0}, "reward_clip must be a number > 0"),
        ({"horizon": 0}, "horizon must be an integer >= 1"),
        ({"horizon": 2.5}, "horizon must be an integer"),
        ({"grid_size": True}, "grid_size must be an integer"),
        ({"family": 3}, "unknown family 3"),
        ({"horizon": 5, "max_episode_steps": 10}, "horizon=5 and max_episode_steps=10 disagree"),
    ],
)
def test_bad_keywords_raise_value_error_naming_choices(kwargs, match):
    with pytest.raises(ValueError, match=match):
        gym.make("RoverLandscape-v0", **kwargs)
    with pytest.raises(ValueError, match=match):
        gym.make_vec("RoverLandscape-v0", num_envs=2, vectorization_mode="vector_entry_point", **kwargs)


def test_vector_env_does_not_render():
    with pytest.raises(ValueError, match="single env"):
        gym.make_vec(
            "RoverLandscape-v0", num_envs=2, vectorization_mode="vector_entry_point", render_mode="rgb_array"
        )


def test_info_contents_and_spaces():
    env = gym.make("RoverLandscape-v0", grid_size=5, direction="gradient")
    _, info = env.reset(seed=0)
    assert env.observation_space.shape == (1, 5, 5) and env.observation_space.dtype == np.float32
    np.testing.assert_array_equal(env.action_space.low, [-0.5, -0.5])
    np.testing.assert_array_equal(env.action_space.high, [1.0, 1.0])
    for key in ("f", "regret", "theta", "step_size", "resolution", "n_evals", "f_star"):
        assert key in info
    assert info["n_evals"] == 25 and info["regret"] > 0
    _obs, r, _term, _trunc, info = env.step(np.array([1.0, -0.5]))
    assert info["n_evals"] == 50
    assert set(info["rewards"]) == set(REWARDS)
    assert info["rewards"]["running_mean"] == r
    land = env.unwrapped.landscape
    assert land(info["theta"]) == info["f"]
    assert np.isclose(info["regret"], info["f"] - land.minimum[1])


def test_transition_is_eq4():
    env = gym.make("RoverLandscape-v0", family="quadratic", direction="gradient")
    _, info0 = env.reset(seed=5)
    land = env.unwrapped.landscape
    g = land.grad(info0["theta"])
    _, _, _, _, info1 = env.step(np.array([0.5, -0.25]))
    expected = info0["theta"] - info0["step_size"] * g / np.linalg.norm(g)
    np.testing.assert_allclose(info1["theta"], expected)
    assert np.isclose(info1["step_size"], info0["step_size"] * 1.5)
    assert np.isclose(info1["resolution"], info0["resolution"] * 0.75)


def _run_episode(env, action=None):
    """Step with a zero action (or ``action``) until the episode ends: rewards, last info."""
    env.reset(seed=0)
    rewards = []
    while True:
        _, r, term, trunc, info = env.step(np.zeros(env.action_space.shape) if action is None else action)
        rewards.append(r)
        assert not term
        if trunc:
            return rewards, info


def test_horizon_truncates_and_final_reward_is_sparse():
    env = gym.make("RoverLandscape-v0", reward="final")
    assert env.spec.max_episode_steps == 30
    rewards, info = _run_episode(env)
    assert len(rewards) == 30
    assert all(r == 0 for r in rewards[:-1]) and rewards[-1] == -info["f"]


def test_log_best_returns_add_up_to_the_decades_the_best_value_gained():
    env = gym.make("RoverLandscape-v0", family="valley", reward="log_best", move="best_sample")
    _, info0 = env.reset(seed=3)
    rewards, best = [], info0["regret"]
    for _ in range(30):
        _, r, term, trunc, info = env.step(np.array([-0.5, -0.5]))  # halve alpha and delta
        rewards.append(r)
        best = min(best, info["regret"])
        if term or trunc:
            break
    assert min(rewards) >= 0 and max(rewards) > 0  # the best never gets worse; some steps gain
    expected = np.log10(info0["regret"] / max(best, 1e-16 * info0["regret"]))
    assert np.isclose(sum(rewards), expected, rtol=1e-9) and expected > 0


@pytest.mark.parametrize(
    ("kwargs", "steps"),
    [
        ({"horizon": 50}, 50),
        ({"max_episode_steps": 10}, 10),
        ({"horizon": 7, "max_episode_steps": 7}, 7),
        ({"max_episode_steps": -1}, 30),
    ],
)
def test_horizon_and_gymnasium_time_limit_agree(kwargs, steps):
    """Whichever of ``horizon`` and ``max_episode_steps`` the user sets is the episode length,
    and the sparse reward pays on the step that truncates."""
    env = gym.make("RoverLandscape-v0", reward="final", direction="gradient", **kwargs)
    rewards, info = _run_episode(env)
    assert len(rewards) == steps == env.unwrapped.config.horizon == info["t"]
    assert all(r == 0 for r in rewards[:-1]) and rewards[-1] == -info["f"] != 0
    assert env.spec.max_episode_steps in (steps, None if kwargs.get("max_episode_steps") == -1 else steps)


def test_vector_envs_take_the_horizon_from_either_argument():
    def vec(mode, **kw):
        return gym.make_vec(
            "RoverLandscape-v0", num_envs=2, vectorization_mode=mode, direction="gradient", **kw
        )

    assert vec("vector_entry_point", horizon=10).config.horizon == 10
    assert vec("vector_entry_point", max_episode_steps=7).config.horizon == 7
    assert vec("vector_entry_point").config.horizon == 30
    sync = vec("sync", max_episode_steps=6)
    assert sync.envs[0].unwrapped.config.horizon == 6
    sync.reset(seed=0)
    for t in range(6):
        _, _, _, trunc, _ = sync.step(np.zeros((2, 2)))
        assert trunc.all() == (t == 5)
    with pytest.raises(ValueError, match="disagree"):
        vec("vector_entry_point", horizon=10, max_episode_steps=7)


def test_agent_direction_moves_where_told():
    env = gym.make("RoverLandscape-v0", direction="agent")
    assert env.action_space.shape == (4,)
    np.testing.assert_array_equal(env.action_space.low, [-0.5, -0.5, -1.0, -1.0])
    _, info0 = env.reset(seed=0)
    _, _, _, _, info1 = env.step(np.array([0.0, 0.0, 0.0, 1.0]))
    np.testing.assert_allclose(info1["theta"] - info0["theta"], [0.0, info0["step_size"]])
    # each entry is clipped to its own bound: the direction's to [-1, 1], not the step size's box
    _, _, _, _, info2 = env.step(np.array([0.0, 0.0, -1.0, -0.2]))
    expected = np.array([-1.0, -0.2]) / np.hypot(1.0, 0.2)
    np.testing.assert_allclose((info2["theta"] - info1["theta"]) / info1["step_size"], expected)
    _, _, _, _, info3 = env.step(np.array([5.0, -5.0, -3.0, 0.0]))  # out of the box: clipped
    np.testing.assert_allclose(info3["theta"] - info2["theta"], [-info2["step_size"], 0.0])
    assert info3["step_size"] == 2 * info2["step_size"] and info3["resolution"] == 0.5 * info2["resolution"]


class _Hole(AnalyticLandscape):
    """A bowl that returns NaN beyond radius 3 (a broken user function)."""

    name = "hole"
    domain = (-100.0, 100.0)
    x_star_1d = 0.0

    def _f(self, x):
        r = np.sum(x**2, axis=-1)
        return np.where(r > 9.0, np.nan, r)

    def _g(self, x):
        return 2 * x

    def _h(self, x):
        return np.broadcast_to(2 * np.eye(2), (*x.shape, 2))


def test_nonfinite_samples_on_the_grid_are_its_worst_values_and_the_episode_goes_on():
    env = gym.make("RoverLandscape-v0", direction="agent")
    options = {"landscape": _Hole(), "theta": [2.0, 0.0], "step_size": 0.5, "resolution": 0.5}
    obs, info = env.reset(seed=0, options=options)
    points = np.array([[2.0 + 0.5 * (i - 3), 0.5 * (j - 3)] for i in range(7) for j in range(7)])
    undefined = (np.sum(points**2, axis=1) > 9.0).reshape(7, 7)
    assert undefined.any() and not undefined.all()
    np.testing.assert_array_equal(obs[0][undefined], 1.0)  # the worst value of the grid
    assert obs[0][~undefined].min() == 0.0 and obs[0][~undefined].max() == 1.0  # finite ones set the scale
    obs, _, term, _, info = env.step(np.array([0.0, 0.0, -1.0, 0.0]))  # towards the defined side
    assert not term and not info["nonfinite"] and np.all(np.isfinite(obs))


def test_nonfinite_value_at_the_iterate_ends_episode_with_flag_and_finite_obs():
    env = gym.make("RoverLandscape-v0", direction="agent")
    obs, _ = env.reset(
        seed=0,
        options={"landscape": _Hole(), "theta": [1.0, 0.0], "step_size": 5.0, "resolution": 0.1},
    )
    obs2, r, term, _trunc, info = env.step(np.array([0.0, 0.0, 1.0, 0.0]))
    assert term and info["nonfinite"] and not info["diverged"]
    assert np.all(np.isfinite(obs2)) and np.array_equal(obs, obs2)
    assert r == -env.unwrapped.config.reward_clip


def test_diverging_iterate_ends_episode():
    env = gym.make("RoverLandscape-v0", family="quadratic", direction="agent")
    _, info = env.reset(seed=0, options={"step_size": 1e9})
    _, _, term, _, info = env.step(np.array([0.0, 0.0, 1.0, 0.0]))
    assert term and info["diverged"]


def test_nan_at_the_initial_iterate_is_a_clear_error():
    env = gym.make("RoverLandscape-v0")
    with pytest.raises(ValueError, match=r"NaN or inf at the initial iterate \[4.0, 0.0\]"):
        env.reset(seed=0, options={"landscape": _Hole(), "theta": [4.0, 0.0], "resolution": 1.0})
    env.reset(seed=0, options={"landscape": _Hole(), "theta": [2.9, 0.0], "resolution": 1.0})  # grid only
    with pytest.raises(ValueError, match="valid: landscape, theta"):
        env.reset(options={"start": 1})


def test_render_rgb_array():
    env = gym.make("RoverLandscape-v0", render_mode="rgb_array")
    env.reset(seed=0)
    env.step(np.zeros(2))
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.shape == (400, 400, 3)
    assert frame.std() > 0


def test_make_with_module_prefix_needs_no_import():
    code = (
        "import gymnasium as gym; e = gym.make('rover_envs:RoverLandscape-v0'); "
        "print(e.reset(seed=0)[0].shape)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "(1, 7, 7)"


def test_registration_is_idempotent():
    before = set(gym.registry)
    rover_envs.register_envs()
    assert set(gym.registry) == before


def test_info_reports_the_distance_to_the_minimiser():
    env = gym.make("rover_envs:RoverLandscape-v0", family="quadratic", direction="gradient")
    _, info = env.reset(seed=0)
    x_star = env.unwrapped.landscape.minimum[0]
    assert info["distance"] == pytest.approx(np.linalg.norm(info["theta"] - x_star))
    _, _, _, _, info = env.step(env.action_space.sample())
    assert info["distance"] == pytest.approx(np.linalg.norm(info["theta"] - x_star))
