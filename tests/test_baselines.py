"""The baselines share SciPy's API, count every evaluation and respect budgets and bounds."""

import numpy as np
import pytest
from scipy.optimize import OptimizeResult

from agents.baselines import BASELINES, DEFAULTS, TUNING_GRIDS, get, tune
from agents.baselines.tuning import grid_points, grid_search
from agents.objective import NonFiniteError
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


class CountingLandscape:
    """Rosenbrock with counted derivative calls."""

    def __init__(self):
        self.grads = self.hessians = 0

    def __call__(self, x):
        return ROSEN(x)

    def grad(self, x):
        self.grads += 1
        return ROSEN.grad(x)

    def hessian(self, x):
        self.hessians += 1
        return ROSEN.hessian(x)


@pytest.mark.parametrize("name", list(BASELINES))
def test_landscape_derivatives_are_used_by_derivative_methods_only(name):
    fun = CountingLandscape()
    res = BASELINES[name](fun, [-1.2, 1.0], max_iter=20, seed=0)
    if name in ("gd", "nesterov", "adam", "newton"):
        assert res.nfev == res.nit + 1  # one evaluation per iterate, analytic derivatives
        assert res.njev == fun.grads >= res.nit
        assert res.nhev == fun.hessians == (res.nit if name == "newton" else 0)
    else:
        assert fun.grads == fun.hessians == 0 and res.nfev > res.nit + 1


def test_newton_solves_a_quadratic_in_one_step():
    q = make("quadratic", rng=0)
    res = BASELINES["newton"](q, [3.0, -2.0], max_iter=5)
    np.testing.assert_allclose(res.x, q.minimum[0], atol=1e-8)


def test_seeded_cma_is_reproducible():
    a = BASELINES["cma_es"](ROSEN, [-1.2, 1.0], max_iter=20, seed=3)
    b = BASELINES["cma_es"](ROSEN, [-1.2, 1.0], max_iter=20, seed=3)
    np.testing.assert_array_equal(a.history["x"], b.history["x"])


def test_cma_ends_where_pycma_says_so():
    # A converged search must hand the remaining budget back (for a restart), not spend it all.
    def rippled(x):
        x = np.atleast_2d(x)
        return (x**2).sum(-1) + 2.0 * np.sin(3.0 * x).sum(-1) ** 2

    res = BASELINES["cma_es"](
        rippled, [3.0, -2.0], sigma0=0.2, bounds=[(-5, 5), (-5, 5)], max_iter=10**5, seed=1, vectorized=True
    )
    assert res.message.startswith("pycma stopped: ") and res.success
    assert res.nfev < 2000


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


def test_tune_rejects_unknown_hyper_parameters_instead_of_swallowing_them():
    problems = [(ROSEN, np.array([-1.2, 1.0]), 0.0)]
    with pytest.raises(
        ValueError, match=r"unknown hyper-parameter\(s\) \['learning_rate'\] for gd; valid: lr"
    ):
        tune("gd", problems, grid={"learning_rate": [1e-3]}, max_iter=5)


def test_tune_scores_diverging_grid_points_by_their_best_finite_point():
    problems = [(ROSEN, np.array([-1.2, 1.0]), 0.0)]
    hyper, score = tune("gd", problems, grid={"lr": [1e3, 1e-3]}, max_iter=30)
    assert hyper == {"lr": 1e-3} and score < 24.2


def test_grid_search_keeps_every_result_and_the_first_best():
    found = grid_search(lambda g: (g["a"] - 1) ** 2 + g["b"], {"a": [0, 1, 2], "b": [0, 1]})
    assert found.best == {"a": 1, "b": 0} and found.value == 0
    assert [p for p, _ in found.table] == grid_points({"a": [0, 1, 2], "b": [0, 1]}) and len(found.table) == 6
    assert grid_search(lambda g: 0, {"a": [3, 4]}).best == {"a": 3}  # ties: the first point
    with pytest.raises(ValueError, match="empty"):
        grid_search(lambda g: 0, {"a": []})


# -- SciPy parity --------------------------------------------------------------------------------------
def _bowl(x, shift=0.0):
    return float(np.sum((np.asarray(x) - shift) ** 2))


@pytest.mark.parametrize("name", list(BASELINES))
def test_success_means_convergence_not_running_out(name):
    res = BASELINES[name](ROSEN, [-1.2, 1.0], max_iter=1, seed=0)
    assert not res.success and "iterations" in res.message and res.status != 0
    res = BASELINES[name](ROSEN, [-1.2, 1.0], max_iter=10_000, max_evals=3, seed=0)
    assert not res.success and "budget" in res.message


