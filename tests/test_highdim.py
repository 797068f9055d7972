"""Rover Descent over pairs of dimensions (paper section 3.3): strategies, eqs. 8-10, the loop."""

import numpy as np
import pytest

from agents import RoverDescent
from agents.pairs import AllPairs, Blocks, PerDimension, RandomPairs, combine, normalise_pairs, resolve
from rover_envs.landscapes import make

EQ4_POLICY = "agents/pretrained/rover_eq4.pt"


@pytest.fixture(scope="module")
def rover():
    return RoverDescent.pretrained()


# -- strategies ------------------------------------------------------------------------------------
def test_all_pairs_and_random_pairs_draw_what_they_say():
    rng = np.random.default_rng(0)
    assert AllPairs()(rng, 5).tolist() == [[i, j] for i in range(5) for j in range(i + 1, 5)]
    pairs = RandomPairs(4)(rng, 30)
    dims = np.unique(pairs)
    assert len(pairs) == 6 and len(dims) == 4 and np.all(pairs[:, 0] < pairs[:, 1])
    assert {tuple(p) for p in pairs} == {(a, b) for a in dims for b in dims if a < b}


@pytest.mark.parametrize("l", [1, 3])
def test_per_dimension_moves_every_coordinate_and_blocks_stay_within_groups(l):
    rng = np.random.default_rng(1)
    raw = PerDimension(l)(rng, 12)
    assert raw.shape == (12 * l, 2) and np.all(raw[:, 0] != raw[:, 1])
    assert np.all(np.bincount(raw[:, 0], minlength=12) == l)  # every coordinate picks l partners
    for a in range(12):  # ... all different
        assert len(set(raw[raw[:, 0] == a, 1])) == l
    groups = [np.arange(0, 5), np.arange(5, 12)]
    pairs = normalise_pairs(Blocks(groups, l)(rng, 12), 12)
    group_of = np.repeat([0, 1], [5, 7])
    assert np.all(group_of[pairs[:, 0]] == group_of[pairs[:, 1]])
    assert set(np.unique(pairs)) == set(range(12))


def test_strategies_are_seeded():
    for strategy in (RandomPairs(3), PerDimension(2), Blocks([range(4), range(4, 9)], 2)):
        a = strategy(np.random.default_rng(7), 9)
        b = strategy(np.random.default_rng(7), 9)
        c = strategy(np.random.default_rng(8), 9)
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)


def test_normalise_pairs_merges_duplicates_and_orders_each_pair():
    out = normalise_pairs(np.array([[3, 1], [1, 3], [0, 2], [2, 0], [1, 4]]), 5)
    assert out.tolist() == [[1, 3], [0, 2], [1, 4]]


def test_combine_is_the_least_squares_solution_of_eq_8():
    rng = np.random.default_rng(2)
    d = 7
    pairs = normalise_pairs(PerDimension(2)(rng, d), d)
    steps = rng.normal(size=(len(pairs), 2))
    rows, rhs = [], []
    for (i, j), s in zip(pairs, steps):  # E_ij^T dtheta = s, two equations per pair
        for coord, value in ((i, s[0]), (j, s[1])):
            e = np.zeros(d)
            e[coord] = 1.0
            rows.append(e)
            rhs.append(value)
    expected = np.linalg.lstsq(np.array(rows), np.array(rhs), rcond=None)[0]
    np.testing.assert_allclose(combine(pairs, steps, d), expected, atol=1e-12)
    # all pairs among k coordinates: eq. 10's 1/(k-1) normalisation
    k_pairs = AllPairs()(rng, 4)
    k_steps = rng.normal(size=(6, 2))
    total = np.zeros(4)
    for (i, j), s in zip(k_pairs, k_steps):
        total[i] += s[0]
        total[j] += s[1]
    np.testing.assert_allclose(combine(k_pairs, k_steps, 4), total / 3)
    assert combine(np.array([[0, 1]]), np.ones((1, 2)), 3)[2] == 0.0  # a coordinate in no pair stays


