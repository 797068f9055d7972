"""Random 2-D fields: a quadratic bowl plus a Gaussian-process mean, batched over landscapes.

Every training family of appendix 6.1 is one parametrisation of

    f(x) = f0 + 1/2 (x - mu)^T Q (x - mu) + sum_k w_k exp(-1/2 (x - c_k)^T P (x - c_k))
                                          + r sum_i (1 - cos(2 pi (x - mu)_i / lam))

* quadratic bowls ``||Ax - b||^2`` use ``Q = 2 A^T A``, ``mu = A^{-1} b`` and no bumps;
* valleys, saddles and plateau+cliffs are the posterior mean of a Gaussian process with the
  Mahalanobis kernel ``k(x, x') = exp(-1/2 (x - x')^T S^{-1} (x - x'))`` conditioned on the
  values ``v`` at the points ``c``: ``P = S^{-1}`` and ``w = K^{-1} v``.
* the last term (``r > 0``) is not the paper's: it puts Rastrigin-like ripples of wavelength
  ``lam`` on a bowl (the optional ``rippled`` family); they vanish at ``mu``, so the bowl's
  minimiser stays the global one.
* with a step height ``q > 0`` (not the paper's either) the field is quantised, ``q *
  floor(f / q)``: flat plateaus separated by steps (the ``steps`` family). Its gradient and
  Hessian are those of a step function, zero almost everywhere; floor is monotone, so the
  minimiser is unchanged.
* with a relative step ``qlog > 0`` (not the paper's) the bowl's value above its minimum ``g =
  f - f0 >= 0`` is quantised geometrically, ``f0 + exp(qlog floor(log g / qlog))``: plateaus
  whose values differ by a factor ``e^qlog`` at every scale down to the minimum, so a quadratic
  fit of any grid leaves a residual of the same relative size however far the optimiser zooms in
  (the ``ill_log_steps`` family). Flat almost everywhere as well; the minimiser is unchanged.

The paper writes the kernel's exponent as ``x^T S^{-1} x'``; that is not a stationary kernel
and does not give the pictured shapes, so we read it as the Mahalanobis distance between
``x`` and ``x'`` (the usual squared-exponential kernel). Its normalising constant
``|2 pi S|^{-1/2}`` cancels in the posterior mean; for the noise we normalise the posterior
variance by the prior variance, so ``noise`` is in units of the field's amplitude (the largest
``|v|``), and noise vanishes at the conditioning points as it should.

All parameters are stacked along a leading batch axis so that ``B`` landscapes are evaluated
in one numpy call; the 2x2 algebra is written out by hand (faster than ``einsum`` on tiny
matrices, and bit-for-bit independent of the batch size).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from rover_envs.landscapes.base import Landscape, LandscapeBatch

MAX_BUMPS = 4
TWO_PI = 2.0 * np.pi
_JITTER = 1e-8


@dataclass
class FieldParams:
    """Parameters of ``B`` fields; every array has the batch axis first."""

    Q: np.ndarray  # (B, 2, 2) symmetric
    mu: np.ndarray  # (B, 2)
    f0: np.ndarray  # (B,)
    w: np.ndarray  # (B, K) bump weights (0 for unused slots)
    c: np.ndarray  # (B, K, 2) bump centres
    P: np.ndarray  # (B, 2, 2) symmetric positive definite precision S^{-1}
    Kinv: np.ndarray  # (B, K, K) inverse Gram matrix (0 for unused slots)
    amp: np.ndarray  # (B,) noise unit
    L: np.ndarray  # (B, 2, 2) square root of the kernel's S (Mahalanobis -> coordinates)
    r: np.ndarray  # (B,) ripple amplitude (0: none)
    lam: np.ndarray  # (B,) ripple wavelength
    q: np.ndarray  # (B,) step height of the quantised field (0: smooth)
    qlog: np.ndarray  # (B,) relative step of the geometrically quantised field (0: smooth)

    @property
    def size(self) -> int:
        return self.f0.shape[0]

    def take(self, index) -> FieldParams:
        """Sub-batch (``index`` an int keeps the batch axis)."""
        idx = np.atleast_1d(index)
        return FieldParams(**{f.name: getattr(self, f.name)[idx] for f in fields(self)})

    def put(self, index, other: FieldParams) -> None:
        """Overwrite the slots ``index`` (an int or an index array) with ``other``'s fields."""
        for f in fields(self):
            getattr(self, f.name)[index] = getattr(other, f.name)

    @staticmethod
    def concatenate(items: list[FieldParams]) -> FieldParams:
        return FieldParams(
            **{f.name: np.concatenate([getattr(p, f.name) for p in items]) for f in fields(FieldParams)}
        )