@pytest.mark.parametrize(
    ("name", "hyper"),
    [("gd", {"lr": 0.25}), ("newton", {}), ("cma_es", {"sigma0": 0.3}), ("nelder_mead", {})],
)
def test_success_when_a_convergence_criterion_holds(name, hyper):
    res = BASELINES[name](_bowl, [1.0, -1.0], max_iter=5_000, seed=0, **hyper)
    assert res.success and res.status == 0 and res.fun < 1e-8, res.message


@pytest.mark.parametrize("name", list(BASELINES))
def test_extra_arguments_reach_fun(name):
    up = BASELINES[name](_bowl, [0.0, 0.0], args=(0.5,), max_iter=50, seed=0)
    down = BASELINES[name](_bowl, [0.0, 0.0], args=(-0.5,), max_iter=50, seed=0)
    assert np.all(up.x > 0) and np.all(down.x < 0) and up.fun < 0.5 and down.fun < 0.5
    single = BASELINES[name](_bowl, [0.0, 0.0], args=0.5, max_iter=50, seed=0)  # SciPy's rule
    np.testing.assert_array_equal(single.x, up.x)


@pytest.mark.parametrize("name", list(BASELINES))
@pytest.mark.parametrize("style", ["result", "x", "stop_iteration"])
def test_callbacks_follow_scipy(name, style):
    seen = []

    def new_style(intermediate_result):
        seen.append(intermediate_result.nit)
        return intermediate_result.nit >= 3

    def old_style(xk):
        seen.append(np.asarray(xk).shape)

    def raising(intermediate_result):
        seen.append(intermediate_result.nit)
        if intermediate_result.nit >= 2:
            raise StopIteration

    callback = {"result": new_style, "x": old_style, "stop_iteration": raising}[style]
    res = BASELINES[name](ROSEN, [-1.2, 1.0], max_iter=8, callback=callback, seed=0)
    if style == "x":
        assert len(seen) == res.nit > 0 and all(shape == (2,) for shape in seen)
    else:
        stop = 3 if style == "result" else 2
        assert seen == list(range(1, stop + 1)) and res.nit == stop and res.message == "stopped by callback"
        assert not res.success


@pytest.mark.parametrize("name", list(BASELINES))
def test_usable_as_a_scipy_custom_method(name):
    from scipy.optimize import Bounds, minimize

    seen = []
    res = minimize(
        ROSEN,
        [-1.2, 1.0],
        method=BASELINES[name],
        bounds=Bounds([-2, -1], [2, 3]),
        callback=lambda intermediate_result: seen.append(intermediate_result.nit),
        options={"maxiter": 40, "seed": 0, "vectorized": True},
    )
    assert isinstance(res, OptimizeResult) and 0 < res.nit == len(seen) <= 40 and res.fun < 24.2
    with pytest.raises(ValueError, match="not general constraints"):
        minimize(
            ROSEN, [-1.2, 1.0], method=BASELINES[name], constraints={"type": "ineq", "fun": lambda x: x[0]}
        )
    with pytest.raises(ValueError, match="the same option"):
        BASELINES[name](ROSEN, [-1.2, 1.0], maxiter=3, max_iter=4)


def test_scipy_tol_sets_the_convergence_criterion():
    from scipy.optimize import minimize

    loose = minimize(
        _bowl, [1.0, -1.0], method=BASELINES["gd"], tol=1e-2, options={"lr": 0.25, "maxiter": 999}
    )
    tight = minimize(
        _bowl, [1.0, -1.0], method=BASELINES["gd"], tol=1e-9, options={"lr": 0.25, "maxiter": 999}
    )
    assert loose.success and tight.success and loose.nit < tight.nit


