"""Grid sampling (eq. 1) and rescaling, including property tests."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from rover_envs.grid import grid_points, offsets, rescale, sample_grid


def test_offsets_are_centred():
    np.testing.assert_array_equal(offsets(5), [-2, -1, 0, 1, 2])
    np.testing.assert_array_equal(offsets(4), [-1.5, -0.5, 0.5, 1.5])
    with pytest.raises(ValueError):
        offsets(1)


def test_centre_sample_is_theta_and_orientation():
    theta = np.array([1.0, -2.0])
    pts = grid_points(theta, 0.5, 7)
    assert pts.shape == (7, 7, 2)
    np.testing.assert_array_equal(pts[3, 3], theta)
    np.testing.assert_allclose(pts[4, 3] - theta, [0.5, 0.0])  # row index moves dimension 0
    np.testing.assert_allclose(pts[3, 4] - theta, [0.0, 0.5])  # column index moves dimension 1


def test_many_thetas_and_pairs_in_one_call():
    rng = np.random.default_rng(0)
    theta = rng.normal(size=(4, 6))
    dims = np.array([[0, 1], [2, 5], [4, 3]])
    pts = grid_points(theta[:, None, :], np.full((4, 3), 0.1), 5, dims[None])
    assert pts.shape == (4, 3, 5, 5, 6)
    for b in range(4):
        for p, (i, j) in enumerate(dims):
            one = grid_points(theta[b], 0.1, 5, np.array([i, j]))
            np.testing.assert_array_equal(pts[b, p], one)
            others = [k for k in range(6) if k not in (i, j)]
            np.testing.assert_array_equal(one[..., others], np.broadcast_to(theta[b, others], (5, 5, 4)))
    with pytest.raises(ValueError):
        grid_points(theta, 0.1, 5, np.array([1, 1]))
    with pytest.raises(ValueError):
        grid_points(theta, 0.1, 5)


def test_sample_grid_uses_vectorised_f():
    g = sample_grid(lambda x: x[..., 0] + 10 * x[..., 1], np.zeros(2), 1.0, 3)
    np.testing.assert_array_equal(g, [[-11, -1, 9], [-10, 0, 10], [-9, 1, 11]])


grids = arrays(np.float64, (3, 5, 5), elements=st.floats(-1e6, 1e6, allow_nan=False))


@given(grids)
@settings(max_examples=200, deadline=None)
def test_rescale_properties(values):
    out = rescale(values)
    assert out.shape == values.shape
    assert np.all(np.isfinite(out))
    assert np.all((out >= 0) & (out <= 1))
    for g, o in zip(values, out):
        if np.all(o == 0):
            continue  # flat (within rounding) grids map to zeros
        assert o.min() == 0 and np.isclose(o.max(), 1)
        # order preserving
        flat_g, flat_o = g.ravel(), o.ravel()
        i, j = np.argmin(flat_g), np.argmax(flat_g)
        assert flat_o[i] == 0 and np.isclose(flat_o[j], 1)


@given(st.floats(-1e6, 1e6), st.floats(1e-3, 1e3), st.floats(-1e3, 1e3))
@settings(max_examples=100, deadline=None)
def test_rescale_is_affine_invariant(shift, scale, seed_value):
    g = np.random.default_rng(abs(int(seed_value))).normal(size=(5, 5))
    np.testing.assert_allclose(rescale(scale * g + shift), rescale(g), atol=1e-6)


def test_flat_grid_maps_to_zeros():
    assert np.all(rescale(np.full((5, 5), 3.0)) == 0)
    assert np.all(rescale(np.zeros((5, 5))) == 0)
    assert np.all(rescale(1e8 + 1e-9 * np.arange(25.0).reshape(5, 5)) == 0)  # below rounding


@given(grids, arrays(bool, (3, 5, 5)), st.sampled_from([np.nan, np.inf, -np.inf]))
@settings(max_examples=100, deadline=None)
def test_nonfinite_samples_are_the_worst_values_of_their_grid(values, holes, bad):
    """NaN or inf from a user's function maps to 1; the finite samples keep their own scale."""
    broken = np.where(holes, bad, values)
    out = rescale(broken)
    assert np.all(np.isfinite(out)) and np.all((out >= 0) & (out <= 1))
    np.testing.assert_array_equal(out[holes], 1.0)
    for g, h, o in zip(values, holes, out):
        if h.any() and not h.all():
            finite = np.where(h, g[~h].max(), g)  # the holes at the finite maximum
            np.testing.assert_array_equal(o[~h], rescale(finite[None])[0][~h])


def test_an_all_nonfinite_grid_maps_to_ones():
    assert np.all(rescale(np.full((2, 5, 5), np.nan)) == 1)