def zeros_bumps(m: int) -> dict:
    """Empty bump slots and no ripples for ``m`` fields (``FieldParams`` keyword arguments)."""
    k = MAX_BUMPS
    return {
        "w": np.zeros((m, k)),
        "c": np.zeros((m, k, 2)),
        "Kinv": np.zeros((m, k, k)),
        "r": np.zeros(m),
        "lam": np.ones(m),
        "q": np.zeros(m),
        "qlog": np.zeros(m),
    }


def quadratic_fields(
    A: np.ndarray, b: np.ndarray, r: np.ndarray | None = None, lam: np.ndarray | None = None
) -> FieldParams:
    """``||A x - b||^2`` for a batch: ``A (m, 2, 2)``, ``b (m, 2)``; plus ripples of amplitude
    ``r (m,)`` and wavelength ``lam (m,)`` centred on the minimiser when given."""
    m = len(A)
    Q = 2.0 * np.einsum("mki,mkj->mij", A, A)
    mu = np.linalg.solve(A, b[..., None])[..., 0]
    eye = np.broadcast_to(np.eye(2), (m, 2, 2)).copy()
    out = zeros_bumps(m)
    if r is not None:
        out["r"], out["lam"] = np.asarray(r, dtype=float), np.asarray(lam, dtype=float)
    return FieldParams(Q=Q, mu=mu, f0=np.zeros(m), P=eye, amp=np.ones(m), L=eye.copy(), **out)


def rotations(phi: np.ndarray) -> np.ndarray:
    """Rotation matrices ``(m, 2, 2)`` by the angles ``phi (m,)``."""
    c, s = np.cos(phi), np.sin(phi)
    return np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)


def gp_fields(points: np.ndarray, values: np.ndarray, lengths: np.ndarray, phi: np.ndarray) -> FieldParams:
    """Posterior means of zero-mean GPs, batched.

    Args:
        points: ``(m, k, 2)`` conditioning points, ``k <= MAX_BUMPS``.
        values: ``(m, k)`` values there.
        lengths: ``(m, 2)`` square roots of the eigenvalues of the kernel's ``S``.
        phi: ``(m,)`` rotation angles: ``S = R^T diag(lengths^2) R``.
    """
    m, k, _ = points.shape
    Rt = np.swapaxes(rotations(phi), -1, -2)
    L = Rt * lengths[:, None, :]  # S = L L^T
    P = np.einsum("mij,mkj->mik", Rt / lengths[:, None, :] ** 2, Rt)
    if k == 1:
        kinv = np.full((m, 1, 1), 1.0 / (1.0 + _JITTER))
    else:
        d = points[:, :, None, :] - points[:, None, :, :]
        gram = np.exp(-0.5 * np.einsum("mabi,mij,mabj->mab", d, P, d)) + _JITTER * np.eye(k)
        kinv = np.linalg.inv(gram)
    out = zeros_bumps(m)
    out["w"][:, :k] = np.einsum("mab,mb->ma", kinv, values)
    out["c"][:, :k] = points
    out["Kinv"][:, :k, :k] = kinv
    return FieldParams(
        Q=np.zeros((m, 2, 2)),
        mu=np.zeros((m, 2)),
        f0=np.zeros(m),
        P=P,
        amp=np.max(np.abs(values), axis=1),
        L=L,
        **out,
    )


def _quad_form(M: np.ndarray, u0: np.ndarray, u1: np.ndarray) -> np.ndarray:
    """``u^T M u`` for a symmetric 2x2 ``M`` already broadcast against ``u0``, ``u1``."""
    return M[0] * u0 * u0 + 2.0 * M[1] * u0 * u1 + M[2] * u1 * u1