def _log_bowl(x):
    """Defined for x[0] > 0 only (NaN beyond): minimum 0 at (1, 0)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.log(x[0]) ** 2 + x[1] ** 2)


@pytest.mark.parametrize("name", list(BASELINES))
def test_nan_ends_no_run_and_never_is_the_best_point(name):
    # gradient steps overshoot into x < 0; undamped Newton climbs the concave side towards x = inf
    hyper = (
        {"lr": 5.0} if name in ("gd", "nesterov", "adam") else {"damping": 1.0} if name == "newton" else {}
    )
    res = BASELINES[name](_log_bowl, [3.0, 0.0], max_iter=50, seed=0, **hyper)
    assert np.isfinite(res.fun) and res.fun <= _log_bowl([3.0, 0.0]) and res.x[0] > 0
    assert res.fun == pytest.approx(_log_bowl(res.x))
    with pytest.raises(NonFiniteError, match="no finite value"):
        BASELINES[name](lambda x: np.nan, [0.0, 0.0], max_iter=5, seed=0)


def test_a_gradient_method_stops_where_fun_is_undefined_and_says_so():
    res = BASELINES["gd"](_log_bowl, [3.0, 0.0], lr=5.0, max_iter=50)
    assert "not finite" in res.message and "best finite point" in res.message and not res.success
    # the first step lands at x < 0: the best point is x0 or a finite-difference point next to it
    assert res.nit == 0 and np.allclose(res.x, [3.0, 0.0], atol=1e-4) and res.fun <= _log_bowl([3.0, 0.0])


@pytest.mark.parametrize("name", list(BASELINES))
def test_open_bounds_with_none_or_inf(name):
    bounds = [[None, 0.5], [-np.inf, np.inf]]
    res = BASELINES[name](lambda x: _bowl(x, 2.0), [0.0, 0.0], bounds=bounds, max_iter=200, seed=0)
    assert res.x[0] <= 0.5 and res.fun < _bowl([0.0, 0.0], 2.0)
    with pytest.raises(ValueError, match="bounds"):
        BASELINES[name](_bowl, [0.0, 0.0], bounds=[[None, "x"], [0, 1]])


# -- the grid controller --------------------------------------------------------------------------------
@pytest.mark.parametrize("move", ["best_sample", "keep", "eq4"])
def test_grid_controller_grows_on_success_shrinks_on_failure(move):
    f = make("rastrigin")
    res = BASELINES["grid_controller"](
        f, [-3.2, 2.8], bounds=f.bounds, vectorized=True, max_iter=25, move=move
    )
    fun, alpha = res.history["fun"], res.history["step_size"]
    assert res.nfev == 25 * 50 + 1 and res.nit == 25
    np.testing.assert_allclose(
        res.history["resolution"], DEFAULTS["grid_controller"]["resolution_ratio"] * alpha
    )
    assert set(np.round(alpha[1:] / alpha[:-1], 12)) <= {2.0, 0.5}
    if move != "eq4":  # the iterate never gets worse, and it moves only when something was lower
        assert np.all(np.diff(fun) <= 0)
    grew = alpha[1:] > alpha[:-1]
    if move == "keep":  # a step that failed leaves the iterate where it was
        np.testing.assert_array_equal(res.history["x"][1:][~grew], res.history["x"][:-1][~grew])


def test_grid_controller_on_an_adapted_grid_gains_on_an_ill_conditioned_bowl_and_stays_in_bounds():
    """metric='grid_fit' (rover_envs.metric): same controller and budget on a rotated bowl of condition
    number 1e10; the stretched grid reaches beyond the box, but every iterate stays inside it (a move to
    the grid's best sample goes where that sample was evaluated: the clipped point)."""
    c = np.sqrt(0.5)

    def bowl(x):
        u, v = c * (x[0] - 1.0) + c * (x[1] + 2.0), c * (x[1] + 2.0) - c * (x[0] - 1.0)
        return float(1e10 * u * u + v * v)

    runs = {
        m: BASELINES["grid_controller"](bowl, [3.0, 2.0], metric=m, max_iter=30, bounds=[(-5, 5)] * 2)
        for m in ("none", "grid_fit")
    }
    assert runs["grid_fit"].fun < 1e-12 < 1e-11 < runs["none"].fun
    assert np.all(np.abs(runs["grid_fit"].history["x"]) <= 5.0)


def test_grid_controller_converges_on_a_bowl_with_the_quadratic_fit():
    res = BASELINES["grid_controller"](
        lambda x: float(np.sum((x - 1.0) ** 2)), [3.0, -2.0], direction="quadratic_fit", max_iter=500
    )
    assert res.success and "xtol" in res.message and res.fun < 1e-18
    with pytest.raises(ValueError, match="move must be one of"):
        BASELINES["grid_controller"](_bowl, [0.0, 0.0], move="actor")
    with pytest.raises(ValueError, match="2-D"):
        BASELINES["grid_controller"](_bowl, [0.0, 0.0, 0.0])