# -- the optimiser ------------------------------------------------------------------------------------
@pytest.mark.parametrize("policy", [None, EQ4_POLICY], ids=["shipped", "eq4"])
@pytest.mark.parametrize("move", ["eq4", "keep", "best_sample"])
def test_two_dimensions_with_all_pairs_is_the_2d_optimiser_value_for_value(policy, move):
    """On the square grid, without the zoom guard, clipped, from the default rule's first grid and
    without an initial design (pairs of dimensions never adapt the grid's shape, rover_envs.metric,
    nor guard the zoom, rover_envs.transition.guard_actions, nor draw a design, and always clip and
    start at RESOLUTION_SCALE)."""
    rover = RoverDescent.pretrained(policy)
    f = make("rosenbrock")
    kw = {"bounds": f.bounds, "vectorized": True, "move": move}
    square = {"metric": "none", "guard": "none", "boundary": "clip", "initial_samples": 0}
    a = rover.minimize(
        f, [-1.2, 1.0], **kw, **square, resolution=rover.initial_schedule([-1.2, 1.0], f.bounds)[1]
    )
    b = rover.minimize(f, [-1.2, 1.0], **kw, pairs=AllPairs())
    assert a.fun == b.fun and a.nfev == b.nfev and a.message == b.message
    for key in ("x", "fun", "step_size", "resolution"):
        np.testing.assert_array_equal(a.history[key], b.history[key])


def _quadratic(d, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(d, d))
    Q = A.T @ A / d + 0.1 * np.eye(d)
    return lambda X: 0.5 * np.einsum("ni,ij,nj->n", np.atleast_2d(X), Q, np.atleast_2d(X))


def test_one_batched_evaluation_per_iteration_and_nfev_counts_every_point(rover):
    d, shapes = 12, []
    f = _quadratic(d)

    def fun(X):
        shapes.append(X.shape)
        return f(X)

    res = rover.minimize(fun, np.ones(d), vectorized=True, max_iter=5, pairs=RandomPairs(4), seed=0)
    # best_sample: per iteration the grids in one call, then the combined step's end point; the
    # last iterate is scored at the end
    assert shapes == [(6 * 49, d), (1, d)] * 5 + [(1, d)]
    assert res.nfev == sum(s[0] for s in shapes) == 5 * (6 * 49 + 1) + 1
    assert res.fun < f(np.ones(d))[0]


def test_high_dimensional_runs_descend_and_are_seeded(rover):
    d = 20
    f = _quadratic(d, 3)
    x0 = np.ones(d)
    for pairs in (None, "per_dimension", Blocks([range(10), range(10, 20)], 2)):
        a = rover.minimize(f, x0, vectorized=True, max_iter=30, pairs=pairs, seed=4)
        b = rover.minimize(f, x0, vectorized=True, max_iter=30, pairs=pairs, seed=4)
        assert a.fun < 0.2 * f(x0)[0], pairs
        assert a.fun == b.fun and np.array_equal(a.x, b.x)
    c = rover.minimize(f, x0, vectorized=True, max_iter=30, seed=5)
    assert c.fun != a.fun or not np.array_equal(c.x, a.x)


def test_bad_pairs_and_dimensions_are_clear_errors(rover):
    f = _quadratic(6)
    x0 = np.ones(6)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        rover.minimize(lambda x: float(x[0] ** 2), [1.0])
    with pytest.raises(ValueError, match="unknown pairs 'diagonal'"):
        rover.minimize(f, x0, vectorized=True, pairs="diagonal")
    with pytest.raises(ValueError, match="needs the groups"):
        rover.minimize(f, x0, vectorized=True, pairs="blocks")
    with pytest.raises(ValueError, match=r"k <= d"):
        rover.minimize(f, x0, vectorized=True, pairs=RandomPairs(7))
    with pytest.raises(ValueError, match="do not cover coordinates \\[5\\]"):
        rover.minimize(f, x0, vectorized=True, pairs=Blocks([range(3), range(3, 5)]))
    with pytest.raises(ValueError, match="overlap"):
        rover.minimize(f, x0, vectorized=True, pairs=Blocks([range(4), range(3, 6)]))
    with pytest.raises(ValueError, match=r"\(m, 2\) integer array"):
        rover.minimize(f, x0, vectorized=True, pairs=lambda rng, d: np.arange(d))
    with pytest.raises(ValueError, match="two different coordinates"):
        rover.minimize(f, x0, vectorized=True, pairs=lambda rng, d: np.array([[1, 1]]))
    with pytest.raises(ValueError, match="one combined move"):
        rover.minimize(f, x0, vectorized=True, move="actor")
    with pytest.raises(ValueError, match="integer >= 2"):
        RandomPairs(1)
    with pytest.raises(ValueError, match="must be a strategy name"):
        resolve(3)


