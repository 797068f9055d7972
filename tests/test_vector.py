"""The native vector env equals N single envs and follows Gymnasium's autoreset rules."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import rover_envs  # noqa: F401


def _vec(n, **kw):
    return gym.make_vec("RoverLandscape-v0", num_envs=n, vectorization_mode="vector_entry_point", **kw)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"direction": "best_teacher"},
        {"noise": 0.2, "reward": "normalized", "direction": "gradient"},
        {"family": "rosenbrock", "noise": 0.1, "direction": "best_teacher"},
        {"family": "saddle", "direction": "newton"},
        {"direction": "agent", "reward": "final"},
    ],
)
def test_vector_equals_single_envs(kwargs):
    n = 4
    venv = _vec(n, **kwargs)
    envs = [gym.make("RoverLandscape-v0", **kwargs) for _ in range(n)]
    obs, info = venv.reset(seed=10)
    single = [e.reset(seed=10 + i) for i, e in enumerate(envs)]
    np.testing.assert_array_equal(obs, np.stack([o for o, _ in single]))
    np.testing.assert_array_equal(info["f"], [i["f"] for _, i in single])
    rng = np.random.default_rng(0)
    done = np.zeros(n, bool)
    for _ in range(75):
        actions = venv.action_space.sample() if rng.random() < 0.5 else np.zeros(venv.action_space.shape)
        obs, rew, term, trunc, info = venv.step(actions)
        for i, e in enumerate(envs):
            if done[i]:  # NEXT_STEP autoreset: this step resets, reward 0
                o, inf = e.reset()
                r, d = 0.0, False
            else:
                o, r, t, tr, inf = e.step(actions[i])
                d = t or tr
                assert term[i] == t and trunc[i] == tr
            np.testing.assert_array_equal(obs[i], o)
            assert rew[i] == r
            np.testing.assert_array_equal(info["theta"][i], inf["theta"])
            done[i] = d


def test_vector_env_spaces_metadata_and_horizon():
    venv = _vec(3)
    assert venv.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    assert venv.observation_space.shape == (3, 1, 7, 7)
    assert venv.action_space.shape == (3, 2)
    venv.reset(seed=0)
    for _t in range(30):
        _, _, term, trunc, info = venv.step(np.zeros((3, 2)))
    assert trunc.all() and not term.any()
    assert info["_f"].all()
    _obs, rew, term, trunc, info = venv.step(np.zeros((3, 2)))
    assert (info["t"] == 0).all() and (rew == 0).all()
    short = _vec(2, max_episode_steps=5)
    short.reset(seed=0)
    for _ in range(5):
        _, _, _, trunc, _ = short.step(np.zeros((2, 2)))
    assert trunc.all()


def test_vector_env_rejects_bad_input():
    venv = _vec(2)
    with pytest.raises(RuntimeError, match="reset"):
        venv.step(np.zeros((2, 2)))
    venv.reset(seed=0)
    with pytest.raises(ValueError, match="shape"):
        venv.step(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="num_envs"):
        _vec(0)
