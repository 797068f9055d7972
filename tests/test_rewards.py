"""Reward variants (eqs. 5-7) as pure functions, with property tests."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rover_envs.rewards import REWARDS, RewardInputs, reward_parts, running_mean_of


def _inputs(f, f_star=0.0, f0=1.0, f_mean=1.0, last=False, clip=np.inf):
    a = lambda v: np.atleast_1d(np.asarray(v, dtype=float))  # noqa: E731
    return RewardInputs(a(f), a(f_star), a(f0), a(f_mean), np.atleast_1d(last), clip)


def test_formulas():
    r = reward_parts(_inputs(f=3.0, f_star=1.0, f0=5.0, f_mean=2.0, last=False))
    assert r["raw"][0] == -3.0
    assert r["normalized"][0] == -0.5  # (3-1)/(5-1)
    assert r["running_mean"][0] == -2.0  # (3-1)/(2-1)
    assert r["final"][0] == 0.0
    assert reward_parts(_inputs(f=3.0, last=True))["final"][0] == -3.0


def test_log_best_counts_the_decades_the_best_value_gains():
    def log_best(f, best, f0=10.0, f_star=0.0):
        a = lambda v: np.atleast_1d(np.asarray(v, dtype=float))  # noqa: E731
        return REWARDS["log_best"](
            RewardInputs(a(f), a(f_star), a(f0), a(f0), np.array([False]), 10.0, a(best))
        )[0]

    assert np.isclose(log_best(f=0.01, best=1.0), 2.0)  # 1 -> 0.01: two decades
    assert log_best(f=5.0, best=1.0) == 0.0  # worse than the best so far: nothing gained, nothing lost
    assert np.isclose(log_best(f=0.0, best=1e-3), 12.0)  # floored at 1e-16 of the start's regret, 1e-15
    assert np.isclose(log_best(f=3.0, best=5.0, f0=12.0, f_star=2.0), np.log10(3.0))  # regrets 3 -> 1
    with pytest.raises(ValueError, match="best value"):
        REWARDS["log_best"](_inputs(f=1.0))


def test_zero_regret_start_does_not_divide_by_zero():
    r = reward_parts(_inputs(f=1.0, f_star=1.0, f0=1.0, f_mean=1.0, clip=10.0))
    assert r["normalized"][0] == 0 and r["running_mean"][0] == 0
    r = reward_parts(_inputs(f=2.0, f_star=1.0, f0=1.0, f_mean=1.0, clip=10.0))
    assert r["normalized"][0] == -10.0 and r["running_mean"][0] == -10.0


@given(
    st.floats(-1e3, 1e3), st.floats(0, 1e3), st.floats(1e-3, 1e3), st.floats(1e-3, 1e3), st.floats(1e-3, 1e3)
)
@settings(max_examples=200, deadline=None)
def test_normalised_rewards_are_scale_and_shift_invariant(f_star, regret, r0, rmean, scale):
    a = _inputs(f_star + regret, f_star, f_star + r0, f_star + rmean)
    b = _inputs(
        scale * (f_star + regret) + 7.0,
        scale * f_star + 7.0,
        scale * (f_star + r0) + 7.0,
        scale * (f_star + rmean) + 7.0,
    )
    for name in ("normalized", "running_mean"):
        np.testing.assert_allclose(REWARDS[name](a), REWARDS[name](b), rtol=1e-6, atol=1e-9)
        assert REWARDS[name](a)[0] <= 0
    a, b = a._replace(best=a.f_mean), b._replace(best=b.f_mean)  # the best so far: f_mean's value
    if scale * regret > 1e-6:  # below, shifting by 7 rounds the regret itself away
        np.testing.assert_allclose(REWARDS["log_best"](a), REWARDS["log_best"](b), rtol=1e-6, atol=1e-6)
    assert REWARDS["log_best"](a)[0] >= 0 and REWARDS["log_best"](b)[0] >= 0


@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=12), st.integers(1, 6))
@settings(max_examples=200, deadline=None)
def test_running_mean_of_ring_buffer(values, k):
    hist, count = np.zeros((1, k)), np.zeros(1, dtype=int)
    for v in values:
        hist[0, count[0] % k] = v
        count += 1
    np.testing.assert_allclose(running_mean_of(hist, count)[0], np.mean(values[-k:]), rtol=1e-9, atol=1e-9)
