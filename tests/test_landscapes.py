"""Unit tests of the landscapes: shapes, vectorisation, derivatives, minima, errors."""

import numpy as np
import pytest

from rover_envs import landscapes as L
from rover_envs.landscapes.fields import FieldParams, field_values
from rover_envs.landscapes.minimum import field_minimum

ALL_NAMES = [n for n in L.NAMES if n not in L.MIXTURES]


def _fd_grad(f, x, h=1e-6):
    E = np.eye(x.size) * h
    return np.array([(f(x + e) - f(x - e)) / (2 * h) for e in E])


def _fd_hess(f, x, h=1e-5):
    E = np.eye(x.size) * h
    return np.array([(f.grad(x + e) - f.grad(x - e)) / (2 * h) for e in E])


@pytest.mark.parametrize("name", ALL_NAMES)
def test_shapes_and_vectorised_equals_looped(name, rng):
    f = L.make(name, rng=rng)
    x = f.minimum[0] + rng.normal(size=(3, 4, 2))
    v = f(x)
    assert v.shape == (3, 4)
    looped = np.array([[f(x[i, j]) for j in range(4)] for i in range(3)])
    np.testing.assert_array_equal(v, looped)
    assert f.grad(x).shape == (3, 4, 2)
    assert f.hessian(x).shape == (3, 4, 2, 2)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_gradient_and_hessian_match_finite_differences(name, rng):
    f = L.make(name, rng=rng)
    x_star = f.minimum[0]
    for _ in range(5):
        x = x_star + rng.uniform(-1.0, 1.0, size=2)
        if f.bounds is not None:  # stay inside the domain where the formula is the function
            x = np.clip(x, f.bounds[:, 0] + 1e-3, f.bounds[:, 1] - 1e-3)
        scale = max(1.0, np.abs(f.grad(x)).max())
        np.testing.assert_allclose(f.grad(x), _fd_grad(f, x), atol=1e-5 * scale, rtol=1e-5)
        hscale = max(1.0, np.abs(f.hessian(x)).max())
        np.testing.assert_allclose(f.hessian(x), _fd_hess(f, x), atol=1e-5 * hscale, rtol=1e-4)
        np.testing.assert_allclose(f.hessian(x), np.swapaxes(f.hessian(x), -1, -2))


KNOWN_MINIMA = {
    "rosenbrock": ([1.0, 1.0], 0.0),
    "ackley": ([0.0, 0.0], 0.0),
    "rastrigin": ([0.0, 0.0], 0.0),
    "mccormick": ([-0.54719, -1.54719], -1.9133),
    "beale": ([3.0, 0.5], 0.0),
    "styblinski_tang": ([-2.903534, -2.903534], -78.33233),
}


@pytest.mark.parametrize("name", list(KNOWN_MINIMA))
def test_analytic_minima(name):
    f = L.make(name)
    x_star, f_star = f.minimum
    np.testing.assert_allclose(x_star, KNOWN_MINIMA[name][0], atol=1e-4)
    np.testing.assert_allclose(f_star, KNOWN_MINIMA[name][1], atol=1e-4)
    assert np.linalg.norm(f.grad(x_star)) < 1e-6
    # no point of a dense grid over the domain is lower
    b = f.bounds
    g = np.stack(np.meshgrid(*(np.linspace(lo, hi, 401) for lo, hi in b), indexing="ij"), -1)
    assert f(g).min() >= f_star - 1e-9
    # the hard start is far from the optimum, in value and in distance
    assert np.linalg.norm(f.hard_start - x_star) > 1.0
    assert f(f.hard_start) - f_star > 1.0


@pytest.mark.parametrize("family", list(L.ALL_FAMILIES))
def test_random_family_minimum_not_beaten_by_dense_search(family):
    gen = np.random.default_rng(7)
    for _ in range(15):
        f = L.make(family, rng=gen)
        x_star, f_star = f.minimum
        assert f(x_star) == f_star
        centre = x_star
        for radius in (3.0, 30.0, 200.0):
            t = np.linspace(-radius, radius, 301)
            g = centre + np.stack(np.meshgrid(t, t, indexing="ij"), -1)
            assert f(g).min() >= f_star - 1e-9 * max(1.0, abs(f_star))