def test_strategy_names_take_their_defaults_for_the_problems_dimension(rover):
    assert (
        repr(resolve("random", 6)) == "RandomPairs(k=6)"
        and repr(resolve("random", 50)) == "RandomPairs(k=10)"
    )
    assert (
        repr(resolve("per_dimension", 6)) == "PerDimension(l=1)" and repr(resolve("all", 6)) == "AllPairs()"
    )
    f = _quadratic(6)
    named = rover.minimize(f, np.ones(6), vectorized=True, max_iter=3, pairs="random", seed=1)
    default = rover.minimize(f, np.ones(6), vectorized=True, max_iter=3, seed=1)
    assert named.nfev == default.nfev and np.array_equal(named.x, default.x)


def test_a_users_callable_draws_the_pairs(rover):
    f = _quadratic(5)
    res = rover.minimize(f, np.ones(5), vectorized=True, max_iter=3, pairs=lambda rng, d: np.array([[0, 4]]))
    assert np.array_equal(res.x[1:4], np.ones(3))  # only coordinates 0 and 4 ever move
    assert res.fun < f(np.ones(5))[0]


# -- PyTorch models ------------------------------------------------------------------------------------
def test_module_objective_is_the_models_loss_batched_with_layer_groups(rover):
    import torch
    from torch import nn

    from agents.torch_objective import ModuleObjective

    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 10), nn.ReLU(), nn.Linear(10, 10), nn.ReLU(), nn.Linear(10, 3))
    X, y = torch.randn(40, 4), torch.randint(0, 3, (40,))
    obj = ModuleObjective(net, nn.functional.cross_entropy, X, y, chunk=3)
    assert obj.dim == 4 * 10 + 10 + 10 * 10 + 10 + 10 * 3 + 3 == 193  # the paper's Iris network
    with torch.no_grad():
        loss0 = float(nn.functional.cross_entropy(net(X), y))
    assert obj(obj.x0)[0] == pytest.approx(loss0, rel=1e-6)
    P = obj.x0 + np.random.default_rng(0).normal(0, 0.1, (7, obj.dim))
    one_by_one = [obj(p)[0] for p in P]
    np.testing.assert_allclose(obj(P), one_by_one, rtol=1e-5)  # chunks of 3 = one at a time
    groups = obj.groups()
    assert [len(g) for g in groups] == [50, 110, 33]
    np.testing.assert_array_equal(np.sort(np.concatenate(groups)), np.arange(193))
    res = rover.minimize(obj, obj.x0, vectorized=True, max_iter=3, pairs=Blocks(groups, 1), seed=0)
    assert res.fun < obj(obj.x0)[0]
    obj.load(res.x)
    with torch.no_grad():
        assert float(nn.functional.cross_entropy(net(X), y)) == pytest.approx(res.fun, rel=1e-5)
    with pytest.raises(ValueError, match=r"shape \(m, 193\)"):
        obj(np.zeros((2, 5)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_direct_mlp_form_gives_vmaps_losses(dtype):
    import torch
    from torch import nn
    from torch.func import vmap

    from agents.torch_objective import ModuleObjective

    torch.manual_seed(1)
    dt = getattr(torch, dtype)
    net = nn.Sequential(
        nn.Tanh(),
        nn.Linear(4, 6),
        nn.ReLU(),
        nn.Linear(6, 5, bias=False),
        nn.GELU(),
        nn.Linear(5, 3),
        nn.Sigmoid(),
    ).to(dt)
    X, y = torch.randn(30, 4, dtype=dt), torch.randint(0, 3, (30,))
    obj = ModuleObjective(net, nn.functional.cross_entropy, X, y, chunk=4)
    assert obj.fast
    P = obj.x0 + np.random.default_rng(0).normal(0, 0.3, (9, obj.dim))
    fast = obj(P)
    obj._batched = vmap(obj._loss)
    np.testing.assert_allclose(fast, obj(P), rtol=1e-5 if dtype == "float32" else 1e-12)
    obj = ModuleObjective(net, nn.functional.cross_entropy, X, y)
    with torch.no_grad():
        assert obj(obj.x0)[0] == pytest.approx(float(nn.functional.cross_entropy(net(X), y)), rel=1e-6)
    # anything else keeps the general vmap form: a softmax inside, 3-D inputs, a frozen layer
    assert not ModuleObjective(
        nn.Sequential(nn.Linear(4, 3), nn.Softmax(-1)), nn.functional.nll_loss, X, y
    ).fast
    assert not ModuleObjective(
        nn.Sequential(nn.Linear(4, 3)), nn.functional.mse_loss, X[None], X[None, :, :3]
    ).fast
    frozen = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 3)).to(dt)
    frozen[0].weight.requires_grad_(False)
    assert not ModuleObjective(frozen, nn.functional.cross_entropy, X, y).fast


