"""Hand-designed baselines behind SciPy's ``minimize(fun, x0, **options) -> OptimizeResult``.

``BASELINES[name]`` for ``gd``, ``nesterov``, ``newton``, ``adam``, ``cma_es``,
``nelder_mead`` and ``grid_controller`` (the hand-designed controller of Rover Descent's grids,
2-D; it loads the angle network, i.e. torch, on first use). Common options
(:mod:`agents.objective`, shared with ``RoverDescent``):
``max_iter`` / SciPy's ``maxiter``, ``max_evals`` / ``maxfev`` (hard budget, never exceeded),
``bounds`` (``(d, 2)``, ``None`` or +-inf for an open side; points are clipped into it before
``fun`` sees them), ``seed``, ``callback`` (SciPy's: ``callback(intermediate_result)`` or
``callback(xk)``; returning ``True`` or raising ``StopIteration`` stops), ``vectorized`` (``fun``
maps ``(m, d)`` to ``(m,)``), ``args``, ``jac``/``hess``, ``tol``, ``disp``. Each also works as
``scipy.optimize.minimize(fun, x0, method=BASELINES[name])``. Results carry ``x``, ``fun``,
``nit``, ``nfev`` (every evaluation, finite differences included), ``success`` (a convergence
criterion held), ``status``, ``message`` and ``history`` (``x``, ``fun``, ``nfev`` per
iteration, iteration 0 = ``x0``).

``DEFAULTS`` are the hyper-parameters used when none are given (each makes progress on
Rosenbrock from (-1.2, 1)); ``TUNING_GRIDS`` are the grids :func:`tune` searches.
"""

from __future__ import annotations

from agents.baselines.derivative_free import cma_es, nelder_mead
from agents.baselines.gradient import adam, gradient_descent, nesterov, newton
from agents.baselines.grid_controller import grid_controller
from agents.baselines.tuning import DEFAULTS, TUNING_GRIDS, tune

BASELINES = {
    "gd": gradient_descent,
    "nesterov": nesterov,
    "newton": newton,
    "adam": adam,
    "cma_es": cma_es,
    "nelder_mead": nelder_mead,
    "grid_controller": grid_controller,
}
"""Every baseline optimiser by name."""


def get(name: str):
    """The baseline called ``name``; a ``ValueError`` lists the valid names."""
    if name not in BASELINES:
        raise ValueError(f"unknown baseline {name!r}; valid: {', '.join(BASELINES)}")
    return BASELINES[name]


__all__ = [
    "BASELINES",
    "DEFAULTS",
    "TUNING_GRIDS",
    "adam",
    "cma_es",
    "get",
    "gradient_descent",
    "grid_controller",
    "nelder_mead",
    "nesterov",
    "newton",
    "tune",
]