def test_rippled_family_is_multimodal_and_only_in_its_own_mixture():
    gen = np.random.default_rng(3)
    drawn = {L.make("all", rng=gen).family for _ in range(200)}
    assert drawn == set(L.FAMILY_NAMES)
    drawn = {L.make("all_rippled", rng=gen).family for _ in range(200)}
    assert drawn == {*L.FAMILY_NAMES, "rippled"}
    stuck = 0
    for _ in range(20):
        f = L.make("rippled", rng=gen)
        x_star, f_star = f.minimum
        np.testing.assert_array_equal(x_star, f.params.mu[0])
        # gradient descent from two wavelengths away mostly stops in a local minimum
        x = x_star + 2.0 * f.params.lam[0] * np.array([1.0, 1.0])
        for _ in range(500):
            x = x - 0.2 / np.abs(np.linalg.eigvalsh(f.hessian(x))).max() * f.grad(x)
        stuck += f(x) > f_star + 1e-3
    assert stuck >= 15


def test_generated_families_reach_the_conditioning_and_scales_they_promise():
    from rover_envs.landscapes.families import DRAWS

    assert DRAWS == 19  # adding families must not change the streams of the existing ones
    gen = np.random.default_rng(5)
    assert {L.make("broad", rng=gen).family for _ in range(400)} == {
        *L.FAMILY_NAMES,
        "rippled",
        "ill_conditioned",
        "multiscale",
    }
    conds, lams = [], []
    for _ in range(300):
        f = L.make("ill_conditioned", rng=gen)
        eig = np.linalg.eigvalsh(f.params.Q[0])
        conds.append(eig[1] / eig[0])
        np.testing.assert_allclose(
            f.grad(f.minimum[0]), 0.0, atol=1e-6 * eig[1] * (1 + np.abs(f.minimum[0]).max())
        )
        g = L.make("multiscale", rng=gen)
        np.testing.assert_array_equal(g.minimum[0], g.params.mu[0])
        lams.append(g.params.lam[0])
    assert 1.0 <= min(conds) < 10 and 1e5 < max(conds) <= 1e6 * (1 + 1e-9)
    assert 0.05 <= min(lams) < 0.1 and 2.0 < max(lams) <= 3.0


def test_saddle_minimum_survives_ill_conditioned_fields():
    """Close conditioning points give huge weights and structure finer than the length scale;
    the search must still find the global minimum (checked for 600 saddles on a dense grid)."""
    params = L.FAMILIES["saddle"].build(np.random.default_rng(5).random((600, 16)))
    _, f_star = field_minimum(params)
    t = np.linspace(-12.0, 12.0, 161)
    grid = np.stack(np.meshgrid(t, t, indexing="ij"), -1).reshape(1, -1, 2)
    for start in range(0, 600, 150):
        rows = np.arange(start, start + 150)
        dense = field_values(params.take(rows), np.repeat(grid, 150, axis=0)).min(axis=1)
        assert np.all(f_star[rows] <= dense + 1e-9 * np.maximum(1.0, np.abs(dense)))


def test_batched_minimum_equals_single():
    gen = np.random.default_rng(3)
    lands = [L.make("saddle", rng=gen) for _ in range(6)]
    xs, fs = field_minimum(FieldParams.concatenate([f.params for f in lands]))
    for f, x, v in zip(lands, xs, fs):
        np.testing.assert_array_equal(f.minimum[0], x)
        assert f.minimum[1] == v


def test_families_have_their_shape():
    gen = np.random.default_rng(0)
    valley = L.make("valley", rng=gen)
    ev = np.linalg.eigvalsh(valley.hessian(valley.minimum[0]))
    assert ev[1] / ev[0] >= 100  # long and narrow
    saddle = L.make("saddle", rng=gen)
    ev = np.linalg.eigvalsh(saddle.hessian(np.zeros(2)))
    # four alternating-sign values around the origin: curvatures of both signs near the centre
    assert ev[0] < 0 < ev[1]
    plateau = L.make("plateau_cliff", rng=gen)
    far = plateau.minimum[0] + np.array([40.0, 0.0])
    assert abs(plateau(far)) < 1e-6 * abs(plateau.minimum[1])  # flat far field
    assert plateau.minimum[1] < 0


def test_noise_is_seeded_and_vanishes_at_conditioning_points():
    f = L.make("valley", rng=1, noise=0.5)
    x = np.array([[0.0, 0.0], [5.0, 5.0]])
    a = f.sample(x, np.random.default_rng(0))
    b = f.sample(x, np.random.default_rng(0))
    np.testing.assert_array_equal(a, b)
    assert abs(a[0] - f(x[0])) < 1e-3  # posterior variance ~0 at the data point
    assert abs(a[1] - f(x[1])) > 0
    g = L.make("rosenbrock")
    np.testing.assert_array_equal(g.sample(x, np.random.default_rng(0)), g(x))