def _few_coordinate_batch(x: np.ndarray, rng: np.random.Generator, groups=None) -> np.ndarray:
    """Rows of x changed in 0-3 coordinates: unchanged rows, single weights and biases, two
    entries of one unit, entries of several layers, and pair grids around x."""
    d = x.size
    rows = [x.copy(), x.copy()]
    for count in (1, 1, 2, 2, 2, 3, 3):
        for _ in range(6):
            r = x.copy()
            r[rng.choice(d, count, replace=False)] += rng.normal(0, 0.5, count)
            rows.append(r)
    if groups is not None:  # two entries within each layer (often the same unit or a bias)
        for g in groups:
            for _ in range(4):
                r = x.copy()
                r[rng.choice(g, 2, replace=False)] += rng.normal(0, 0.5, 2)
                rows.append(r)
    pairs = np.array([[0, 1], [2, d - 1], [d - 2, d - 1]])
    from rover_envs.grid import grid_points

    grids = grid_points(x, np.array([0.1, 0.2, 0.3]), 5, pairs).reshape(-1, d)
    return np.vstack([np.array(rows), grids])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("loss", ["cross_entropy", "CrossEntropyLoss", "mse"])
def test_the_sparse_path_gives_the_dense_losses(dtype, loss):
    """A batch of few-coordinate changes of one vector (Rover Descent's pair grids) evaluated
    from cached activations gives the losses of the full forward passes."""
    import torch
    from torch import nn

    from agents.torch_objective import ModuleObjective, sparse_deviations

    torch.manual_seed(2)
    dt = getattr(torch, dtype)
    net = nn.Sequential(
        nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 5, bias=False), nn.ReLU(), nn.Linear(5, 3), nn.Sigmoid()
    ).to(dt)
    X = torch.randn(30, 4, dtype=dt)
    if loss == "mse":
        fn, y = nn.functional.mse_loss, torch.randn(30, 3, dtype=dt)
    else:
        fn, y = (
            (nn.functional.cross_entropy if loss == "cross_entropy" else nn.CrossEntropyLoss()),
            torch.randint(0, 3, (30,)),
        )
    obj = ModuleObjective(net, fn, X, y, chunk=7)
    assert obj.sparse
    rng = np.random.default_rng(0)
    x = obj.x0 + rng.normal(0, 0.3, obj.dim)
    P = _few_coordinate_batch(x, rng, obj.groups())
    found = sparse_deviations(P)
    assert found is not None and found[1].shape[1] == 3
    np.testing.assert_array_equal(found[0], x)
    sparse = obj(P)
    obj._sparse = None
    dense = obj(P)
    obj._batched = torch.func.vmap(obj._loss)
    general = obj(P)
    tol = 2e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(sparse, general, rtol=tol)
    np.testing.assert_allclose(dense, general, rtol=tol)


