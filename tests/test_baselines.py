"""The baselines share SciPy's API, count every evaluation and respect budgets and bounds."""

import numpy as np
import pytest
from scipy.optimize import OptimizeResult

from agents.baselines import BASELINES, DEFAULTS, TUNING_GRIDS, get, tune
from agents.baselines.tuning import grid_points
from rover_envs.landscapes import make

ROSEN = make("rosenbrock")


class Counter:
    def __init__(self, f):
        self.f, self.calls = f, 0

    def __call__(self, x):
        self.calls += 1
        return float(self.f(x))


@pytest.mark.parametrize("name", list(BASELINES))
def test_api_counts_and_progress_on_rosenbrock(name):
    fun = Counter(ROSEN)
    res = BASELINES[name](fun, [-1.2, 1.0], max_iter=150, bounds=ROSEN.bounds, seed=0)
    assert isinstance(res, OptimizeResult)
    for key in ("x", "fun", "nit", "nfev", "success", "message", "history"):
        assert key in res
    assert res.nfev == fun.calls  # finite differences and simplex points included
    assert res.fun < 24.2 / 4  # progress from f(x0) = 24.2
    assert res.history["x"].shape == (res.nit + 1, 2)
    assert res.history["fun"][0] == pytest.approx(24.2)
    assert np.all(np.diff(res.history["nfev"]) >= 0) and res.history["nfev"][-1] <= res.nfev


@pytest.mark.parametrize("name", list(BASELINES))
def test_max_evals_is_never_exceeded(name):
    fun = Counter(ROSEN)
    res = BASELINES[name](fun, [-1.2, 1.0], max_iter=10_000, max_evals=37, seed=1, bounds=ROSEN.bounds)
    assert fun.calls <= 37 and res.nfev == fun.calls
    assert "budget" in res.message


@pytest.mark.parametrize("name", list(BASELINES))
def test_vectorized_and_bounds(name):
    calls = []

    def batch_fun(x):
        calls.append(x.shape)
        assert np.all(x >= -0.5) and np.all(x <= 0.5)
        return np.sum((x - 2.0) ** 2, axis=-1)

    res = BASELINES[name](
        batch_fun, [0.0, 0.0], vectorized=True, bounds=[[-0.5, 0.5]] * 2, max_iter=50, seed=0
    )
    assert all(len(s) == 2 and s[-1] == 2 for s in calls)
    assert np.all(np.abs(res.x) <= 0.5)
    assert res.fun < 8.0  # moved from f(0, 0) = 8 towards the corner (0.5, 0.5)


@pytest.mark.parametrize("name", list(BASELINES))
def test_landscape_derivatives_are_used(name):
    res = BASELINES[name](ROSEN, [-1.2, 1.0], max_iter=20, seed=0)
    if name in ("gd", "nesterov", "adam", "newton"):
        assert res.nfev == res.nit + 1  # one evaluation per iterate, analytic derivatives
        assert res.njev >= res.nit


def test_newton_solves_a_quadratic_in_one_step():
    q = make("quadratic", rng=0)
    res = BASELINES["newton"](q, [3.0, -2.0], max_iter=5)
    np.testing.assert_allclose(res.x, q.minimum[0], atol=1e-8)


def test_seeded_cma_is_reproducible():
    a = BASELINES["cma_es"](ROSEN, [-1.2, 1.0], max_iter=20, seed=3)
    b = BASELINES["cma_es"](ROSEN, [-1.2, 1.0], max_iter=20, seed=3)
    np.testing.assert_array_equal(a.history["x"], b.history["x"])


def test_callback_can_stop():
    seen = []

    def cb(intermediate_result):
        seen.append(intermediate_result.nit)
        return intermediate_result.nit >= 3

    res = BASELINES["gd"](ROSEN, [-1.2, 1.0], max_iter=100, callback=cb)
    assert res.nit == 3 and seen == [1, 2, 3] and res.message == "stopped by callback"


def test_errors_are_clear():
    with pytest.raises(ValueError, match="valid: gd, nesterov"):
        get("sgd")
    with pytest.raises(ValueError, match="unknown option"):
        BASELINES["gd"](ROSEN, [0.0, 0.0], learning_rate=0.1)
    with pytest.raises(ValueError, match="finite values"):
        BASELINES["nelder_mead"](lambda x: np.nan, [0.0, 0.0])
    with pytest.raises(ValueError, match="bounds"):
        BASELINES["gd"](ROSEN, [0.0, 0.0], bounds=[[1, 0], [0, 1]])
    with pytest.raises(ValueError, match="x0"):
        BASELINES["gd"](ROSEN, [np.inf, 0.0])


def test_defaults_and_grids_cover_every_baseline():
    assert set(DEFAULTS) == set(TUNING_GRIDS) == set(BASELINES)
    for name, grid in TUNING_GRIDS.items():
        for point in grid_points(grid):
            assert set(point) <= set(DEFAULTS[name]) | {"momentum", "damping"}


def test_tune_picks_the_best_grid_point():
    problems = [(ROSEN, np.array([-1.2, 1.0]) + d, 0.0) for d in (0.0, 0.05)]
    hyper, score = tune("gd", problems, grid={"lr": [1e-6, 1e-3]}, max_iter=50, bounds=ROSEN.bounds)
    assert hyper == {"lr": 1e-3} and score < 24