def test_kernel_noise_unit_is_eq11s_prior_std_and_bowls_stay_noiseless():
    from rover_envs.landscapes.fields import kernel_prior_std

    f = L.make("valley", rng=1)
    S = np.linalg.inv(f.params.P[0])
    expected = np.linalg.det(2 * np.pi * S) ** -0.25  # sqrt(k(x, x)) of eq. 11
    np.testing.assert_allclose(kernel_prior_std(f.params), [expected])
    far = np.array([[1e3, -1e3]])  # nothing explained there: the prior itself
    np.testing.assert_allclose(f.noise_scale(far, "kernel"), [expected])
    np.testing.assert_allclose(f.noise_scale(far), f.params.amp)  # the amplitude unit
    assert L.make("quadratic", rng=1).noise_scale(far, "kernel")[0] == 0.0


def test_same_seed_same_landscape():
    a, b = L.make("all", rng=42), L.make("all", rng=42)
    x = np.random.default_rng(0).normal(size=(10, 2))
    np.testing.assert_array_equal(a(x), b(x))


def test_bad_names_and_params():
    with pytest.raises(ValueError, match="valid names: all, quadratic"):
        L.make("bowl")
    with pytest.raises(ValueError, match="valid: noise"):
        L.make("valley", dim=3)
    with pytest.raises(ValueError, match="2-D only"):
        L.make("beale", dim=3)
    f = L.make("rastrigin", dim=5)
    assert f(np.zeros(5)) == 0.0
    with pytest.raises(ValueError, match=r"\(\.\.\., 5\)"):
        f(np.zeros(2))


def test_mccormick_is_clipped_to_its_domain():
    f = L.make("mccormick")
    assert f(np.array([-10.0, -10.0])) == f(np.array([-1.5, -3.0]))


def test_saddle_reading_scaled_points_tame_the_weights():
    from experiments.saddle_reading import measure

    built, scaled = measure(200).values()
    assert built["w_median"] > 10 * scaled["w_median"]  # near-singular Gram matrix as built
    assert built["f_star"] < 3 * scaled["f_star"] < 0  # minima far below the conditioning values


def test_steps_are_plateaus_of_a_bowl_whose_bottom_is_the_minimum_and_join_no_mixture():
    from rover_envs.core import sample_start

    gen = np.random.default_rng(12)
    for mixture in ("all", "all_rippled", "broad"):
        assert "steps" not in {L.make(mixture, rng=gen).family for _ in range(200)}
    levels = []
    for _ in range(30):
        f = L.make("steps", rng=gen)
        x_star, f_star = f.minimum
        q = f.params.q[0]
        np.testing.assert_array_equal(x_star, f.params.mu[0])
        assert f_star == 0.0 and q > 0
        x0 = sample_start(f, x_star, gen)
        # every value is a whole number of steps, flat around a point (gradient 0), and the
        # bowl's level sets are kept: the quantised bowl never orders two points the other way
        pts = x_star + gen.normal(size=(200, 2)) * np.linalg.norm(x0 - x_star)
        values = f(pts)
        np.testing.assert_allclose(values / q, np.round(values / q), atol=1e-9)
        np.testing.assert_array_equal(f.grad(pts), 0.0)
        smooth = 0.5 * np.einsum("mi,ij,mj->m", pts - x_star, f.params.Q[0], pts - x_star)
        assert np.all(np.diff(values[np.argsort(smooth)]) >= 0)
        assert f(x_star + 1e-3 * np.sqrt(q / np.max(f.params.Q[0]))) == 0.0  # the bottom plateau
        levels.append(f(x0) / q)
    assert min(levels) < 10 and max(levels) > 100  # from a few steps to hundreds above the bottom


def test_ill_log_steps_quantise_an_ill_conditioned_bowl_geometrically_at_every_scale():
    gen = np.random.default_rng(13)
    for mixture in ("all", "all_rippled", "broad"):
        assert "ill_log_steps" not in {L.make(mixture, rng=gen).family for _ in range(200)}
    conds = []
    for _ in range(20):
        f = L.make("ill_log_steps", rng=gen)
        x_star, f_star = f.minimum
        qlog = f.params.qlog[0]
        assert f_star == 0.0 and f(x_star) == 0.0 and 0.05 <= qlog <= 0.5
        Q = f.params.Q[0]
        conds.append(np.linalg.cond(Q))
        for scale in (1e-6, 1e-2, 1.0):  # the same relative steps however close to the minimum
            pts = x_star + scale * gen.normal(size=(100, 2))
            values = f(pts)
            smooth = 0.5 * np.einsum("mi,ij,mj->m", pts - x_star, Q, pts - x_star)
            ratio = values / smooth
            assert np.all((ratio > np.exp(-qlog) * (1 - 1e-9)) & (ratio <= 1 + 1e-9))
            np.testing.assert_allclose(np.log(values) / qlog, np.round(np.log(values) / qlog), atol=1e-6)
            assert np.all(np.diff(values[np.argsort(smooth)]) >= 0)  # level sets kept
        np.testing.assert_array_equal(f.grad(pts), 0.0)
    assert max(conds) > 1e4