def test_sparse_deviations_finds_the_reference_or_declines():
    from agents.torch_objective import sparse_deviations

    rng = np.random.default_rng(1)
    x = rng.normal(size=12)
    P = np.repeat(x[None], 9, axis=0)
    P[1:4, 3] += 1.0  # a minority of rows share a change
    P[5, [0, 7]] += [2.0, -1.0]
    ref, columns, deltas, valid = sparse_deviations(P)
    np.testing.assert_array_equal(ref, x)
    rebuilt = np.repeat(ref[None], 9, axis=0)
    for b, k in zip(*np.nonzero(valid)):
        rebuilt[b, columns[b, k]] += deltas[b, k]
    np.testing.assert_array_equal(rebuilt, P)
    assert valid.sum(axis=1).tolist() == [0, 1, 1, 1, 0, 2, 0, 0, 0]
    assert sparse_deviations(rng.normal(size=(9, 12))) is None  # every coordinate differs
    assert sparse_deviations(x[None]) is None


def test_bench_highdim_runs_and_descends(tmp_path):
    import json

    from experiments import bench_highdim

    out = tmp_path / "bench.json"
    result = bench_highdim.main(["--dims", "12", "--iterations", "2", "--repeats", "1", "--out", str(out)])
    row, iris, dense = result["rows"]
    assert row["nfev"] == 2 * (45 * 49 + 1) + 1 and row["loss_end"] < row["loss_start"]
    assert iris["task"] == "Iris network d=193" and iris["pairs"] == "PerDimension(l=1)"
    assert iris["loss_end"] < iris["loss_start"] and dense["task"] == "Iris network d=193 dense"
    assert dense["loss_end"] == pytest.approx(iris["loss_end"], rel=1e-4)  # the same run, to rounding
    assert 0 < row["loss_seconds"] < row["seconds"] and row["rover_seconds"] > 0
    assert json.loads(out.read_text())["rows"][0]["task"] == "logistic regression d=12"
    rows = bench_highdim.main(["--dims", "12", "--iterations", "1", "--repeats", "1", "--no-iris"])["rows"]
    assert [r["task"] for r in rows] == ["logistic regression d=12"]


def test_the_logistic_loss_is_the_logaddexp_formula_at_every_scale_and_batch_size():
    pytest.importorskip("sklearn")
    from experiments.evaluate_highd import logistic_task

    task = logistic_task(12, 0)
    rng = np.random.default_rng(3)
    outputs = []
    for scale, m in [(0.1, 50), (1.0, 1), (10.0, 7), (1000.0, 50), (1.0, 80)]:
        P = rng.normal(size=(m, 12)) * scale
        expected = np.logaddexp(0.0, -(P @ task.X.T) * task.sign).mean(axis=1) + 0.5 * task.l2 * np.sum(
            P * P, axis=1
        )
        got = task(P)
        np.testing.assert_allclose(got, expected, rtol=1e-14)
        outputs.append((got, expected))
    for got, expected in outputs:  # results do not share the reused buffers
        np.testing.assert_allclose(got, expected, rtol=1e-14)
    assert task(np.zeros(12)).shape == (1,)


@pytest.mark.slow
def test_evaluate_highd_smoke(tmp_path):
    pytest.importorskip("sklearn")
    from experiments import evaluate_highd

    args = ["--out", str(tmp_path), "--starts", "1", "--iris-starts", "1", "--dims", "4", "--datasets", "1"]
    out = evaluate_highd.main([*args, "--iterations", "2"])
    text = (tmp_path / "high_dim.md").read_text()
    assert "## Linear binary classification" in text and "## The Iris network" in text
    assert (tmp_path / "high_dim_logistic.png").is_file() and (tmp_path / "high_dim_iris.png").is_file()
    rows = out["iris"]["runs"]
    assert set(rows) >= {"gd", "adam", "rover blocks l=1", "rover_paper random k=10"}
    assert all(len(r["curve"]) == 3 for runs in rows.values() for r in runs)
    assert (
        out["logistic"][4]["runs"]["rover"][0]["curve"][-1]
        < out["logistic"][4]["runs"]["rover"][0]["curve"][0]
    )