def _sym(M: np.ndarray, extra_dims: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Entries (m00, m01, m11) of ``(B, 2, 2)`` reshaped to broadcast over ``extra_dims``."""
    shape = (M.shape[0],) + (1,) * extra_dims
    return M[:, 0, 0].reshape(shape), M[:, 0, 1].reshape(shape), M[:, 1, 1].reshape(shape)


def _bumps(p: FieldParams, x: np.ndarray):
    """Offsets ``y = x - c`` and kernel values ``e``: ``(B, M, K)`` each (y split in 2)."""
    y0 = x[:, :, None, 0] - p.c[:, None, :, 0]
    y1 = x[:, :, None, 1] - p.c[:, None, :, 1]
    e = np.exp(-0.5 * _quad_form(_sym(p.P, 2), y0, y1))
    return y0, y1, e


def field_values(p: FieldParams, x: np.ndarray) -> np.ndarray:
    """``(B, M, 2) -> (B, M)``.

    Landscapes are grouped by their number of bumps (0 for bowls, 1 for valleys and plateaus,
    4 for saddles), and only bowls evaluate the quadratic term, so that a mixed batch pays only
    for the terms it has; a sum over fewer terms equals the zero-padded one exactly.
    """
    out = np.repeat(p.f0[:, None], x.shape[1], axis=1)
    quad = np.flatnonzero(np.any(p.Q != 0.0, axis=(1, 2)))
    if quad.size:
        rows = slice(None) if quad.size == p.size else quad
        xq, mu = x[rows], p.mu[rows]
        d0 = xq[..., 0] - mu[:, None, 0]
        d1 = xq[..., 1] - mu[:, None, 1]
        out[rows] += 0.5 * _quad_form(_sym(p.Q[rows], 1), d0, d1)
    used = np.count_nonzero(p.w, axis=1)
    for k in np.unique(used):
        if k == 0:
            continue
        if k == MAX_BUMPS and used.min() == MAX_BUMPS:
            idx, sub, xs = slice(None), p, x
        else:
            idx = np.flatnonzero(used == k)
            sub = replace(p.take(idx), w=p.w[idx, :k], c=p.c[idx, :k])
            xs = x[idx]
        _, _, e = _bumps(sub, xs)
        out[idx] += np.sum(e * sub.w[:, None, :], axis=-1)
    rip = np.flatnonzero(p.r != 0.0)
    if rip.size:
        k = (TWO_PI / p.lam[rip])[:, None, None]
        d = x[rip] - p.mu[rip, None, :]
        out[rip] += p.r[rip, None] * np.sum(1.0 - np.cos(k * d), axis=-1)
    steps = np.flatnonzero(p.q > 0.0)
    if steps.size:
        q = p.q[steps, None]
        out[steps] = q * np.floor(out[steps] / q)
    geometric = np.flatnonzero(p.qlog > 0.0)
    if geometric.size:
        q, f0 = p.qlog[geometric, None], p.f0[geometric, None]
        with np.errstate(divide="ignore"):  # log 0 = -inf at the minimiser: exp(-inf) = 0
            out[geometric] = f0 + np.exp(q * np.floor(np.log(np.maximum(out[geometric] - f0, 0.0)) / q))
    return out


def _quantised(p: FieldParams) -> np.ndarray:
    """Which fields ``(B,)`` are step functions (``q`` or ``qlog`` quantisation)."""
    return (p.q > 0.0) | (p.qlog > 0.0)


def _ripple_terms(p: FieldParams, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ripple gradient ``(B, M, 2)`` and Hessian diagonal ``(B, M, 2)`` (zeros without ripples)."""
    k = (TWO_PI / p.lam)[:, None, None]
    kd = k * (x - p.mu[:, None, :])
    r = p.r[:, None, None]
    return r * k * np.sin(kd), r * k * k * np.cos(kd)


def field_grads(p: FieldParams, x: np.ndarray) -> np.ndarray:
    """``(B, M, 2) -> (B, M, 2)``."""
    q00, q01, q11 = _sym(p.Q, 1)
    d0 = x[..., 0] - p.mu[:, None, 0]
    d1 = x[..., 1] - p.mu[:, None, 1]
    y0, y1, e = _bumps(p, x)
    a00, a01, a11 = _sym(p.P, 2)
    we = e * p.w[:, None, :]
    g0 = q00 * d0 + q01 * d1 - np.sum(we * (a00 * y0 + a01 * y1), axis=-1)
    g1 = q01 * d0 + q11 * d1 - np.sum(we * (a01 * y0 + a11 * y1), axis=-1)
    grad = np.stack([g0, g1], axis=-1)
    if np.any(p.r != 0.0):
        grad = grad + _ripple_terms(p, x)[0]
    return np.where(_quantised(p)[:, None, None], 0.0, grad)  # a step function is flat almost everywhere


def field_hessians(p: FieldParams, x: np.ndarray) -> np.ndarray:
    """``(B, M, 2) -> (B, M, 2, 2)``."""
    y0, y1, e = _bumps(p, x)
    a00, a01, a11 = _sym(p.P, 2)
    we = e * p.w[:, None, :]
    z0 = a00 * y0 + a01 * y1  # P y
    z1 = a01 * y0 + a11 * y1
    h00 = p.Q[:, None, 0, 0] + np.sum(we * (z0 * z0 - a00), axis=-1)
    h01 = p.Q[:, None, 0, 1] + np.sum(we * (z0 * z1 - a01), axis=-1)
    h11 = p.Q[:, None, 1, 1] + np.sum(we * (z1 * z1 - a11), axis=-1)
    if np.any(p.r != 0.0):
        diag = _ripple_terms(p, x)[1]
        h00, h11 = h00 + diag[..., 0], h11 + diag[..., 1]
    hess = np.stack([np.stack([h00, h01], -1), np.stack([h01, h11], -1)], -2)
    return np.where(_quantised(p)[:, None, None, None], 0.0, hess)


NOISE_UNITS = ("amplitude", "kernel")
"""What one unit of ``noise`` is for a field (see the module docstring): ``amplitude`` the
field's largest conditioning value; ``kernel`` eq. 11's own prior standard deviation
``|2 pi S|^{-1/4}``, so that ``noise = 1`` samples the GP posterior exactly as eq. 12 states."""


def kernel_prior_std(p: FieldParams) -> np.ndarray:
    """``sqrt(k(x, x))`` of eq. 11, ``|2 pi S|^{-1/4} = (2 pi)^{-1/2} det(P)^{1/4}`` in 2-D, per
    field ``(B,)``; 0 for fields without a Gaussian process (bowls, rippled bowls)."""
    det_p = p.P[:, 0, 0] * p.P[:, 1, 1] - p.P[:, 0, 1] * p.P[:, 1, 0]
    has_gp = p.Kinv[:, 0, 0] > 0
    return np.where(has_gp, np.abs(det_p) ** 0.25 / np.sqrt(TWO_PI), 0.0)


def field_noise_scales(p: FieldParams, x: np.ndarray, unit: str = "amplitude") -> np.ndarray:
    """Posterior standard deviation over prior standard deviation, times the noise unit
    (``NOISE_UNITS``): the field's amplitude, or the kernel's own prior standard deviation."""
    _, _, e = _bumps(p, x)
    explained = np.einsum("bmk,bkl,bml->bm", e, p.Kinv, e)
    base = p.amp if unit == "amplitude" else kernel_prior_std(p)
    return base[:, None] * np.sqrt(np.clip(1.0 - explained, 0.0, None))


# --------------------------------------------------------------------------- objects
class FieldLandscape(Landscape):
    """One random field (a training-family instance). See the module docstring."""

    dim = 2

    def __init__(
        self, params: FieldParams, family: str, minimum: tuple[np.ndarray, float], noise: float = 0.0
    ):
        """``minimum``: ``(x_star, f_star)`` from
        :func:`rover_envs.landscapes.minimum.field_minimum` (computed in batches by whoever
        draws the fields)."""
        if params.size != 1:
            raise ValueError(f"FieldLandscape holds one field, got a batch of {params.size}")
        self.params = params
        self.name = family
        self.family = family
        self.noise = float(noise)
        self._minimum = (np.asarray(minimum[0], dtype=float).reshape(2), float(minimum[1]))

    def _flat(self, x: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
        x = np.asarray(x, dtype=float)
        if x.shape[-1] != 2:
            raise ValueError(f"{self.name} landscapes are 2-D; got points of shape {x.shape}")
        return x.reshape(1, -1, 2), x.shape[:-1]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        flat, shape = self._flat(x)
        return field_values(self.params, flat).reshape(shape)

    def grad(self, x: np.ndarray) -> np.ndarray:
        flat, shape = self._flat(x)
        return field_grads(self.params, flat).reshape(*shape, 2)

    def hessian(self, x: np.ndarray) -> np.ndarray:
        flat, shape = self._flat(x)
        return field_hessians(self.params, flat).reshape(*shape, 2, 2)

    def noise_scale(self, x: np.ndarray, unit: str = "amplitude") -> np.ndarray:
        flat, shape = self._flat(x)
        return field_noise_scales(self.params, flat, unit).reshape(shape)

    def _find_minimum(self) -> tuple[np.ndarray, float]:
        return self._minimum


class FieldBatch(LandscapeBatch):
    """``B`` random fields with stacked parameters; slots are overwritten on reset.

    The batch owns the parameters; :meth:`landscape` builds a :class:`FieldLandscape` view of
    a slot only when asked (the vector env resets thousands of slots per second).
    """

    dim = 2

    def __init__(
        self,
        params: FieldParams,
        families: list[str],
        x_star: np.ndarray,
        f_star: np.ndarray,
        noise: float = 0.0,
    ):
        """``x_star (B, 2)``, ``f_star (B,)``: the fields' minima
        (:func:`rover_envs.landscapes.minimum.field_minimum`)."""
        self.params = params
        self.families = list(families)
        self.noise = float(noise)
        self.size = params.size
        self.x_star, self.f_star = np.array(x_star, dtype=float), np.array(f_star, dtype=float)
        self._views: dict[int, FieldLandscape] = {}

    @staticmethod
    def of(landscapes: list[FieldLandscape]) -> FieldBatch:
        """A batch holding copies of the given landscapes' parameters."""
        params = FieldParams.concatenate([lnd.params for lnd in landscapes])
        minima = [lnd.minimum for lnd in landscapes]
        x_star, f_star = np.array([m[0] for m in minima]), np.array([m[1] for m in minima])
        return FieldBatch(params, [lnd.family for lnd in landscapes], x_star, f_star, landscapes[0].noise)

    def values(self, x: np.ndarray) -> np.ndarray:
        return field_values(self.params, x)

    def grads(self, x: np.ndarray) -> np.ndarray:
        return field_grads(self.params, x[:, None, :])[:, 0]

    def hessians(self, x: np.ndarray) -> np.ndarray:
        return field_hessians(self.params, x[:, None, :])[:, 0]

    def noise_scales(self, x: np.ndarray, unit: str = "amplitude") -> np.ndarray:
        return field_noise_scales(self.params, x, unit)

    def put(self, idx: np.ndarray, params: FieldParams, families: list[str], x_star, f_star) -> None:
        """Overwrite the slots ``idx`` with new fields and their minima."""
        self.params.put(idx, params)
        self.x_star[idx], self.f_star[idx] = x_star, f_star
        for j, i in enumerate(idx):
            self.families[i] = families[j]
            self._views.pop(int(i), None)

    def replace(self, index: int, landscape: Landscape) -> None:
        if not isinstance(landscape, FieldLandscape):
            raise TypeError("a FieldBatch slot takes a FieldLandscape")
        x_star, f_star = landscape.minimum
        self.put(np.array([index]), landscape.params, [landscape.family], x_star, f_star)
        self._views[index] = landscape

    def landscape(self, index: int) -> FieldLandscape:
        view = self._views.get(index)
        if view is None:
            minimum = (self.x_star[index], self.f_star[index])
            view = FieldLandscape(self.params.take(index), self.families[index], minimum, self.noise)
            self._views[index] = view
        return view

    def subset(self, indices: np.ndarray) -> FieldBatch:
        idx = np.asarray(indices)
        families = [self.families[i] for i in idx]
        return FieldBatch(self.params.take(idx), families, self.x_star[idx], self.f_star[idx], self.noise)