def test_funnels_have_rival_wells_and_box_starts_and_join_one_training_mixture():
    from rover_envs.core import sample_start

    gen = np.random.default_rng(11)
    for mixture in ("all", "all_rippled", "broad"):
        assert "funnels" not in {L.make(mixture, rng=gen).family for _ in range(200)}
    # its one training mixture: all_rippled's five and funnels, drawn uniformly
    drawn = [L.make("all_rippled_funnels", rng=gen).family for _ in range(600)]
    assert set(drawn) == {*L.FAMILY_NAMES, "rippled", "funnels"} and 60 < drawn.count("funnels") < 140
    local = 0
    for _ in range(30):
        f = L.make("funnels", rng=gen)
        x_star, f_star = f.minimum
        depths = -f.params.w[0, :4]
        assert np.all((depths >= 1.0) & (depths <= 10.0)) and np.all(np.abs(f.params.c[0, :4]) <= 3.0)
        x = sample_start(f, x_star, gen)
        assert np.all(np.abs(x) <= 4.0)
        for _ in range(3000):  # steepest descent, step below 1 / the largest curvature (10 / 0.4^2)
            x = x - 0.01 * f.grad(x)
        local += f(x) > f_star + 1e-3
    assert local >= 10  # the nearest funnel is often not the deepest


def test_peaks_is_seeded_differentiable_and_knows_its_minimum():
    from scipy.optimize import approx_fprime

    f, same = L.make("peaks", rng=3), L.make("peaks", rng=np.random.default_rng(3))
    np.testing.assert_array_equal(f.centres, same.centres)
    assert 10 <= len(f.centres) <= 30 and np.all(np.abs(f.centres) <= 4.0)
    x = np.array([0.4, -1.3])
    np.testing.assert_allclose(f.grad(x), approx_fprime(x, f, 1e-7), rtol=1e-4, atol=1e-6)
    fd = np.stack([approx_fprime(x, lambda y, i=i: f.grad(y)[i], 1e-7) for i in range(2)])
    np.testing.assert_allclose(f.hessian(x), fd, rtol=1e-4, atol=1e-5)
    assert f(np.zeros((4, 3, 2))).shape == (4, 3)
    x_star, f_star = f.minimum
    axes = np.linspace(-5.0, 5.0, 301)
    scan = np.stack(np.meshgrid(axes, axes, indexing="ij"), -1)
    assert f_star <= f(scan).min() + 1e-12 and np.linalg.norm(f.grad(x_star)) < 1e-6
    with pytest.raises(ValueError, match="shape"):
        f(np.zeros(3))
    with pytest.raises(ValueError, match="unknown parameter"):
        L.make("peaks", rng=0, dim=3)


def test_the_environment_refuses_a_validation_landscape_with_a_clear_error():
    from rover_envs.core import EngineConfig

    with pytest.raises(ValueError, match="validation landscape"):
        EngineConfig(family="peaks")
    with pytest.raises(ValueError, match=r"valid names:.*peaks"):
        L.make("peakz")


def test_kinks_is_seeded_with_a_sharp_minimum_at_the_origin():
    from scipy.optimize import approx_fprime

    draws = [L.make("kinks", rng=k) for k in range(12)]
    assert {f.norm for f in draws} == {1, 2} and all(0.5 <= f.power <= 1.5 for f in draws)
    np.testing.assert_array_equal(L.make("kinks", rng=3).matrix, draws[3].matrix)
    for f in draws[:6]:
        x = np.array([0.7, -0.4])  # away from the axes of the 1-norm, where the derivatives exist
        np.testing.assert_allclose(f.grad(x), approx_fprime(x, f, 1e-8), rtol=1e-5, atol=1e-6)
        fd = np.stack([approx_fprime(x, lambda y, i=i, f=f: f.grad(y)[i], 1e-7) for i in range(2)])
        np.testing.assert_allclose(f.hessian(x), fd, rtol=1e-4, atol=1e-5)
        x_star, f_star = f.minimum
        assert f_star == 0.0 and f(x_star) == 0.0 and np.all(f.grad(x_star) == 0.0)
        t = 1e-6  # the value falls like the distance to the power p: not a quadratic bottom
        direction = np.array([0.6, 0.8])
        assert np.log(f(2 * t * direction) / f(t * direction)) / np.log(2) == pytest.approx(f.power)
    with pytest.raises(ValueError, match="shape"):
        draws[0](np.zeros(3))
    from rover_envs.core import EngineConfig

    with pytest.raises(ValueError, match="validation landscape"):
        EngineConfig(family="kinks")
