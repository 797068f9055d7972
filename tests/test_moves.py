"""Move rules (rover_envs.moves): what each does, and that the env and RoverDescent apply them alike."""

import itertools

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import rover_envs  # noqa: F401
from rover_envs.moves import EVALUATING, MOVES, MoveInputs
from rover_envs.transition import clip_actions

B, M = 4, 9


def _inputs(values, step_values, choice=None, seed=0):
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=(B, 2))
    points = theta[:, None, :] + rng.normal(size=(B, M, 2))
    points[:, M // 2] = theta  # the centre sample is theta
    step = theta + rng.normal(size=(B, 2))
    centre = values[:, M // 2]
    inputs = MoveInputs(theta, step, centre, points, values, choice)
    lookup = {tuple(s): v for s, v in zip(step, step_values)}
    return inputs, lambda pts: np.array([lookup[tuple(p)] for p in pts])


finite_grids = arrays(np.float64, (B, M), elements=st.floats(-1e3, 1e3))
maybe_nan = arrays(
    np.float64, (B,), elements=st.one_of(st.floats(-1e3, 1e3), st.just(np.nan), st.just(np.inf))
)


@given(finite_grids, maybe_nan)
@settings(max_examples=100, deadline=None)
def test_keep_and_best_sample_never_move_to_a_point_worse_than_the_centre(values, step_values):
    inputs, evaluate = _inputs(values, step_values)
    value_at = {tuple(p): v for b in range(B) for p, v in zip(inputs.points[b], values[b])}
    value_at.update({tuple(s): v for s, v in zip(inputs.step, step_values)})
    for rule in ("keep", "best_sample"):
        move = MOVES[rule](inputs, evaluate)
        reached = np.array([value_at[tuple(p)] for p in move.theta])
        assert np.all(np.isfinite(reached)) and np.all(reached <= inputs.centre)
        improves = np.isfinite(step_values) & (step_values < inputs.centre)
        np.testing.assert_array_equal(move.accepted, improves)
        np.testing.assert_array_equal(move.theta[improves], inputs.step[improves])
    keep = MOVES["keep"](inputs, evaluate)
    np.testing.assert_array_equal(keep.theta[~keep.accepted], inputs.theta[~keep.accepted])
    best = MOVES["best_sample"](inputs, evaluate)
    failed = ~best.accepted
    reached = np.array([value_at[tuple(p)] for p in best.theta])
    np.testing.assert_array_equal(reached[failed], values.min(axis=1)[failed])  # the grid's best sample


def test_eq4_always_steps_and_the_actor_chooses():
    values = np.arange(B * M, dtype=float).reshape(B, M)[:, ::-1].copy()  # the last sample is the best
    inputs, evaluate = _inputs(values, np.zeros(B), choice=np.array([-1.0, 0.0, 0.5, 1.0]))
    eq4 = MOVES["eq4"](inputs, evaluate)
    np.testing.assert_array_equal(eq4.theta, inputs.step)
    assert eq4.accepted.all()
    actor = MOVES["actor"](inputs, evaluate)
    np.testing.assert_array_equal(actor.theta[:2], inputs.step[:2])
    np.testing.assert_array_equal(actor.theta[2:], inputs.points[2:, -1])
    np.testing.assert_array_equal(actor.accepted, [True, True, False, False])
    with pytest.raises(ValueError, match="choice"):
        MOVES["actor"](inputs._replace(choice=None), evaluate)


@pytest.mark.parametrize("move", list(MOVES))
def test_env_spaces_evaluation_counts_and_step_flags(move):
    env = gym.make("RoverLandscape-v0", family="rastrigin", direction="gradient", move=move)
    assert env.action_space.shape == ((3,) if move == "actor" else (2,))
    _, info = env.reset(seed=0)
    steps = [env.step(env.action_space.sample())[-1] for _ in range(5)]
    per_step = 49 + (move in EVALUATING)
    assert steps[-1]["n_evals"] == 49 + 5 * per_step
    accepted = [s["step_accepted"] for s in steps]
    assert all(accepted) if move == "eq4" else isinstance(accepted[0], bool)
    if move in ("keep", "best_sample"):  # the iterate's value never rises
        fs = [info["f"], *[s["f"] for s in steps]]
        assert all(b <= a for a, b in itertools.pairwise(fs))


def test_move_keyword_is_validated():
    with pytest.raises(ValueError, match="valid: eq4, keep, best_sample, actor"):
        gym.make("RoverLandscape-v0", move="jump")
    with pytest.raises(ValueError, match="grid_size must be odd"):
        gym.make("RoverLandscape-v0", move="keep", grid_size=6, direction="gradient")
    venv = gym.make_vec(
        "RoverLandscape-v0", num_envs=2, vectorization_mode="vector_entry_point", move="actor"
    )
    assert venv.single_action_space.shape == (3,)
    venv.reset(seed=0)
    with pytest.raises(ValueError, match=r"must have shape \(2, 3\)"):
        venv.step(np.zeros((2, 2), np.float32))  # a choice missing is not read from d_delta
    with pytest.raises(ValueError, match=r"expected \(3,\): \(d_alpha, d_delta\) \+ a move choice"):
        clip_actions(np.zeros((2, 2)), with_choice=True)


@pytest.mark.parametrize("move", ["eq4", "keep", "best_sample"])
def test_the_optimiser_returns_the_best_point_it_evaluated_under_every_rule(move):
    from agents import RoverDescent
    from rover_envs.landscapes import make

    f, seen = make("rastrigin"), []

    def fun(x):
        seen.append(f(x))
        return seen[-1]

    res = RoverDescent.pretrained().minimize(fun, [-3.2, 2.8], bounds=f.bounds, vectorized=True, move=move)
    assert res.fun == min(np.min(v) for v in seen) and res.nfev == sum(np.size(v) for v in seen)
    with pytest.raises(ValueError, match="move choice"):
        RoverDescent.pretrained().minimize(fun, [0.0, 0.0], move="actor")


def test_the_optimiser_defaults_to_the_rule_its_policy_was_trained_with():
    from agents import RoverDescent
    from rover_envs.landscapes import make

    rover = RoverDescent.pretrained("agents/pretrained/rover_eq4.pt")
    assert rover.policy.move == "eq4"  # trained before the option: eq. 4 by default
    assert RoverDescent.pretrained().policy.move == "best_sample"  # the shipped policy's
    f = make("rosenbrock")
    default = rover.minimize(f, [-1.2, 1.0], bounds=f.bounds, vectorized=True)
    rover.policy.meta = {"config": {"env": {"move": "best_sample"}}}
    assert rover.policy.move == "best_sample"
    trained = rover.minimize(f, [-1.2, 1.0], bounds=f.bounds, vectorized=True)
    explicit = rover.minimize(f, [-1.2, 1.0], bounds=f.bounds, vectorized=True, move="best_sample")
    assert trained.nfev == explicit.nfev == 30 * 50 + 1 and default.nfev == 30 * 49 + 1
    np.testing.assert_array_equal(trained.x, explicit.x)
    rover.policy.meta = {}
    assert rover.policy.move == "eq4"  # a policy that predates the option


def test_reflect_folds_points_into_the_bounds():
    from agents.objective import Objective

    obj = Objective(lambda x: 0.0, 3, bounds=[(0, 10), (-1, None), (2, 2)])
    x = np.array([[-3, 5, 1], [12, -7, 3], [25, 0.5, 2], [-21, 3, 7], [4, 1e3, 2]], dtype=float)
    np.testing.assert_allclose(obj.reflect(x), [[3, 5, 2], [8, 5, 2], [5, 0.5, 2], [1, 3, 2], [4, 1e3, 2]])
    inside = np.array([[0.0, -1.0, 2.0], [10.0, 7.0, 2.0], [3.3, 0.0, 2.0]])
    np.testing.assert_array_equal(obj.reflect(inside), inside)  # points inside stay where they are


@pytest.mark.parametrize("boundary", ["clip", "reflect", "penalty", "active_penalty"])
def test_every_evaluation_stays_in_the_bounds_under_every_boundary_rule(boundary):
    """A bowl whose minimiser lies outside the box, a start in a corner: every point the optimiser
    evaluates is inside, and it ends on the side nearest the minimiser, near the box's minimum."""
    from agents import RoverDescent

    bounds, seen = np.array([[-1.0, 1.0], [-1.0, 1.0]]), []

    def fun(x):
        seen.append(np.array(x, copy=True))
        return np.sum((x - np.array([3.0, 0.2])) ** 2, axis=-1)

    res = RoverDescent.pretrained().minimize(
        fun, [-0.9, -0.9], bounds=bounds, vectorized=True, boundary=boundary
    )
    pts = np.concatenate([np.atleast_2d(p) for p in seen])
    assert np.all((pts >= bounds[:, 0]) & (pts <= bounds[:, 1]))
    assert res.x[0] == pytest.approx(1.0, abs=1e-3) and res.fun < 4.1  # min over the box: 4 at (1, 0.2)
    with pytest.raises(ValueError, match="unknown boundary"):
        RoverDescent.pretrained().minimize(fun, [0.0, 0.0], boundary="wrap")
    with pytest.raises(ValueError, match="2-D only"):
        RoverDescent.pretrained().minimize(fun, [0.0, 0.0, 0.0], bounds=[(-1, 1)] * 3, boundary="reflect")


def test_penalty_walls_off_samples_beyond_the_bounds_as_steeply_as_the_grid_inside():
    from agents.rover import penalised

    raw = np.array([[-1.0, 0.0], [0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [0.5, 0.0]])
    points = np.clip(raw, -5.0, 1.0)  # the sample at x = 2 is clipped onto the bound at 1
    values = np.array([4.0, 3.0, 1.0, 1.0, 2.0])  # clipping ties it with the bound's own sample
    seen = penalised(values, raw, points)
    # in-box range 3 over the grid's reach 1.5 (its samples' largest distance from their mean)
    np.testing.assert_allclose(seen, [4.0, 3.0, 1.0, 1.0 + 2.0 * 1.0, 2.0])
    assert seen[3] > seen[2]  # no tie: the minimum on the bound is the grid's own minimum
    np.testing.assert_array_equal(penalised(values, raw, raw), values)  # all inside: unchanged
    flat = np.full(5, 7.0)
    np.testing.assert_array_equal(penalised(flat, raw, points), flat)  # nothing to scale a wall by
    with_nan = values.copy()
    with_nan[0], with_nan[3] = np.nan, np.nan
    out = penalised(with_nan, raw, points)
    assert np.isnan(out[0]) and np.isnan(out[3]) and out[1] == 3.0  # NaN stays NaN, the rest scale
    # active_penalty: the wall only while the grid's lowest value is at a clipped sample
    np.testing.assert_allclose(penalised(values, raw, points, active_only=True), seen)  # tie at the bound
    interior = np.array([4.0, 0.5, 1.0, 1.0, 2.0])  # the lowest sample is inside: the grid as clipped
    np.testing.assert_array_equal(penalised(interior, raw, points, active_only=True), interior)
    with pytest.raises(ValueError, match="2-D only"):
        from agents import RoverDescent

        RoverDescent.pretrained().minimize(
            lambda x: float(np.sum(x**2)), [0.0, 0.0, 0.0], bounds=[(-1, 1)] * 3, boundary="penalty"
        )


def test_the_shipped_bounded_policy_defaults_to_the_penalty_and_every_other_policy_to_clipping():
    from agents import RoverDescent
    from agents.rover import SHIPPED_BOUNDARY, default_bounded_policy_path

    def fun(x):
        return np.sum((x - np.array([3.0, 0.2])) ** 2, axis=-1)

    shipped = RoverDescent.pretrained()
    assert (
        shipped.bounded_policy.boundary == SHIPPED_BOUNDARY == "penalty" and shipped.policy.boundary == "clip"
    )
    kw = {"bounds": [(-1, 1)] * 2, "vectorized": True, "descend": 0}  # the boundary alone
    runs = {
        b: shipped.minimize(fun, [-0.9, -0.9], boundary=b, **kw).history["x"] for b in ("clip", "penalty")
    }
    np.testing.assert_array_equal(shipped.minimize(fun, [-0.9, -0.9], **kw).history["x"], runs["penalty"])
    assert not np.array_equal(runs["clip"], runs["penalty"])
    own = RoverDescent.pretrained(default_bounded_policy_path())  # by path: the rule it was trained with
    delta0 = shipped.minimize(fun, [-0.9, -0.9], boundary="clip", **kw).history["resolution"][0]
    np.testing.assert_array_equal(
        own.minimize(
            fun,
            [-0.9, -0.9],
            metric="grid_fit_floor",
            resolution=delta0,
            initial_samples="auto",
            **kw,
        ).history["x"],
        runs["clip"],
    )
    # over pairs of dimensions every point is clipped, by default without an error
    res = shipped.minimize(lambda x: float(np.sum(x**2)), [0.5, 0.5, 0.5], bounds=[(-1, 1)] * 3, max_iter=2)
    assert np.all(np.abs(res.x) <= 1.0)


def test_the_shipped_bounded_policy_starts_bounded_2d_problems_from_its_coarser_first_grid():
    from agents import RoverDescent
    from agents.rover import RESOLUTION_SCALE, SHIPPED_RESOLUTION_SCALE, default_bounded_policy_path

    def fun(x):
        return np.sum((x - np.array([1.0, -2.0])) ** 2, axis=-1)

    def delta0(rover, x0, **kw):
        return rover.minimize(fun, x0, vectorized=True, max_iter=2, **kw).history["resolution"][0]

    shipped, box = RoverDescent.pretrained(), [(-5, 5), (-5, 5)]  # L = 5
    assert shipped.bounded_policy.resolution_scale == SHIPPED_RESOLUTION_SCALE == 0.088
    assert shipped.policy.resolution_scale == RESOLUTION_SCALE == 0.022
    assert delta0(shipped, [0.0, 0.0], bounds=box) == pytest.approx(0.088 * 5)
    assert delta0(shipped, [3.0, 4.0]) == pytest.approx(0.022 * 5)  # unbounded: L = ||x0||
    assert delta0(shipped, [0.0, 0.0], bounds=box, resolution=0.3) == 0.3  # given: as given
    assert delta0(shipped, [0.0, 0.0], bounds=box, pairs="all") == pytest.approx(0.022 * 5)  # pairs
    for other in (
        RoverDescent.pretrained(settings="trained"),
        RoverDescent.pretrained(default_bounded_policy_path()),
    ):
        assert delta0(other, [0.0, 0.0], bounds=box) == pytest.approx(0.022 * 5)


def test_the_zoom_cap_keeps_step_and_grid_within_what_the_bounds_can_show():
    from agents import RoverDescent
    from agents.rover import zoom_limits

    assert zoom_limits(None, 7) is None and zoom_limits(np.array([[0.0, np.inf], [-np.inf, 1.0]]), 7) is None
    assert zoom_limits(np.array([[-5.0, 5.0], [0.0, 4.0]]), 7) == (4.0, 4.0 / 3.0)
    bounds = np.array([[-1.0, 1.0], [-1.0, 1.0]])

    def fun(x):  # a plane falling towards a corner: the policy zooms out where nothing is left to see
        return np.sum(x, axis=-1)

    rover = RoverDescent.pretrained()
    capped = rover.minimize(fun, [0.5, 0.5], bounds=bounds, vectorized=True, step_size=0.5, resolution=5.0)
    assert np.max(capped.history["step_size"]) <= 2.0 and np.max(capped.history["resolution"]) <= 2.0 / 3.0
    free = rover.minimize(
        fun, [0.5, 0.5], bounds=bounds, vectorized=True, step_size=0.5, resolution=5.0, zoom_cap=False
    )
    assert np.max(free.history["resolution"]) > 2.0 / 3.0
    assert capped.fun == pytest.approx(-2.0)  # the corner


# -- Boxed episodes (box_fraction, reset option bounds): the env meets the bounds RoverDescent keeps ---------
@pytest.mark.parametrize("guard", ["none", "border"])
def test_the_optimiser_replays_a_boxed_environment_episode(guard):
    """options['bounds']: the env clips grids and steps and caps alpha and delta as
    RoverDescent(bounds=..., boundary='clip', zoom_cap=True) does, so the shipped bounded policy's iterates,
    step sizes and resolutions are the same in both (start near a side, alpha0 and delta0 above
    the caps); with the zoom guard too."""
    from agents import RoverDescent
    from experiments.heldout import actor_policy
    from rover_envs.landscapes import make

    rover = RoverDescent.pretrained()
    assert rover.bounded_policy is not None  # bounded problems run the policy trained in boxes
    rover = RoverDescent(rover.bounded_policy)
    f = make("rippled", rng=np.random.default_rng(4))
    x_star = f.minimum[0]
    bounds = np.stack([x_star - np.array([1.0, 8.0]), x_star + np.array([9.0, 2.0])], -1)
    x0, a0, d0 = bounds[:, 0] + np.array([0.6, 9.0]), 20.0, 5.0
    env_cfg = rover.policy.meta["config"]["env"]
    kwargs = {k: env_cfg[k] for k in ("move", "features", "grid_size", "metric")}
    res = rover.minimize(
        f,
        x0,
        step_size=a0,
        resolution=d0,
        vectorized=True,
        bounds=bounds,
        metric=kwargs["metric"],
        boundary="clip",  # the env clips; the shipped default reads a wall beyond the bounds
        guard=guard,
        initial_samples=0,  # the episode starts at x0; the shipped default starts at a design's best
        shrink_power=1,  # the environment's action box; the shipped default zooms faster late on
        finish="none",  # the actor's own steps to the end of the episode
        ftol=0,
    )
    kwargs["guard"] = guard
    env = gym.make(
        "RoverLandscape-v0", angle_net_path=rover.policy.meta["config"]["agent"]["angle_net"], **kwargs
    )
    options = {"landscape": f, "theta": x0, "step_size": a0, "resolution": d0, "bounds": bounds}
    obs, info = env.reset(seed=0, options=options)
    act, state, trajectory = actor_policy(rover.policy.actor), None, [info]
    for t in range(rover.policy.horizon):
        action, state = act({k: v[None] for k, v in obs.items()}, state, np.array([t == 0]))
        obs, _, _, _, info = env.step(action[0])
        trajectory.append(info)
    np.testing.assert_array_equal(res.history["x"], [i["theta"] for i in trajectory])
    np.testing.assert_array_equal(res.history["step_size"], [i["step_size"] for i in trajectory])
    np.testing.assert_array_equal(res.history["resolution"], [i["resolution"] for i in trajectory])
    assert res.history["step_size"][0] == 10.0 and res.history["resolution"][0] == 10.0 / 3.0  # capped


def _boxed_vec_env(num_envs: int, **kwargs):
    """The vector env on the shipped mixture with the best_sample move and boxed episodes."""
    kwargs = {"family": "all_rippled", "box_fraction": 0.5, "move": "best_sample", **kwargs}
    return gym.make_vec(
        "RoverLandscape-v0", num_envs=num_envs, vectorization_mode="vector_entry_point", **kwargs
    )


def test_boxed_episodes_evaluate_only_inside_their_box_and_draw_it_by_seed():
    from rover_envs.core import BOX_MARGIN, BOX_WIDTH

    def run(seed):
        env = _boxed_vec_env(16, metric="grid_fit")
        _, info = env.reset(seed=seed)
        engine = env.unwrapped._engine
        lo, hi, boxed = engine.lo.copy(), engine.hi.copy(), engine.boxed.copy()
        x_star = engine.x_star.copy()
        thetas, alphas, deltas = [info["theta"]], [info["step_size"]], [info["resolution"]]
        seen = []
        values = engine.batch.values
        engine.batch.values = lambda pts: seen.append(pts.copy()) or values(pts)
        rng = np.random.default_rng(seed)
        for _ in range(29):  # one step short of the horizon: no autoreset
            _, _, _, _, info = env.step(rng.uniform(-0.5, 1.0, (16, 2)))
            thetas.append(info["theta"]), alphas.append(info["step_size"]), deltas.append(info["resolution"])
        return lo, hi, boxed, x_star, np.array(thetas), np.array(alphas), np.array(deltas), seen

    lo, hi, boxed, x_star, thetas, alphas, deltas, seen = run(seed=3)
    assert 3 <= boxed.sum() <= 13  # about half of 16
    np.testing.assert_allclose((hi - lo)[boxed], BOX_WIDTH)
    assert np.all(np.isinf(lo[~boxed])) and np.all(np.isinf(hi[~boxed]))
    assert np.all((x_star[boxed] >= lo[boxed] + BOX_MARGIN) & (x_star[boxed] <= hi[boxed] - BOX_MARGIN))
    assert np.all((thetas[:, boxed] >= lo[boxed]) & (thetas[:, boxed] <= hi[boxed]))
    for pts in seen:  # grids and the steps' end points
        assert np.all((pts[boxed] >= lo[boxed, None]) & (pts[boxed] <= hi[boxed, None]))
    assert np.all(alphas[:, boxed] <= BOX_WIDTH) and np.all(deltas[:, boxed] <= BOX_WIDTH / 3.0)
    assert np.any(alphas[:, ~boxed] > BOX_WIDTH)  # the actions double alpha: only boxes cap it
    again = run(seed=3)
    for a, b in zip((lo, hi, thetas, alphas, deltas), (again[0], again[1], again[4], again[5], again[6])):
        np.testing.assert_array_equal(a, b)


def test_box_errors_name_the_fix():
    with pytest.raises(ValueError, match="box_fraction must be in"):
        gym.make("RoverLandscape-v0", box_fraction=1.5)
    with pytest.raises(ValueError, match="own bounds"):
        gym.make("RoverLandscape-v0", family="rastrigin", box_fraction=0.5)
    env = gym.make("RoverLandscape-v0")
    for bad in ([[1.0, -1.0], [0.0, 1.0]], [[0.0, 1.0]], [[0.0, np.nan], [0.0, 1.0]], "box"):
        with pytest.raises(ValueError, match=r"options\['bounds'\]"):
            env.reset(seed=0, options={"bounds": bad})


def test_a_box_sets_the_domain_scale_as_roverdescent_guesses_it():
    """initial_scale='domain' in a box: L0 is half its mean width, the scale RoverDescent guesses
    from bounds (alpha0 = step_size_range * L0)."""
    env = gym.make("RoverLandscape-v0", initial_scale="domain", step_size_range=(0.1, 0.1))
    _, info = env.reset(seed=0, options={"bounds": [[-3.0, 5.0], [0.0, 4.0]]})
    assert info["step_size"] == pytest.approx(0.1 * 0.5 * (8.0 + 4.0) / 2.0)


def test_the_shipped_optimiser_runs_its_boxed_policy_only_under_finite_bounds(monkeypatch):
    """pretrained(): rover_box.pt where bounds are finite, rover_policy.pt elsewhere (half-open
    bounds included); a named policy runs everywhere; ROVER_POLICY names the one policy."""
    from agents import RoverDescent
    from agents.rover import RoverPolicy, default_bounded_policy_path, default_policy_path

    def fun(x):
        return np.sum((x - 0.3) ** 2, axis=-1)

    shipped = RoverDescent.pretrained()
    box, free = RoverDescent(shipped.bounded_policy), RoverDescent(shipped.policy)
    kw = {"vectorized": True, "max_iter": 8}
    bounded = shipped.minimize(fun, [2.0, -1.5], bounds=[(-5, 5), (-5, 5)], **kw)
    np.testing.assert_array_equal(
        bounded.x, box.minimize(fun, [2.0, -1.5], bounds=[(-5, 5), (-5, 5)], **kw).x
    )
    for bounds in (None, [(-5, None), (None, 5)]):
        res = shipped.minimize(fun, [2.0, -1.5], bounds=bounds, **kw)
        np.testing.assert_array_equal(res.x, free.minimize(fun, [2.0, -1.5], bounds=bounds, **kw).x)
    unboxed = free.minimize(fun, [2.0, -1.5], bounds=[(-5, 5), (-5, 5)], **kw)
    assert not np.array_equal(bounded.history["step_size"], unboxed.history["step_size"])  # two policies
    assert RoverDescent.pretrained(default_policy_path()).bounded_policy is None
    assert RoverDescent.pretrained(bounded=default_bounded_policy_path()).bounded_policy is not None
    monkeypatch.setenv("ROVER_POLICY", str(default_policy_path()))
    assert RoverDescent.pretrained().bounded_policy is None and default_bounded_policy_path() is None
    assert isinstance(RoverDescent.pretrained().policy, RoverPolicy)


# -- The zoom guard: no shrinking while the grid's minimum lies on its border below its centre ---------------
def _grid_with_min_at(row: int, col: int, n: int = 7, value: float = -1.0) -> np.ndarray:
    grid = np.zeros((n, n))
    grid[row, col] = value
    return grid


def test_guard_holds_the_zoom_only_while_the_minimum_is_on_the_border_below_the_centre():
    from rover_envs.transition import guard_actions

    actions = np.array([[-0.5, -0.3], [-0.5, -0.3], [0.4, -0.2], [-0.5, -0.3], [-0.5, -0.3], [-0.1, -0.1]])
    grids = np.stack(
        [
            _grid_with_min_at(0, 3),  # on the border, below the centre: held
            _grid_with_min_at(2, 4),  # inside: the actor's actions
            _grid_with_min_at(6, 6),  # held, and a growth stays a growth
            _grid_with_min_at(3, 3),  # the centre itself
            _grid_with_min_at(0, 0, value=0.0),  # a flat grid: its minimum ties the centre
            np.where(_grid_with_min_at(3, 0) == 0, 1.0, np.nan),  # NaN counts as the worst value
        ]
    )
    guarded = guard_actions(actions, grids, "border")
    expected = actions.copy()
    expected[0] = expected[2, 1] = 0.0
    expected[2, 0] = 0.4
    np.testing.assert_array_equal(guarded, expected)
    np.testing.assert_array_equal(guard_actions(actions, grids, "none"), actions)
    with pytest.raises(ValueError, match="unknown guard 'edge'; valid: none, border"):
        guard_actions(actions, grids, "edge")


def test_guard_does_not_hold_the_zoom_at_a_minimiser_on_a_bound():
    """Samples clipped onto a bound repeat the centre's value when the iterate sits on the
    minimiser there: the grid's minimum ties the centre, so the zoom may shrink; a grid that
    sees the minimiser beyond its border (iterate inside) holds it."""
    from rover_envs.grid import grid_points
    from rover_envs.transition import guard_actions

    def fun(x):  # the minimiser (1, 0.3) sits on the upper bound of the first coordinate
        return (x[..., 0] - 1.0) ** 2 + (x[..., 1] - 0.3) ** 2 - np.minimum(x[..., 0] - 1.0, 0.0)

    bounds = np.array([[-1.0, 1.0], [-1.0, 1.0]])
    shrink = np.array([[-0.5, -0.5]])
    for theta, held in (([1.0, 0.3], False), ([0.5, 0.3], True)):
        points = np.clip(grid_points(np.array([theta]), np.array([0.1]), 7), bounds[:, 0], bounds[:, 1])
        grid = fun(points).reshape(1, 7, 7)
        expected = np.zeros((1, 2)) if held else shrink
        np.testing.assert_array_equal(guard_actions(shrink, grid, "border"), expected)


def test_a_policy_trained_with_the_guard_runs_it_by_default(tmp_path):
    from agents import RoverDescent
    from agents.rover import RoverPolicy
    from rover_envs.landscapes import make

    base = RoverDescent.pretrained("agents/pretrained/rover_policy.pt").policy
    assert base.guard == "none"  # policies that predate the option
    meta = {
        **base.meta,
        "config": {**base.meta["config"], "env": {**base.meta["config"]["env"], "guard": "border"}},
    }
    guarded = RoverDescent(RoverPolicy(base.angle, base.actor, base.actor_arch, meta))
    f = make("valley", rng=np.random.default_rng(5))
    x0 = f.minimum[0] + np.array([6.0, -4.0])
    default = guarded.minimize(f, x0, vectorized=True)
    explicit = RoverDescent(base).minimize(f, x0, vectorized=True, guard="border")
    plain = RoverDescent(base).minimize(f, x0, vectorized=True)
    np.testing.assert_array_equal(default.history["x"], explicit.history["x"])
    assert not np.array_equal(default.history["resolution"], plain.history["resolution"])
    with pytest.raises(ValueError, match="unknown guard"):
        guarded.minimize(f, x0, vectorized=True, guard="edge")
    with pytest.raises(ValueError, match="2-D only"):
        guarded.minimize(lambda x: np.sum(x**2), np.ones(4), guard="border")
    # over pairs of dimensions the policy's guard does not apply: the default runs without it
    assert guarded.minimize(lambda x: np.sum(x**2), np.ones(4), max_iter=3).nit == 3


def test_side_boxes_leave_the_minimiser_beyond_a_side_and_score_the_box_minimum():
    """box_side_fraction: those boxed episodes' minimum (reward, regret, teacher's distance) is the
    box's, on the side past which the landscape's own minimiser lies; the other boxes are drawn
    as without the option."""
    from rover_envs.core import BOX_MARGIN, BOX_WIDTH, SIDE_GAP

    def reset(seed, side):
        env = _boxed_vec_env(24, box_side_fraction=side)
        _, info = env.reset(seed=seed)
        return env.unwrapped._engine, info

    engine, info = reset(3, 0.5)
    again, info2 = reset(3, 0.5)
    np.testing.assert_array_equal(engine.x_star, again.x_star)
    np.testing.assert_array_equal(info["theta"], info2["theta"])
    sides = 0
    for i in np.flatnonzero(engine.boxed):
        lo, hi = engine.lo[i], engine.hi[i]
        np.testing.assert_allclose(hi - lo, BOX_WIDTH)
        assert np.all(info["theta"][i] >= lo + BOX_MARGIN - 1e-9) and np.all(
            info["theta"][i] <= hi - BOX_MARGIN + 1e-9
        )
        own = np.asarray(engine.landscape(i).minimum[0])
        outside = np.maximum(lo - own, own - hi)
        if np.all(outside <= 0):  # a box around its minimiser, as without the option
            np.testing.assert_array_equal(engine.x_star[i], own)
            continue
        sides += 1
        assert SIDE_GAP[0] - 1e-9 <= outside.max() <= SIDE_GAP[1] + 1e-9 and outside.min() < 0
        g = np.linspace(0.0, 1.0, 401)
        scan = lo + np.stack(np.meshgrid(g, g, indexing="ij"), axis=-1).reshape(-1, 2) * (hi - lo)
        land = engine.landscape(i)
        assert engine.f_star[i] <= float(land(scan).min()) + 1e-9 * max(1.0, abs(engine.f_star[i]))
        assert engine.f_star[i] == pytest.approx(float(land(engine.x_star[i][None])[0]))
        assert np.all(engine.x_star[i] >= lo) and np.all(engine.x_star[i] <= hi)
        assert info["f_star"][i] == engine.f_star[i] and info["regret"][i] >= 0.0  # what rewards read
    assert sides >= 2
    # without the option the same seed draws the same boxes as before it existed
    plain, _ = reset(3, 0.0)
    assert not np.any(np.maximum(plain.lo - plain.x_star, plain.x_star - plain.hi)[plain.boxed] > 0)
    with pytest.raises(ValueError, match="set box_fraction > 0 too"):
        gym.make("RoverLandscape-v0", box_side_fraction=0.5)


def test_a_side_box_minimum_that_the_episode_beats_is_lowered_to_what_it_found(monkeypatch):
    """Should the search for a side box's minimum miss a lower basin, the episode's own lower
    values become the minimum: regrets stay >= 0 and the running-mean reward bounded."""
    from rover_envs.core import Engine

    found = Engine._box_minimum
    monkeypatch.setattr(Engine, "_box_minimum", lambda self, i: (found(self, i)[0], np.inf))
    env = _boxed_vec_env(16, box_fraction=1.0, box_side_fraction=1.0)
    _, info = env.reset(seed=2)
    engine = env.unwrapped._engine
    assert engine.side.all()
    np.testing.assert_array_equal(engine.f_star, engine.f0)  # the start is the lowest seen so far
    for _ in range(5):
        _, reward, _, _, info = env.step(np.zeros((16, 2)))
        assert np.all(info["regret"] >= 0.0) and np.all(reward <= 0.0)


def _two_wells(x):
    """A bowl at (2, 2) and a deeper one at (-2, -2): f = min(|x - a|^2, |x - b|^2 - 1)."""
    x = np.atleast_2d(x)
    near = np.sum((x - 2.0) ** 2, axis=-1)
    far = np.sum((x + 2.0) ** 2, axis=-1) - 1.0
    return np.minimum(near, far)


def test_a_probe_restarts_the_schedule_in_a_lower_basin_within_the_same_budget():
    from agents.rover import RoverDescent

    rover = RoverDescent.pretrained()
    box = np.array([[-5.0, 5.0], [-5.0, 5.0]])
    # from x0, no design, the actor's own schedule to the end
    kw = {
        "bounds": box,
        "vectorized": True,
        "initial_samples": 0,
        "shrink_power": 1,
        "finish": "none",
        "ftol": 0,
    }
    plain = rover.minimize(_two_wells, [2.6, 1.5], **kw)
    assert plain.fun > -0.5 and np.allclose(plain.x, 2.0, atol=1e-3)  # the nearer bowl
    probed = rover.minimize(_two_wells, [2.6, 1.5], probes=1, **kw)
    assert probed.fun < -0.99 and np.allclose(probed.x, -2.0, atol=1e-2)  # restarted in the deeper one
    assert probed.nfev <= plain.nfev and len(probed.history["x"]) == len(plain.history["x"])  # no more budget
    restart = int(np.argmax(probed.history["x"][:, 0] < 0))  # the probe at iteration 15 of 30
    assert restart == 15 and probed.history["step_size"][restart] == pytest.approx(
        plain.history["step_size"][0]
    )
    np.testing.assert_array_equal(probed.history["x"][:15], plain.history["x"][:15])
    bowl = lambda x: np.sum((np.atleast_2d(x) - 1.0) ** 2, axis=-1)  # noqa: E731
    once = rover.minimize(bowl, [3.0, -2.0], probes=2, **kw)  # nothing lower to find: no restart
    assert once.fun < 1e-10 and once.nfev <= rover.minimize(bowl, [3.0, -2.0], **kw).nfev
    for bad in (-1, True, 1.5):
        with pytest.raises(ValueError, match="probes must be an int"):
            rover.minimize(bowl, [3.0, -2.0], probes=bad, **kw)
    with pytest.raises(ValueError, match="2-D only"):
        rover.minimize(lambda x: float(np.sum(np.square(x))), np.ones(4), probes=1)


def test_initial_samples_spend_only_the_spare_budget_and_start_from_the_best_point():
    from scipy.stats import qmc

    from agents.rover import RoverDescent, default_bounded_policy_path

    rover = RoverDescent.pretrained()
    box = np.array([[-5.0, 5.0], [-5.0, 5.0]])
    # one schedule to the end of the budget (no finish or restart: they stop and start schedules)
    kw = {
        "bounds": box,
        "vectorized": True,
        "max_evals": 1471,
        "finish": "none",
        "ftol": 0,
        "restart": "none",
        "descend_at": 0.5,  # the settings of its time
    }
    plain = rover.minimize(_two_wells, [4.5, 4.0], initial_samples=0, **kw)
    assert plain.nfev == 1451  # 29 grids of 50 and the last iterate: 20 left over
    spare = rover.minimize(_two_wells, [4.5, 4.0], initial_samples="spare", **kw)
    assert spare.nfev == 1471 and len(spare.history["x"]) == len(plain.history["x"])  # the same iterations
    design = -5.0 + 10.0 * qmc.LatinHypercube(d=2, seed=np.random.default_rng(0)).random(19)
    best = design[np.argmin(_two_wells(design))]
    assert _two_wells(best)[0] < _two_wells([4.5, 4.0])[0]  # this design holds a lower point than x0
    np.testing.assert_array_equal(spare.history["x"][0], best)  # the run starts there
    assert spare.history["step_size"][0] == plain.history["step_size"][0]  # from the same alpha0
    traded = rover.minimize(_two_wells, [4.5, 4.0], initial_samples="spare+iteration", **kw)
    assert traded.nfev == 1471 and len(traded.history["x"]) == len(plain.history["x"]) - 1  # 69 points
    np.testing.assert_array_equal(
        traded.history["x"], rover.minimize(_two_wells, [4.5, 4.0], initial_samples=69, **kw).history["x"]
    )
    again = rover.minimize(_two_wells, [4.5, 4.0], **kw)  # the shipped bounded policy's default: spare
    np.testing.assert_array_equal(again.history["x"], spare.history["x"])  # seed None: a fixed design
    seeded = [rover.minimize(_two_wells, [4.5, 4.0], initial_samples=19, seed=s, **kw) for s in (3, 3)]
    np.testing.assert_array_equal(seeded[0].history["x"], seeded[1].history["x"])
    # nothing to spend: no budget, or no finite bounds, leave the run as it was
    unbudgeted = {k: v for k, v in kw.items() if k != "max_evals"}
    for options in (unbudgeted, kw | {"bounds": None}):
        ref = rover.minimize(_two_wells, [4.5, 4.0], initial_samples=0, **options)
        run = rover.minimize(_two_wells, [4.5, 4.0], initial_samples="spare", **options)
        np.testing.assert_array_equal(run.history["x"], ref.history["x"])
    per_iteration = rover.minimize(_two_wells, [4.5, 4.0], initial_samples="spare+iteration", **unbudgeted)
    whole = rover.minimize(_two_wells, [4.5, 4.0], initial_samples=0, **unbudgeted)
    assert whole.nit == 30 and whole.nfev == 30 * 50 + 1  # a budget in iterations: the first grid's
    assert per_iteration.nit == 29 and per_iteration.nfev == whole.nfev  # evaluations go to the design
    counted = rover.minimize(_two_wells, [4.5, 4.0], initial_samples=5, **unbudgeted)
    assert counted.nfev == whole.nfev + 6  # x0 and 5 points
    for options, named in ((kw, spare), (unbudgeted, per_iteration)):  # the shipped default, "auto"
        np.testing.assert_array_equal(
            rover.minimize(_two_wells, [4.5, 4.0], **options).history["x"], named.history["x"]
        )
    # a budget its iterations use up (1502 = 30 grids of 50 and 2): "auto" trades one for the design
    full = kw | {"max_evals": 1502}
    np.testing.assert_array_equal(
        rover.minimize(_two_wells, [4.5, 4.0], **full).history["x"],
        rover.minimize(_two_wells, [4.5, 4.0], initial_samples="spare+iteration", **full).history["x"],
    )
    assert rover.minimize(_two_wells, [4.5, 4.0], initial_samples="spare", **full).nit == 30  # no design
    trained = RoverDescent.pretrained(default_bounded_policy_path())  # a policy by path: no design
    assert trained.policy.initial_samples == 0 and trained.minimize(_two_wells, [4.5, 4.0], **kw).nfev == 1451
    for bad in (-1, True, 1.5, "all"):
        with pytest.raises(ValueError, match="initial_samples"):
            rover.minimize(_two_wells, [4.5, 4.0], initial_samples=bad, **kw)
    with pytest.raises(ValueError, match="more than max_evals=1471"):
        rover.minimize(_two_wells, [4.5, 4.0], initial_samples=1471, **kw)
    with pytest.raises(ValueError, match="finite bounds"):
        rover.minimize(_two_wells, [4.5, 4.0], initial_samples=5, vectorized=True)
    with pytest.raises(ValueError, match="2-D only"):
        rover.minimize(
            lambda x: float(np.sum(np.square(x))), np.ones(4), bounds=[(-1, 1)] * 4, initial_samples=3
        )


def test_an_initial_design_ignores_non_finite_values_and_keeps_x0_when_nothing_is_lower():
    from agents.rover import RoverDescent

    rover = RoverDescent.pretrained()
    box = [(-5.0, 5.0)] * 2

    def holed(x):  # NaN on the right half, a bowl at (-1, 1) on the left
        x = np.atleast_2d(x)
        return np.where(x[:, 0] > 0, np.nan, np.sum((x - np.array([-1.0, 1.0])) ** 2, axis=-1))

    res = rover.minimize(holed, [-4.0, -4.0], bounds=box, vectorized=True, initial_samples=30)
    assert res.history["x"][0, 0] < 0 and np.isfinite(res.fun) and res.fun < 1e-8  # a finite design point
    bowl = lambda x: np.sum(np.atleast_2d(x) ** 2, axis=-1)  # noqa: E731
    at_min = rover.minimize(bowl, [0.0, 0.0], bounds=box, vectorized=True, initial_samples=30)
    np.testing.assert_array_equal(at_min.history["x"][0], [0.0, 0.0])  # no design point is lower than x0


def test_the_design_figure_draws_the_design_the_runs_use(tmp_path):
    from agents.rover import design_points
    from experiments.plots import design_figure

    path = design_figure(tmp_path, families=("funnels",))
    assert path.name == "initial_design.png" and path.stat().st_size > 10_000
    box = np.array([[-5.0, 5.0], [-5.0, 5.0]])
    points = design_points(box, 49)
    assert points.shape == (49, 2) and np.all((points >= -5.0) & (points <= 5.0))
    np.testing.assert_array_equal(points, design_points(box, 49, seed=0))  # None is the fixed seed 0
    cells = np.floor((points + 5.0) / 10.0 * 49).astype(int)  # a Latin hypercube: one point per row, column
    assert all(len(set(cells[:, j])) == 49 for j in range(2))


def test_restart_point_fires_only_where_the_design_shows_no_slope_toward_the_best_point():
    from agents.rover import RESTART_GATE, restart_point

    points = np.array([[0.0, 0.0], [0.05, 0.0], [1.5, 0.0], [3.0, 0.0], [4.0, 4.0], [-4.0, 4.0], [4.0, -4.0]])
    bowl = np.sum(points**2, axis=-1)  # a global structure: the points away from the best rise gently
    assert restart_point(points, bowl, np.zeros(2), 0.0, 10.0) is None  # (2.25 - 0) / (9 - 0) < RESTART_GATE
    wells = np.array([-1.0, -0.9, 0.0, 0.0, -0.5, 0.0, 0.0])  # one deep well, a shallower one far off
    np.testing.assert_array_equal(restart_point(points, wells, np.zeros(2), -1.0, 10.0), [4.0, 4.0])
    at_gate = wells.copy()
    at_gate[4] = -1.0 + (0.0 - -1.0) * RESTART_GATE  # exactly at the gate: no restart
    assert restart_point(points, at_gate, np.zeros(2), -1.0, 10.0) is None
    assert restart_point(points, wells, np.zeros(2), -1.0, 100.0) is None  # nothing is far enough
    holed = np.where(np.arange(7) == 4, np.inf, wells)  # a non-finite value is never a start
    np.testing.assert_array_equal(restart_point(points, holed, np.zeros(2), -1.0, 10.0), [1.5, 0.0])
    flat = np.zeros(7)  # the median is no higher than the best: nothing to compare
    assert restart_point(points, flat, np.zeros(2), 0.0, 10.0) is None


def test_restart_design_switches_to_a_lower_basin_or_resumes_the_first_schedule():
    from agents.rover import RoverDescent
    from rover_envs.landscapes import make

    rover = RoverDescent.pretrained()
    box, x0 = np.array([[-5.0, 5.0], [-5.0, 5.0]]), np.array([3.0, -2.0])
    kw = {"bounds": box, "vectorized": True, "max_evals": 1471, "finish": "none", "ftol": 0}  # one schedule
    found = make("peaks", rng=17)  # the design holds a point in a deeper well than the first schedule's
    fun = lambda x: found(np.atleast_2d(x))  # noqa: E731
    plain, second = (rover.minimize(fun, x0, restart=r, **kw) for r in ("none", "design"))
    assert plain.nfev == second.nfev == 1471  # the budget is unchanged
    assert second.fun < plain.fun - 1.0 and second.fun - found.minimum[1] < 1e-6
    np.testing.assert_array_equal(second.history["x"][:15], plain.history["x"][:15])  # the same first half
    assert rover.bounded_policy.restart == "converged"  # the shipped default (SHIPPED_RESTART)
    # fires, finds nothing lower in 3 iterations, and the first schedule resumes where it paused:
    # as if it had run 3 iterations fewer (its clock and recurrent state carried over)
    resumed = make("peaks", rng=1)
    fun = lambda x: resumed(np.atleast_2d(x))  # noqa: E731
    run = rover.minimize(fun, x0, restart="design", **kw)
    shorter = rover.minimize(fun, x0, restart="none", **(kw | {"max_evals": 1 + 19 + 1 + 26 * 50}))
    lookahead = [rover.minimize(fun, x0, restart="none", **kw).history["x"][15]]
    assert not np.array_equal(run.history["x"][15], lookahead[0])  # the second schedule's start
    np.testing.assert_array_equal(run.history["x"][18:26], shorter.history["x"][15:23])
    assert run.fun <= shorter.fun
    # a bowl: the far design points are high, so nothing fires
    bowl = lambda x: np.sum((np.atleast_2d(x) - 1.0) ** 2, axis=-1)  # noqa: E731
    np.testing.assert_array_equal(
        rover.minimize(bowl, x0, restart="design", **kw).history["x"],
        rover.minimize(bowl, x0, restart="none", **kw).history["x"],
    )
    one = rover.minimize(fun, x0, restart="design", restart_lookahead=1, **kw)  # resumes after one
    shorter = rover.minimize(fun, x0, restart="none", **(kw | {"max_evals": 1 + 19 + 1 + 28 * 50}))
    np.testing.assert_array_equal(one.history["x"][16:28], shorter.history["x"][15:27])
    for bad in (0, True, 1.5):
        with pytest.raises(ValueError, match="restart_lookahead"):
            rover.minimize(fun, x0, restart="design", restart_lookahead=bad, **kw)
    with pytest.raises(ValueError, match="unknown restart 'twice'"):
        rover.minimize(fun, x0, restart="twice", **kw)
    with pytest.raises(ValueError, match="initial_samples"):
        rover.minimize(fun, x0, restart="design", initial_samples=0, **kw)


def test_the_peaks_figure_draws_both_runs(tmp_path):
    from experiments.plots import peaks_figure

    path = peaks_figure(tmp_path, count=1)
    assert path.name == "peaks.png" and path.stat().st_size > 10_000


def test_the_explore_figure_draws_both_runs(tmp_path):
    from experiments.plots import explore_figure

    path = explore_figure(tmp_path, count=1)
    assert path.name == "explore.png" and path.stat().st_size > 10_000
    with pytest.raises(ValueError, match="explore changes none"):
        explore_figure(tmp_path, search=0)


def test_the_lopsided_figure_draws_both_runs(tmp_path):
    from experiments.plots import lopsided_figure

    path = lopsided_figure(tmp_path, count=1)
    assert path.name == "lopsided.png" and path.stat().st_size > 10_000


def test_shrink_power_zooms_faster_only_deep_in_the_zoom_and_keeps_the_budget():
    from agents.rover import RoverDescent

    rover = RoverDescent.pretrained()
    box, x0 = np.array([[-5.0, 5.0], [-5.0, 5.0]]), np.array([-3.0, 3.2])
    kw = {"bounds": box, "vectorized": True, "max_evals": 1471}
    cone = lambda x: np.linalg.norm(np.atleast_2d(x) - np.array([1.3, -0.7]), axis=-1)  # noqa: E731
    own, faster = (rover.minimize(cone, x0, shrink_power=r, **kw) for r in (1.0, 2.0))
    shipped = rover.minimize(cone, x0, **kw).history["x"]  # the shipped bounded policy's default: 2
    np.testing.assert_array_equal(shipped, faster.history["x"])
    assert own.nfev == faster.nfev == 1471 and faster.fun < own.fun / 10
    first = own.history["resolution"][0]
    early = own.history["resolution"] > 1e-3 * first  # before SHRINK_AFTER, nothing changes
    np.testing.assert_array_equal(faster.history["x"][early], own.history["x"][early])
    assert np.min(faster.history["resolution"]) < np.min(own.history["resolution"])
    for bad in (0.5, True, float("nan"), "2"):
        with pytest.raises(ValueError, match="shrink_power"):
            rover.minimize(cone, x0, shrink_power=bad, **kw)
    with pytest.raises(ValueError, match="2-D only"):
        rover.minimize(lambda x: float(np.sum(np.square(x))), np.ones(4), shrink_power=2.0, max_iter=2)


def test_shrink_below_widens_the_faster_zoom_and_restart_converged_reuses_the_budget():
    from agents.rover import SHRINK_NEAR_CAP, RoverDescent, next_start

    rover = RoverDescent.pretrained()
    box, x0 = np.array([[-5.0, 5.0], [-5.0, 5.0]]), np.array([-3.0, 3.2])
    kw = {"bounds": box, "vectorized": True, "max_evals": 1471}
    cone = lambda x: np.linalg.norm(np.atleast_2d(x) - np.array([1.3, -0.7]), axis=-1)  # noqa: E731
    shipped = rover.minimize(cone, x0, **kw)
    np.testing.assert_array_equal(
        rover.minimize(cone, x0, shrink_below=SHRINK_NEAR_CAP, **kw).history["x"], shipped.history["x"]
    )
    every = rover.minimize(cone, x0, shrink_below=0.0, **kw)  # every shrink deep in the zoom is squared
    assert np.min(every.history["resolution"]) <= np.min(shipped.history["resolution"])
    for bad in (-0.6, 0.1, True, "0"):
        with pytest.raises(ValueError, match="shrink_below"):
            rover.minimize(cone, x0, shrink_below=bad, **kw)
    # restart="converged": a schedule that converges (xtol) hands its remaining iterations to another
    points = np.array([[0.0, 0.0], [3.0, 3.0], [-3.0, 3.0]])
    values = np.array([0.0, 1.0, 2.0])
    np.testing.assert_array_equal(next_start(points, values, [np.zeros(2)], 10.0), [3.0, 3.0])
    np.testing.assert_array_equal(
        next_start(points, values, [np.zeros(2), np.full(2, 3.0)], 10.0), [-3.0, 3.0]
    )
    assert next_start(points, values, [np.zeros(2)], 100.0) is None  # nothing far enough
    bowl = lambda x: np.sum((np.atleast_2d(x) - 1.0) ** 2, axis=-1)  # noqa: E731
    once = rover.minimize(bowl, x0, xtol=1e-2, restart="none", **kw)  # converges early at this tolerance
    again = rover.minimize(bowl, x0, xtol=1e-2, restart="converged", **kw)
    assert once.success and once.nfev < 1471 and "restart" not in once.message
    assert again.success and again.nfev > once.nfev and "restart(s) from the design" in again.message
    assert again.fun <= once.fun  # the first schedule's result is kept
    np.testing.assert_array_equal(again.history["x"][: len(once.history["x"]) - 1], once.history["x"][:-1])


def test_model_minimum_reads_a_smooth_minimum_and_refuses_anything_else():
    from rover_envs.grid import offsets
    from rover_envs.metric import model_minimum

    o = offsets(7)
    u, v = np.meshgrid(o, o, indexing="ij")
    bowl = 3.0 * (u - 0.7) ** 2 + (u - 0.7) * (v + 1.2) + 2.0 * (v + 1.2) ** 2 + 5.0
    z, drop = model_minimum(bowl)
    np.testing.assert_allclose(z, [0.7, -1.2], atol=1e-12)
    np.testing.assert_allclose(drop, bowl[3, 3] - 5.0, rtol=1e-12)  # from the centre to the minimum
    assert model_minimum(bowl + 0.05 * np.sin(5.0 * u)) is None  # ripples: the quadratic does not explain it
    assert model_minimum(u**2 - v**2) is None  # a saddle
    assert model_minimum((u - 4.0) ** 2 + v**2) is None  # the minimum lies beyond the grid
    assert model_minimum(np.ones((7, 7))) is None  # no variation
    assert model_minimum(np.where(u == 0, np.nan, bowl)) is None
    assert model_minimum(u + v) is None  # a slope: no curvature stands out


def test_stalled_is_a_flat_grid_or_a_model_with_nothing_lower_to_offer():
    from agents.rover import stalled

    assert stalled(np.full(49, 2.0), None, 0.0)  # flat: spans nothing
    assert stalled(np.array([1.0, np.nextafter(1.0, 2.0)]), None, 0.0)  # one unit in the last place
    assert not stalled(np.array([1.0, 1.0 + 4e-16]), None, 0.0)
    assert stalled(np.array([1.0, 2.0]), (np.zeros(2), 1e-17), 1e-16)  # the model falls by less than tol
    assert not stalled(np.array([1.0, 2.0]), (np.zeros(2), 1e-15), 1e-16)
    assert not stalled(np.array([np.nan, 1.0]), None, 1.0)  # never with a non-finite sample


def test_finish_model_converges_early_and_restart_spends_the_rest_in_another_basin():
    from agents.rover import RoverDescent

    rover = RoverDescent.pretrained()
    box, x0 = np.array([[-5.0, 5.0], [-5.0, 5.0]]), np.array([-3.0, 3.2])
    kw = {"bounds": box, "vectorized": True, "max_evals": 1471}
    kw |= {"finish": "none", "ftol": 0, "restart": "none"}  # the options one at a time
    bowl = lambda x: np.sum((np.atleast_2d(x) - np.array([1.3, -0.7])) ** 2, axis=-1)  # noqa: E731
    shipped = rover.minimize(bowl, x0, **kw)
    model = rover.minimize(
        bowl, x0, **(kw | {"finish": "model"})
    )  # at the minimum sooner (here xtol stops it)
    assert model.fun <= shipped.fun and model.fun <= 1e-20 and model.nfev <= shipped.nfev == 1471
    first = shipped.history["resolution"][0]
    early = int(np.sum(shipped.history["resolution"] > 1e-3 * first))  # before SHRINK_AFTER: the same
    np.testing.assert_array_equal(model.history["x"][:early], shipped.history["x"][:early])
    stops = rover.minimize(bowl, x0, **(kw | {"finish": "model", "ftol": 1e-16}))  # knows when it is done
    assert (
        stops.success
        and "nothing lower to gain (ftol)" in stops.message
        and stops.nfev < 1200
        and stops.fun <= 1e-20
    )
    # among rival wells: the first schedule finishes its well early, a second from the design finds
    # the global one
    from rover_envs.landscapes import make

    found = make("peaks", rng=26)
    fun = lambda x: found(np.atleast_2d(x))  # noqa: E731
    alone = rover.minimize(fun, np.array([3.0, -2.0]), **kw)
    # the shipped default: all three on (explore, which parks this first well, pinned off)
    shipped_kw = {"bounds": box, "vectorized": True, "max_evals": 1471, "explore": 0}
    again = rover.minimize(fun, np.array([3.0, -2.0]), **shipped_kw)
    explicit = {"finish": "model", "ftol": 1e-16, "restart": "converged"}
    np.testing.assert_array_equal(
        rover.minimize(fun, np.array([3.0, -2.0]), **shipped_kw, **explicit).history["x"], again.history["x"]
    )
    assert again.nfev <= alone.nfev == 1471 and "restart(s) from the design" in again.message
    assert alone.fun > found.minimum[1] + 1.0 and again.fun - found.minimum[1] < 1e-12
    for bad, match in (("newton", "unknown finish"), (-1.0, "ftol"), (float("inf"), "ftol"), (True, "ftol")):
        with pytest.raises(ValueError, match=match):
            rover.minimize(
                bowl, x0, **(kw | ({"finish": bad} if match == "unknown finish" else {"ftol": bad}))
            )
    with pytest.raises(ValueError, match="2-D only"):
        rover.minimize(lambda x: float(np.sum(np.square(x))), np.ones(4), finish="model", max_iter=2)
    with pytest.raises(ValueError, match="2-D only"):
        rover.minimize(lambda x: float(np.sum(np.square(x))), np.ones(4), ftol=1e-16, max_iter=2)


def test_restart_distance_keeps_restarts_farther_from_where_schedules_ended():
    from agents.rover import (
        RESTART_DISTANCE,
        SHIPPED_RESTART_DISTANCE,
        RoverDescent,
        next_start,
        restart_point,
    )

    points = np.array([[0.0, 0.0], [1.5, 0.0], [3.0, 0.0]])
    values = np.array([0.0, 1.0, 2.0])
    np.testing.assert_array_equal(next_start(points, values, [np.zeros(2)], 10.0), [1.5, 0.0])
    np.testing.assert_array_equal(next_start(points, values, [np.zeros(2)], 10.0, 0.2), [3.0, 0.0])
    assert next_start(points, values, [np.zeros(2)], 10.0, 0.4) is None
    wells = np.array([-1.0, -0.5, -0.9])  # the best point alone; the far one nearly as low
    np.testing.assert_array_equal(restart_point(points, wells, np.zeros(2), -1.0, 10.0, 0.2), [3.0, 0.0])
    rover = RoverDescent.pretrained()
    assert rover.bounded_policy.restart_distance == SHIPPED_RESTART_DISTANCE == 2 * RESTART_DISTANCE == 0.2
    assert RoverDescent.pretrained(settings="trained").bounded_policy.restart_distance == RESTART_DISTANCE
    box, x0 = np.array([[-5.0, 5.0], [-5.0, 5.0]]), np.array([3.0, -2.0])
    bowl = lambda x: np.sum((np.atleast_2d(x) - 1.0) ** 2, axis=-1)  # noqa: E731
    kw = {"bounds": box, "vectorized": True, "max_evals": 1471}
    np.testing.assert_array_equal(
        rover.minimize(bowl, x0, restart_distance=0.2, **kw).history["x"],
        rover.minimize(bowl, x0, **kw).history["x"],
    )
    from rover_envs.landscapes import make

    f = make("styblinski_tang")  # the second schedule converges with no iteration left: still counted
    start = np.asarray(f.hard_start, dtype=float)
    res = rover.minimize(f, start, bounds=f.bounds, vectorized=True, abandon="none", explore=0)
    assert res.success and res.message.endswith("after 1 restart(s) from the design")
    for bad in (0.0, 1.5, True, "0.2", float("nan")):
        with pytest.raises(ValueError, match="restart_distance"):
            rover.minimize(bowl, x0, restart_distance=bad, **kw)


def test_hopeless_reads_a_basin_that_bottoms_out_above_the_best_value():
    from agents.rover import hopeless

    o = np.linspace(-3.0, 3.0, 7)
    u, v = np.meshgrid(o, o, indexing="ij")
    bowl = 5.0 + 0.01 * ((u - 0.5) ** 2 + (v + 1.0) ** 2)  # bottoms out at 5 inside the grid
    assert hopeless(bowl, best=1.0)
    assert not hopeless(bowl, best=5.0)  # the margin: its own span below the model's bottom
    assert not hopeless(bowl, best=6.0)
    assert not hopeless(5.0 + u, best=1.0)  # a slope: no bottom inside the grid
    assert not hopeless(5.0 + 0.01 * ((u - 9.0) ** 2 + v**2), best=1.0)  # its bottom beyond the grid
    assert not hopeless(bowl + 0.05 * np.cos(7.0 * u), best=1.0)  # ripples: the quadratic does not fit
    assert not hopeless(np.where(u > 2.5, np.nan, bowl), best=1.0)


def test_abandon_gives_a_worse_basin_iterations_to_a_restart():
    from agents.rover import ABANDONED, RoverDescent
    from rover_envs.landscapes import make

    rover = RoverDescent.pretrained()
    assert rover.bounded_policy.abandon == "model" and rover.policy.abandon == "none"
    assert RoverDescent.pretrained(settings="trained").bounded_policy.abandon == "none"
    found = make("peaks", rng=32)
    fun = lambda x: found(np.atleast_2d(x))  # noqa: E731
    x0, kw = (
        np.array([3.0, -2.0]),
        {"bounds": np.array([[-5.0, 5.0]] * 2), "vectorized": True, "max_evals": 1471},
    )
    runs = rover.minimize(fun, x0, abandon="none", **kw)
    gives_up = rover.minimize(fun, x0, abandon="model", **kw)
    np.testing.assert_array_equal(  # the shipped default
        rover.minimize(fun, x0, **kw).history["x"], gives_up.history["x"]
    )
    assert ABANDONED in gives_up.message and "restart(s) from the design" in gives_up.message
    assert runs.fun - found.minimum[1] > 1.0 and gives_up.fun - found.minimum[1] < 1e-3
    # the same path until the first schedule would have been given up
    same = int(np.argmax(np.any(runs.history["x"] != gives_up.history["x"], axis=1)))
    assert same > 5
    for bad, match in (("greedy", "unknown abandon"), ("model", "restart='converged'")):
        with pytest.raises(ValueError, match=match):
            rover.minimize(fun, x0, abandon=bad, **(kw | ({"restart": "none"} if bad == "model" else {})))
    with pytest.raises(ValueError, match="restart='converged'"):  # pairs of dimensions run no restarts
        rover.minimize(lambda x: float(np.sum(np.square(x))), np.ones(4), abandon="model", max_iter=2)


def test_lopsided_is_a_steeper_bowl_on_one_side_with_its_minimum_at_the_origin():
    import gymnasium

    from rover_envs.landscapes import make

    f = make("lopsided", rng=3)
    assert f.minimum[1] == 0.0 and float(f(np.zeros(2))) == 0.0
    x = np.random.default_rng(0).normal(size=(6, 2))
    assert np.all(f(x) > 0)
    eps = 1e-6
    g = np.stack([(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in np.eye(2)], -1)
    np.testing.assert_allclose(f.grad(x), g, rtol=1e-6, atol=1e-8)
    h = np.stack([(f.grad(x + eps * e) - f.grad(x - eps * e)) / (2 * eps) for e in np.eye(2)], -1)
    np.testing.assert_allclose(f.hessian(x), h, rtol=1e-5, atol=1e-6)
    axis = f.rotation[np.argmax(f.steep)]  # along its steeper axis, one side rises faster
    assert f(0.1 * axis) > 10.0 * f(-0.1 * axis)
    np.testing.assert_array_equal(make("lopsided", rng=3)(x), f(x))  # same seed, same bowl
    with pytest.raises(ValueError, match="validation landscape"):
        gymnasium.make("RoverLandscape-v0", family="lopsided")


def test_descend_halves_a_schedule_stalled_at_a_wide_zoom():
    from agents.rover import RoverDescent
    from rover_envs.landscapes import make

    rover = RoverDescent.pretrained()
    found = make("lopsided", rng=11)
    fun = lambda x: found(np.atleast_2d(x) - np.array([1.3, -0.7]))  # noqa: E731
    x0, kw = (
        np.array([3.0, -2.0]),
        {"bounds": np.array([[-5.0, 5.0]] * 2), "vectorized": True, "max_evals": 1471, "descend_at": 0.5},
    )  # descend at half the cap, as first adopted (SHIPPED_DESCEND_AT: a quarter)
    off, on = rover.minimize(fun, x0, descend=0, **kw), rover.minimize(fun, x0, descend=3, **kw)
    np.testing.assert_array_equal(
        rover.minimize(fun, x0, **kw).history["x"], on.history["x"]
    )  # shipped count
    assert rover.bounded_policy.descend == 3 and rover.policy.descend == 0
    assert RoverDescent.pretrained(settings="trained").bounded_policy.descend == 0
    assert off.fun > 0.1 and on.fun < 1e-3  # the actor holds its grid wider than the basin's bottom
    first = int(np.argmax(off.history["resolution"] != on.history["resolution"]))
    assert first > 3  # the same path until the stall, then one schedule that halves to the end
    np.testing.assert_array_equal(on.history["x"][:first], off.history["x"][:first])
    assert "restart" not in on.message and np.all(np.diff(on.history["resolution"][first - 1 :]) < 0)
    free = {"vectorized": True, "max_iter": 12}  # no bounds, no zoom cap: nothing to stall against
    np.testing.assert_array_equal(
        rover.minimize(fun, x0, descend=3, **free).history["x"],
        rover.minimize(fun, x0, descend=0, **free).history["x"],
    )
    for bad in (-1, 1.5, True, "3"):
        with pytest.raises(ValueError, match="descend"):
            rover.minimize(fun, x0, descend=bad, **kw)
    with pytest.raises(ValueError, match="2-D only"):
        rover.minimize(lambda x: float(np.sum(np.square(x))), np.ones(4), descend=3, max_iter=2)


def test_explore_parks_a_located_basin_and_resumes_it_for_the_last_iterations():
    from agents.rover import EXPLORE_RESERVE, RoverDescent

    rover = RoverDescent.pretrained()
    assert rover.bounded_policy.explore == 0.01 and rover.policy.explore == 0.0
    assert RoverDescent.pretrained(settings="trained").bounded_policy.explore == 0.0
    fun = lambda x: np.sum((np.atleast_2d(x) - [1.0, -0.5]) ** 2 * [1.0, 3.0], axis=-1)  # noqa: E731
    x0, kw = (
        np.array([3.0, -2.0]),
        {"bounds": np.array([[-5.0, 5.0]] * 2), "vectorized": True, "max_evals": 1471},
    )
    off, on = rover.minimize(fun, x0, explore=0, **kw), rover.minimize(fun, x0, explore=0.01, **kw)
    np.testing.assert_array_equal(rover.minimize(fun, x0, **kw).history["x"], on.history["x"])  # shipped
    x, delta = on.history["x"], on.history["resolution"]
    parked = int(np.argmax(np.any(off.history["x"] != x, axis=1))) - 1  # the last iterate before the restart
    assert parked > 5 and delta[parked] < 0.01 * delta[0]  # located: its grid fits a bowl, zoomed in
    np.testing.assert_array_equal(x[: parked + 1], off.history["x"][: parked + 1])
    assert delta[parked + 1] == delta[0]  # a restart from the design, at the first resolution
    # with EXPLORE_RESERVE iterations left the parked schedule, lower than the running one, resumes
    resumed = len(x) - 1 - EXPLORE_RESERVE
    np.testing.assert_array_equal(x[resumed], x[parked])
    assert delta[resumed] == delta[parked] and delta[resumed - 1] > delta[parked]
    assert on.fun <= off.fun and "2 restart(s)" in on.message
    for bad in (-0.1, np.inf, True, "0.01"):
        with pytest.raises(ValueError, match="explore"):
            rover.minimize(fun, x0, explore=bad, **kw)
    with pytest.raises(ValueError, match="restart='converged'"):
        rover.minimize(fun, x0, explore=0.01, restart="none", **kw)
    with pytest.raises(ValueError, match="restart='converged'"):  # pairs of dimensions run no restarts
        rover.minimize(lambda x: float(np.sum(np.square(x))), np.ones(4), explore=0.01, max_iter=2)


def test_descend_at_sets_the_zoom_above_which_a_stall_halves():
    from agents.rover import DESCEND_AT, SHIPPED_DESCEND_AT, RoverDescent
    from rover_envs.landscapes import make

    rover = RoverDescent.pretrained()
    assert (
        rover.bounded_policy.descend_at == SHIPPED_DESCEND_AT == 0.25
        and rover.policy.descend_at == DESCEND_AT
    )
    assert RoverDescent.pretrained(settings="trained").bounded_policy.descend_at == DESCEND_AT == 0.5
    found = make("lopsided", rng=4)
    fun = lambda x: found(np.atleast_2d(x) - np.array([1.3, -0.7]))  # noqa: E731
    x0, kw = (
        np.array([3.0, -2.0]),
        {"bounds": np.array([[-5.0, 5.0]] * 2), "vectorized": True, "max_evals": 1471},
    )
    half, quarter = (
        rover.minimize(fun, x0, descend_at=0.5, **kw),
        rover.minimize(fun, x0, descend_at=0.25, **kw),
    )
    np.testing.assert_array_equal(rover.minimize(fun, x0, **kw).history["x"], quarter.history["x"])  # shipped
    first = int(np.argmax(half.history["resolution"] != quarter.history["resolution"]))
    assert first > 3  # the same path until a stall between a quarter and half of the cap
    np.testing.assert_array_equal(half.history["x"][:first], quarter.history["x"][:first])
    assert quarter.fun < 1e-3 < 1e-2 < half.fun
    for bad in (-0.1, 1.5, True, "0.25", np.nan):
        with pytest.raises(ValueError, match="descend_at"):
            rover.minimize(fun, x0, descend_at=bad, **kw)


def test_revisit_point_takes_the_lowest_left_point_away_from_every_end():
    from agents.rover import revisit_point

    left = [(1.0, np.array([0.0, 0.0]), 0.2, 0.4), (0.5, np.array([1.0, 0.0]), 0.2, 0.4)]
    assert revisit_point(left, [np.array([1.1, 0.0])])[0] == 1.0  # the lower one lies by an end
    assert len(left) == 1 and revisit_point(left, [np.array([1.1, 0.0])]) is None
    assert revisit_point(left, [np.array([3.0, 0.0])])[0] == 0.5 and left == []


def test_revisit_goes_back_into_the_ripple_a_run_jumped_out_of():
    from agents.rover import REVISIT_ZOOM, RoverDescent
    from experiments.bounded import problems

    rover = RoverDescent.pretrained()
    assert rover.bounded_policy.revisit == 0 and rover.policy.revisit == 0
    (f, f_star, bounds, x0), *_ = problems("multiscale", 1, 11, box="domain")  # a bowl under ripples
    fun = lambda x: f(np.atleast_2d(x))  # noqa: E731
    kw = {"bounds": bounds, "vectorized": True, "seek": "none"}  # the revisit alone, without the hop
    off, on = rover.minimize(fun, x0, revisit=0, **kw), rover.minimize(fun, x0, revisit=1, **kw)
    np.testing.assert_array_equal(rover.minimize(fun, x0, **kw).history["x"], off.history["x"])
    np.testing.assert_array_equal(rover.minimize(fun, x0, revisit=1, **kw).history["x"], on.history["x"])
    assert on.fun - f_star < 1e-12 < 1e-3 < off.fun - f_star  # off ends in a neighbouring ripple
    first = int(np.argmax(np.any(off.history["x"] != on.history["x"], axis=1)))
    delta = on.history["resolution"]
    assert first > 3 and any(np.isclose(delta[first], REVISIT_ZOOM * d) for d in delta[:first])
    for bad in (-1, 1.5, True, "1"):
        with pytest.raises(ValueError, match="revisit"):
            rover.minimize(fun, x0, revisit=bad, **kw)
    with pytest.raises(ValueError, match="restart='converged'"):
        rover.minimize(fun, x0, revisit=1, restart="none", **kw)


def test_model_bottom_finds_the_bowl_under_the_ripples():
    from agents.rover import model_bottom

    bounds = np.array([[-5.0, 5.0], [-5.0, 5.0]])
    points = np.random.default_rng(0).uniform(-5.0, 5.0, (200, 2))
    bowl = (points[:, 0] - 1.0) ** 2 + 2.0 * (points[:, 1] + 2.0) ** 2
    ripples = 3.0 * np.cos(7.0 * points[:, 0])
    found = model_bottom(points, bowl + ripples, np.ones(200), bounds)
    np.testing.assert_allclose(found, [1.0, -2.0], atol=0.1)
    values = bowl + ripples
    values[:50] = np.nan  # left out
    np.testing.assert_allclose(model_bottom(points, values, np.ones(200), bounds), [1.0, -2.0], atol=0.1)
    # the weights: a crowd of fine samples in a far-off ripple weighs no more than the area it covers
    crowd = np.array([4.0, 4.0]) + np.random.default_rng(1).uniform(-0.05, 0.05, (400, 2))
    dip = np.sum((crowd - 4.0) ** 2, axis=1) - 5.0  # a deep narrow well off the bowl
    both = np.vstack([points, crowd])
    valued = np.concatenate([bowl, dip])
    unweighted = model_bottom(both, valued, np.ones(600), bounds)
    weighted = model_bottom(both, valued, np.concatenate([np.full(200, 0.5), np.full(400, 1e-6)]), bounds)
    assert np.linalg.norm(weighted - [1.0, -2.0]) < 0.05
    assert unweighted is None or np.linalg.norm(unweighted - [1.0, -2.0]) > 0.5  # the crowd decides it
    np.testing.assert_allclose(
        model_bottom(points, (points[:, 0] - 9.0) ** 2 + points[:, 1] ** 2, np.ones(200), bounds),
        [5.0, 0.0],
        atol=1e-9,
    )  # clipped into the box
    assert model_bottom(points, -bowl, np.ones(200), bounds) is None  # not convex
    assert model_bottom(points, bowl + ripples, np.ones(200), bounds, r2=0.8) is not None  # a bowl
    wells = -np.exp(-np.sum((points[:, None] - [[-3.0, 3.0], [3.0, 3.0], [0.0, -3.0]]) ** 2, axis=-1)).sum(1)
    assert model_bottom(points, wells + 0.01 * bowl, np.ones(200), bounds, r2=0.8) is None  # unrelated wells
    assert model_bottom(points[:5], bowl[:5], np.ones(5), bounds) is None  # too few


def test_seek_restarts_at_the_bowls_bottom_where_it_is_lower():
    from agents.rover import RoverDescent
    from experiments.bounded import problems

    rover = RoverDescent.pretrained()
    assert rover.bounded_policy.seek == "grid" and rover.policy.seek == "none"  # SHIPPED_SEEK, bounded only
    assert RoverDescent.pretrained(settings="trained").bounded_policy.seek == "none"
    f, f_star, bounds, x0 = problems("multiscale", 30, 12, box="domain")[29]  # a bowl under ripples
    fun = lambda x: f(np.atleast_2d(x))  # noqa: E731

    kw = {"bounds": bounds, "vectorized": True}
    off = rover.minimize(fun, x0, seek="none", **kw)
    on = rover.minimize(fun, x0, seek="model", **kw)
    assert on.fun - f_star < 1e-12 < 1e-3 < off.fun - f_star  # off ends in a neighbouring ripple
    assert 1 <= on.nfev - off.nfev <= 3  # one evaluation per restart that sought (30 iterations each)
    np.testing.assert_array_equal(rover.minimize(fun, x0, seek="model", **kw).history["x"], on.history["x"])
    for bad in ("bowl", 1, True):
        with pytest.raises(ValueError, match="seek"):
            rover.minimize(fun, x0, seek=bad, **kw)
    with pytest.raises(ValueError, match="restart='converged'"):
        rover.minimize(fun, x0, seek="model", restart="none", **kw)


def test_seek_grid_hops_to_the_bowls_bottom_at_the_zoom_that_saw_a_basin():
    from agents.rover import RoverDescent, default_bounded_policy_path
    from experiments.bounded import problems
    from experiments.plots import hop_starts

    rover = RoverDescent.pretrained()
    (f, f_star, bounds, x0), *_ = problems("multiscale", 1, 11, box="domain")  # a bowl under ripples
    fun = lambda x: f(np.atleast_2d(x))  # noqa: E731
    kw = {"bounds": bounds, "vectorized": True}
    off, on = rover.minimize(fun, x0, seek="none", **kw), rover.minimize(fun, x0, seek="grid", **kw)
    assert on.fun - f_star < 1e-12 < 1e-3 < off.fun - f_star  # off ends in a neighbouring ripple
    np.testing.assert_array_equal(rover.minimize(fun, x0, **kw).history["x"], on.history["x"])  # shipped
    # once, at a zoom an earlier schedule had, not at a design restart's first
    assert len(hop_starts(on.history["resolution"])) == 1 and not hop_starts(off.history["resolution"])
    with pytest.raises(ValueError, match="restart='converged'"):
        rover.minimize(fun, x0, seek="grid", restart="none", **kw)
    # with_seek: the same weights without the hop by default, for a measurement
    plain = RoverDescent.pretrained().with_seek("none")
    assert plain.bounded_policy.seek == "none" and plain.with_seek(None).bounded_policy.seek == "none"
    np.testing.assert_array_equal(plain.minimize(fun, x0, **kw).history["x"], off.history["x"])
    single = RoverDescent.pretrained(default_bounded_policy_path(), settings="shipped")  # one policy
    assert single.bounded_policy is None and single.with_seek("model").policy.seek == "model"
    with pytest.raises(ValueError, match="unknown seek 'bowl'"):
        single.with_seek("bowl")


def test_the_adjacent_figure_draws_a_miss_next_to_the_minimum(tmp_path):
    from experiments.plots import adjacent_figure

    path = adjacent_figure(tmp_path, count=1)
    assert path.name == "adjacent.png" and path.stat().st_size > 0
    with pytest.raises(ValueError, match="no adjacent miss"):
        adjacent_figure(tmp_path, search=0)


def test_the_hop_figure_draws_a_run_the_hop_solves(tmp_path):
    from experiments.plots import hop_figure, hop_starts

    # a design restart starts at the first zoom, a hop at an earlier schedule's narrower one
    assert hop_starts([1.0, 0.5, 0.25, 1.0, 0.5, 0.1, 0.5, 0.25]) == [6]
    assert hop_starts([1.0, 0.5, 0.25, 0.125]) == []
    path = hop_figure(tmp_path, count=1)
    assert path.name == "hop.png" and path.stat().st_size > 0
    with pytest.raises(ValueError, match="no run the hop solves"):
        hop_figure(tmp_path, search=0)
