"""Teachers: gradient, Newton and the best of both with its line search; the grid's quadratic fit."""

import gymnasium as gym
import numpy as np
import pytest

from rover_envs.directions import (
    TEACHERS,
    best_teacher_move,
    make_direction,
)
from rover_envs.landscapes import SharedBatch, make
from rover_envs.landscapes.fields import FieldBatch


def _batch(lands):
    return FieldBatch.of(lands)


def test_teacher_directions_are_unit_and_correct():
    gen = np.random.default_rng(0)
    lands = [make(f, rng=gen) for f in ("quadratic", "valley", "saddle", "plateau_cliff")]
    batch = _batch(lands)
    theta = np.array([l.minimum[0] + gen.normal(size=2) for l in lands])
    x_star = np.array([l.minimum[0] for l in lands])
    for _name, fn in TEACHERS.items():
        d = fn(None, batch, theta, x_star)
        assert d.shape == (4, 2)
        np.testing.assert_allclose(np.linalg.norm(d, axis=1), 1.0)
    g = np.array([l.grad(t) for l, t in zip(lands, theta)])
    np.testing.assert_allclose(
        TEACHERS["gradient"](None, batch, theta, x_star),
        -g / np.linalg.norm(g, axis=1, keepdims=True),
    )
    # Newton on a quadratic points straight at the minimiser
    d = TEACHERS["newton"](None, batch, theta, x_star)[0]
    to_min = (x_star[0] - theta[0]) / np.linalg.norm(x_star[0] - theta[0])
    np.testing.assert_allclose(d, to_min, atol=1e-9)


def test_best_teacher_beats_both_line_searched_teachers():
    gen = np.random.default_rng(1)
    lands = [make("all", rng=gen) for _ in range(40)]
    batch = _batch(lands)
    x_star = np.array([l.minimum[0] for l in lands])
    theta = x_star + gen.normal(scale=3.0, size=(40, 2))
    move = best_teacher_move(batch, theta, x_star)
    f = np.array([l(t) for l, t in zip(lands, theta)])
    after = np.array([l(t + s * d) for l, t, s, d in zip(lands, theta, move.step, move.direction)])
    np.testing.assert_allclose(after, move.value)
    assert np.all(move.value <= f)
    # neither teacher with any step of the search grid does better
    for name in ("gradient", "newton"):
        d = TEACHERS[name](None, batch, theta, x_star)
        scale = np.linalg.norm(theta - x_star, axis=1)
        for k in range(-20, 5):
            trial = np.array([l(t + s * 2.0**k * di) for l, t, s, di in zip(lands, theta, scale, d)])
            assert np.all(move.value <= trial + 1e-12)


def test_best_teacher_picks_newton_on_quadratics_and_gradient_at_saddles():
    q = make("quadratic", rng=0)
    theta = q.minimum[0] + np.array([[2.0, -1.0]])
    move = best_teacher_move(FieldBatch.of([q]), theta, q.minimum[0][None])
    assert move.use_newton[0]
    assert move.value[0] == pytest.approx(q.minimum[1], abs=1e-12)
    # at a saddle point Newton's full step stays put; only gradient descent decreases f
    s = make("saddle", rng=2)
    H = s.hessian(np.zeros(2))
    assert np.linalg.eigvalsh(H)[0] < 0
    theta = np.array([[0.05, -0.03]])
    move = best_teacher_move(FieldBatch.of([s]), theta, s.minimum[0][None])
    assert move.value[0] < s(theta[0])


def test_works_on_analytic_shared_batches():
    f = make("rosenbrock")
    batch = SharedBatch([f, f])
    theta = np.array([[-1.2, 1.0], [0.0, 0.0]])
    move = best_teacher_move(batch, theta, np.ones((2, 2)))
    assert np.all(move.value < f(theta))


def test_unknown_direction():
    with pytest.raises(
        ValueError, match="valid: angle_net, quadratic_fit, gradient, newton, best_teacher, agent"
    ):
        make_direction("up")
    assert make_direction("agent") is None


def test_quadratic_fit_recovers_newton_on_bowls_and_descends_elsewhere():
    from rover_envs.directions import quadratic_fit_direction
    from rover_envs.grid import grid_points, rescale

    rng = np.random.default_rng(0)
    for _ in range(20):  # on a bowl the fit is exact: its Newton direction points at the minimiser
        A = rng.normal(size=(2, 2))
        Q, mu = A @ A.T + 0.1 * np.eye(2), rng.normal(size=2) * 3
        theta = rng.normal(size=(1, 2))
        pts = grid_points(theta, np.array([0.2]), 7)
        values = 0.5 * np.einsum("...i,ij,...j->...", pts - mu, Q, pts - mu)
        d = quadratic_fit_direction(rescale(values)[:, None])
        target = (mu - theta) / np.linalg.norm(mu - theta)
        np.testing.assert_allclose(d, target, atol=1e-6)
    saddle = lambda p: p[..., 0] ** 2 - p[..., 1] ** 2 + 0.5 * p[..., 0]  # noqa: E731
    pts = grid_points(np.zeros((1, 2)), np.array([0.1]), 7)
    d = quadratic_fit_direction(rescale(saddle(pts))[:, None])
    np.testing.assert_allclose(d, [[-1.0, 0.0]], atol=1e-6)  # not definite: steepest descent
    env = gym.make("RoverLandscape-v0", direction="quadratic_fit", family="quadratic")
    for seed in range(5):  # alpha0 < the distance to the minimiser, straight at it: f falls
        _, info = env.reset(seed=seed)
        assert env.step(np.zeros(2))[-1]["f"] < info["f"]
