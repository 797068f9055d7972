"""The learned optimiser: the frozen angle network plus the recurrent step-size/resolution actor.

:class:`RoverPolicy` bundles both networks; it is what ``make train-ddpg`` ships and what
:class:`RoverDescent` runs. ``make train-ddpg`` ships two: ``rover_policy.pt``, and for problems
with finite bounds ``rover_box.pt``, the same recipe trained half in boxes (the environment's
``box_fraction``) and with the zoom guard (``guard="border"``), which ``RoverDescent.pretrained()``
runs wherever ``bounds`` are finite. ``pretrained()`` runs both on the floored adapted grid
(``SHIPPED_METRIC``) and the bounded one with a wall beyond the bounds (``SHIPPED_BOUNDARY``)
from a coarser first grid (``SHIPPED_RESOLUTION_SCALE``) after an initial design
(``SHIPPED_INITIAL_SAMPLES``), zooming in faster once its basin is chosen
(``SHIPPED_SHRINK_POWER``), finishing a smooth basin at its grid's quadratic minimum
(``SHIPPED_FINISH``) and, once a grid shows nothing lower to gain (``SHIPPED_FTOL``), spending
the iterations left on another basin of the design (``SHIPPED_RESTART``), away from where the
schedules so far ended (``SHIPPED_RESTART_DISTANCE``), giving up a basin that bottoms out above
the best value found (``SHIPPED_ABANDON``), halving from a stall at a wide zoom
(``SHIPPED_DESCEND``, ``SHIPPED_DESCEND_AT``) and parking a located basin to explore others
before refining the lowest (``SHIPPED_EXPLORE``), and hopping once to the bottom of a bowl fitted
under the ripples (``SHIPPED_SEEK``): deployment settings, chosen on validation landscapes after
training.
:meth:`RoverDescent.minimize` has SciPy's API (2-D functions; in ``d > 2`` dimensions it runs
over 2-D slices along pairs of coordinates, ``pairs=``, :mod:`agents.highdim` and
:mod:`agents.pairs`):

>>> from agents import RoverDescent
>>> from rover_envs.landscapes import make
>>> f = make("rosenbrock")
>>> res = RoverDescent.pretrained().minimize(f, [-1.2, 1.0], bounds=f.bounds)  # doctest: +SKIP

Each iteration evaluates the ``n x n`` grid around the iterate (``n^2`` evaluations counted in
``nfev``; one call with ``vectorized=True``) and applies the environment's own transition
(:func:`rover_envs.transition.transition`, eq. 4): a trajectory of the optimiser is an episode
of ``RoverLandscape-v0`` on the same function from the same start (tested). The grid's centre
sample is ``f(theta)``, so the trajectory costs nothing extra; one more evaluation scores the
last iterate. The result's ``x`` is the best finite point evaluated, grid samples included.

Initial step size and resolution: the environment trains with ``alpha0`` and ``delta0`` equal
to 0.01-0.3 and 0.005-0.1 times the distance to the optimum (geometric means 0.055 and 0.022).
Without that distance we guess it as ``L``, the mean over coordinates of half the width of
``bounds`` (an unbounded coordinate counts ``max(1, ||x0||)``), and start at
``alpha0 = 0.055 L`` and ``delta0 = 0.022 L``; pass ``step_size`` / ``resolution`` to override.
The shipped policy for bounded problems starts 2-D problems with finite bounds at ``delta0 =
0.088 L`` (``SHIPPED_RESOLUTION_SCALE``), chosen on validation landscapes, and from the best of
x0 and a Latin hypercube design in the bounds (``minimize(initial_samples=...)``): the
evaluations a ``max_evals`` budget leaves over, or the first iteration's where the budget is
counted in iterations (``SHIPPED_INITIAL_SAMPLES``).
The policy recovers from poor guesses (appendix 6.2), at the cost of iterations.

Non-finite values: NaN or inf samples on a grid are that grid's worst values (the
environment's rule, :func:`rover_envs.grid.rescale`) and never the best point; a non-finite
value at the iterate itself ends the run (the environment ends the episode there), returning
the best finite point evaluated. Only a run that never saw a finite value raises.
"""

from __future__ import annotations

import copy
import os
from importlib import resources
from pathlib import Path

import numpy as np
import torch
from scipy.optimize import OptimizeResult
from scipy.stats import qmc

from agents import pairs as pair_strategies
from agents.highdim import iterate_pairs
from agents.io import atomic_save
from agents.objective import (
    BudgetExhausted,
    Objective,
    Recorder,
    StopRequested,
    check_x0,
    guess_scale,
    parse_options,
)
from agents.rdpg.networks import ActorEnsemble, RecurrentActor
from rover_envs import metric as metric_mod
from rover_envs.angle_net import FrozenAngleNet, build_angle_net
from rover_envs.features import HistoryFeatures
from rover_envs.grid import grid_points, rescale
from rover_envs.moves import EVALUATING, MOVES, MoveInputs
from rover_envs.transition import ACTION_LOW, GUARDS, clip_actions, guard_actions, transition, zoom_caps

POLICY_NAME = "rover_policy.pt"
BOUNDED_POLICY_NAME = "rover_box.pt"
"""The shipped policy for problems with finite bounds (trained half in boxes, ``ddpg_box.yaml``)."""
SHIPPED_METRIC = "grid_fit_floor"
"""The grid shape the shipped policies run by default (``RoverDescent.pretrained()``). Both were
trained on ``grid_fit``; its floored variant adapts where a residual hides the flat curvature and
was adopted at deployment by a rule written before its runs, on a fresh held-out draw
(docs/rdpg.md, "Confirmation on a fresh draw"). A policy loaded from a path runs its own."""
SHIPPED_BOUNDARY = "penalty"
"""How the shipped policy for bounded problems keeps to the bounds by default
(``RoverDescent.pretrained()``, 2-D): trained under clipping, it reads a wall beyond the bounds,
adopted at deployment by the same rule as ``SHIPPED_METRIC`` (docs/rdpg.md). Every other policy,
and runs over pairs of dimensions, clip."""
SHIPPED_RESOLUTION_SCALE = 0.088
"""The first grid's resolution of the shipped policy for bounded problems (``RoverDescent.
pretrained()``, 2-D, finite bounds): ``delta0 = 0.088 L`` in place of ``RESOLUTION_SCALE``, a
first grid four times as wide (about 0.1 of the distance to the minimiser in a [-5, 5]^2
domain, inside the range ``delta0 / d`` in [0.002, 1] that ``ddpg_box.yaml`` trains on).
Adopted at deployment by a rule written before its runs, on five seeds and a fresh draw
(docs/rdpg.md, "Five seeds"). Every other policy, unbounded problems and runs over pairs of
dimensions start at ``RESOLUTION_SCALE``."""
SHIPPED_INITIAL_SAMPLES = "auto"
"""The initial design of the shipped policy for bounded problems (``RoverDescent.pretrained()``,
2-D, finite bounds), a Latin hypercube design before the first grid (``minimize(initial_samples=
...)``): where ``max_evals`` counts the budget, the evaluations it leaves over after its
iterations (``"spare"``); where iterations count it, the first iteration's (``"spare+iteration"``:
``max_iter - 1`` iterations after the design). Each adopted at deployment by a rule written before
its run, on five seeds and a fresh draw (docs/rdpg.md, "The spare budget as an initial design"
and "The first iteration as a design, for precision"). Every other policy runs without one."""
SETTINGS = ("shipped", "trained")
"""``RoverDescent.pretrained(settings=...)``: the deployment settings above, or each policy's own."""
STEP_SIZE_SCALE, RESOLUTION_SCALE = 0.055, 0.022
"""Default ``alpha0`` and ``delta0`` per unit of the guessed length scale (module docstring)."""
MAX_ITER = 30
"""The paper's horizon T: the policy was trained on episodes of this length."""
XTOL = 1e-10
"""Convergence: step size and resolution both below ``xtol * max(1, ||theta||)`` (the grid
then resolves nothing a float64 minimiser could still gain)."""
FTOL_ULPS = 1
"""``minimize(ftol=...)``: a grid whose samples span at most this many units in the last place
of its lowest value also counts as flat (float64 resolves nothing finer there)."""
FLAT = "the grid shows nothing lower to gain (ftol)"
"""``minimize``'s message where ``ftol`` ended a schedule."""
FINISHES = ("none", "model")
"""``minimize(finish=...)``: ``"none"``, the actor's step; ``"model"``, once delta is below
``FINISH_AFTER`` of its first value, the minimum of a quadratic fitted to the grid where it fits
(:func:`rover_envs.metric.model_minimum`) replaces the step."""
ABANDONS = ("none", "model")
"""``minimize(abandon=...)``: ``"none"``, every schedule runs until it converges; ``"model"``, with
``restart="converged"``, a schedule whose grid's quadratic bottoms out above the best value found
(:func:`hopeless`) ends there, and a restart from the design takes its iterations."""
ABANDON_R2 = 0.999
""":func:`hopeless`'s fit test: the grid's quadratic must explain all but ``1 - ABANDON_R2`` of its
samples' variance (looser than the finish's ``MODEL_R2``: the test asks only how deep a basin
goes, not where to step)."""
DESCEND_AT = 0.5
"""``minimize(descend=k)``: a schedule stalls at a wide zoom while delta is at least this fraction
of its cap (``zoom_limits``: the grid then covers most of the box)."""
SHIPPED_DESCEND = 3
"""After how many iterations stalled at a wide zoom the shipped policy for bounded problems
(``RoverDescent.pretrained()``, 2-D) halves alpha and delta for the rest of the schedule
(``minimize(descend=...)``). Adopted by a rule written before its runs, on five seeds and two
fresh draws (docs/rdpg.md, "Halving from a stall at a wide zoom"). Every other policy: 0, off."""
SHIPPED_DESCEND_AT = 0.25
"""The fraction of the zoom cap at or above which a stall counts for the shipped bounded policy's
``descend`` (``minimize(descend_at=...)``), instead of ``DESCEND_AT``. Adopted by a rule written
before its runs, on five seeds and two fresh draws (docs/rdpg.md, "Halving from a stall at a
quarter of the widest zoom"). Every other policy: ``DESCEND_AT``."""
SHIPPED_EXPLORE = 0.01
"""Below what fraction of its first resolution the shipped policy for bounded problems
(``RoverDescent.pretrained()``, 2-D, with its restarts) parks a schedule whose basin is located,
explores from the design, and resumes the lowest for the last ``EXPLORE_RESERVE`` iterations
(``minimize(explore=...)``). Adopted by a rule written before its runs, on five seeds and two fresh
draws (docs/rdpg.md, "Parking a located basin to explore"). Every other policy: 0, off."""
SHIPPED_ABANDON = "model"
"""Whether the shipped policy for bounded problems (``RoverDescent.pretrained()``, 2-D, with its
restarts) gives up a schedule whose basin bottoms out above the best value found
(``minimize(abandon=...)``). Adopted by a rule written before its runs, on five seeds and two
fresh draws (docs/rdpg.md, "Giving up a basin that cannot win"). Every other policy: ``"none"``."""
EXPLORE_RESERVE = 10
"""``minimize(explore=...)``: with this many iterations left (those ``max_iter`` or the budget
allows, whichever is fewer), the parked schedule with the lowest sample resumes, if it is lower than
the running one's, and no schedule is parked after that: enough iterations to zoom from
``explore`` of the first resolution to convergence."""
REVISIT_JUMP = 1.5
"""``minimize(revisit=...)``: a move of the iterate longer than this many of its grid's spacings
(to a grid sample in another basin) leaves its point behind, a candidate to revisit."""
REVISIT_ZOOM = 0.25
"""``minimize(revisit=...)``: a revisit starts at this fraction of the step size and resolution
at which its point was left, so that its first grid stays in that point's basin."""
SEEKS = ("none", "model", "grid")
"""``minimize(seek=...)``: ``"none"``, every restart from the design starts at a design point;
``"model"``, before each, one evaluation at the bottom of a quadratic fitted to every sample so far
(:func:`model_bottom`), and the restart starts there instead where that sample is lower than the
best value found; ``"grid"``, once, where the design slopes toward its lowest point and the fit
explains ``SEEK_R2`` of the samples' variance, the restart starts at that bottom at the zoom where
the ending schedule first saw its basin as a bowl."""
SHIPPED_SEEK = "grid"
"""Whether the shipped policy for bounded problems (``RoverDescent.pretrained()``, 2-D, with its
restarts) hops once to the bottom of the quadratic fitted to every sample, at the zoom where a
schedule first saw its basin as a bowl (``minimize(seek=...)``). Adopted by a rule written before
its runs, on five seeds and two fresh draws (docs/rdpg.md, "A hop to the bowl's bottom at the
basin's zoom"). Every other policy: ``"none"``."""
SEEK_HOPS = 1
"""``minimize(seek="grid")``: the hops a run may make (each in place of a restart from the design)."""
SEEK_R2 = 0.9
"""``minimize(seek="grid")``: the quadratic fitted to every sample so far must explain this fraction
of their weighted variance (:func:`model_bottom`): a bowl under the ripples, not unrelated wells."""
ABANDONED = "the grid's quadratic bottoms out above the best value found (abandon)"
"""``minimize``'s message where ``abandon`` ended the last schedule."""
INITIAL_SAMPLES = ("spare", "spare+iteration", "auto")
"""``minimize(initial_samples=...)``'s named values besides a count: ``"spare"``, the evaluations
``max_evals`` leaves over after the iterations it pays for (none where the budget is counted in
iterations); ``"spare+iteration"``, those and one iteration's (the run makes one iteration
fewer, in either kind of budget); ``"auto"``, ``"spare"`` where ``max_evals`` counts the budget
and leaves some over, and ``"spare+iteration"`` where iterations count it or ``max_evals`` leaves
nothing over (``SHIPPED_INITIAL_SAMPLES``)."""
RESTARTS = ("none", "design", "converged")
"""``minimize(restart=...)`` values: ``"none"``, one schedule; ``"design"``, a second schedule tried
from the initial design's best point in another basin (``RESTART_*``, :func:`restart_point`);
``"converged"``, a new schedule whenever one converges (``xtol`` or ``ftol``) with iterations and budget left,
from the lowest design point away from where every schedule so far ended (:func:`next_start`)."""
SHIPPED_RESTART = "converged"
"""The restart rule of the shipped policy for bounded problems (``RoverDescent.pretrained()``,
2-D, finite bounds, with an initial design): a schedule that converges (``SHIPPED_FTOL`` with
``SHIPPED_FINISH``, or ``xtol``) hands the iterations left to a new one from the design. Adopted
with those two by a rule written before its runs, on five seeds and two fresh draws
(docs/rdpg.md, "Finishing a smooth basin by its model, then another basin"). Every other policy
runs without one."""
SHIPPED_FINISH = "model"
"""The finish of the shipped policy for bounded problems (``RoverDescent.pretrained()``, 2-D):
deep in the zoom, the grid's quadratic minimum replaces the actor's step where the quadratic
fits (``minimize(finish=...)``). Adopted with ``SHIPPED_RESTART``. Every other policy: ``"none"``."""
SHIPPED_FTOL = 1e-16
"""The flat-grid tolerance of the shipped policy for bounded problems (``minimize(ftol=...)``,
2-D). Adopted with ``SHIPPED_RESTART``. Every other policy: 0, off."""
RESTART_GATE = 0.4
""":func:`restart_point`: a second schedule is tried only where the lowest design point away from
the best point so far lies above it by more than this fraction of the design's median's height
above it (0: as low as the best; 1: as high as the median). On a landscape with a global
structure the design's points slope toward the best one, and the lowest of those away from it is
low (the fraction near 0); among unrelated wells the best well stands alone, and the fraction is
larger."""
RESTART_DISTANCE = 0.1
"""``minimize(restart_distance=...)``'s default: a restart's design point lies farther than this
fraction of the box's smallest width from where the schedules so far are (:func:`next_start`,
:func:`restart_point`)."""
SHIPPED_RESTART_DISTANCE = 0.2
"""The restart distance of the shipped policy for bounded problems (``RoverDescent.pretrained()``,
2-D): twice the default, so that a restart leaves the slopes of the basin just finished. Adopted
by a rule written before its runs, on five seeds and two fresh draws (docs/rdpg.md, "Restarts
farther from where a schedule ended")."""
RESTART_LOOKAHEAD = 3
"""``minimize(restart_lookahead=...)``'s default: iterations the second schedule runs before the
lower of the two continues (the first resumes where it stopped when the second found nothing
lower)."""
SHRINK_NEAR_CAP = -0.4
"""``minimize(shrink_below=...)``'s default: with ``shrink_power=r``, an actor's ``d_alpha`` or
``d_delta`` at or below this (within 0.1 of the action box's floor, ``ACTION_LOW`` = -0.5:
halving) asks to shrink as fast as the box allows; its factor ``1 + d`` is then raised to the
power ``r``."""
SHRINK_AFTER = 1e-3
"""``minimize(shrink_power=r)`` acts only once delta is below this fraction of its first value
(about ten halvings in): the basin is chosen by then, and what is left is precision."""
FINISH_AFTER = 1e-3
"""``minimize(finish="model")`` and ``ftol`` act only once delta is below this fraction of its first
value (``SHRINK_AFTER``'s: the basin is chosen by then)."""
SHIPPED_SHRINK_POWER = 2.0
"""The shrink power of the shipped policy for bounded problems (``RoverDescent.pretrained()``,
2-D): deep in the zoom, a shrink at the action box's floor is squared (a quarter per iteration
instead of a half). Adopted at deployment by a rule written before its runs, on five seeds and
two fresh draws (docs/rdpg.md, "Faster zooming once the basin is chosen"). Every other policy,
and runs over pairs of dimensions, run at 1 (the actor's own)."""
PROBE_SCALE = 0.35
"""A probe's grid resolution as a multiple of ``L`` (``minimize(probes=...)``): its reach, 3 x 0.35 L,
is about half the box's width."""
BOUNDARIES = ("clip", "reflect", "penalty", "active_penalty")
"""``boundary=`` values: how grid samples and steps beyond ``bounds`` are brought back in."""


def penalised(
    values: np.ndarray, raw: np.ndarray, points: np.ndarray, active_only: bool = False
) -> np.ndarray:
    """The grid the actor reads under ``boundary="penalty"``: each sample beyond the bounds keeps
    the value at its clipped point (the only point evaluated) plus ``lam * distance`` to it, where
    ``lam`` is the in-box samples' range per unit of the grid's reach (their largest distance from
    the grid's centre). A bound then shows as a wall as steep as the landscape inside, so a
    minimum on the bound looks like a valley floor, where clipping shows a flat band that ties it.

    ``values`` ``(m,)``; ``raw`` ``(m, 2)`` the grid before clipping; ``points`` ``(m, 2)`` after.
    With no sample beyond the bounds, or no spread among the finite in-box samples, ``values``
    comes back unchanged (as a copy). ``active_only`` (``boundary="active_penalty"``): the wall
    only while the bound is active on the grid, its lowest finite value at a clipped sample (ties
    included); otherwise the clipped grid as it is.
    """
    values = np.array(values, dtype=float)
    dist = np.linalg.norm(raw - points, axis=-1)
    outside = dist > 0
    inside_finite = ~outside & np.isfinite(values)
    if not outside.any() or inside_finite.sum() < 2:
        return values
    outside_finite = outside & np.isfinite(values)
    if active_only and not (
        outside_finite.any() and values[outside_finite].min() <= values[inside_finite].min()
    ):
        return values
    spread = float(np.ptp(values[inside_finite]))
    centre = raw.mean(axis=0)
    reach = float(np.max(np.linalg.norm(raw - centre, axis=-1)))
    if not (spread > 0 and reach > 0):
        return values
    return values + (spread / reach) * dist


def zoom_limits(bounds: np.ndarray | None, n: int) -> tuple[float, float] | None:
    """``(alpha_max, delta_max)`` under ``bounds``: a step no longer than the box's smallest finite
    width ``w`` and a grid whose half-extent ``delta (n - 1) / 2`` is at most ``w`` (from anywhere
    in the box it then covers the box; a wider one only repeats clipped or mirrored samples);
    ``None`` without a finite width."""
    if bounds is None:
        return None
    width = bounds[:, 1] - bounds[:, 0]
    width = width[np.isfinite(width) & (width > 0)]
    if width.size == 0:
        return None
    return zoom_caps(float(width.min()), n)


RETRAIN_HINT = "retrain it with `make train-ddpg`"


def default_policy_path() -> Path:
    override = os.environ.get("ROVER_POLICY")
    return Path(override) if override else Path(str(resources.files("agents") / "pretrained" / POLICY_NAME))


def default_bounded_policy_path() -> Path | None:
    """The shipped policy for bounded problems; ``None`` when ``ROVER_POLICY`` names another policy
    (that one then runs on every problem)."""
    if os.environ.get("ROVER_POLICY"):
        return None
    return Path(str(resources.files("agents") / "pretrained" / BOUNDED_POLICY_NAME))


ACTING_SETTINGS = (
    "grid_size",
    "horizon",
    "features",
    "move",
    "metric",
    "metric_rate",
    "metric_min_r2",
    "guard",
)
"""The training config's ``env`` keys that decide how a policy acts (what it reads, the move and grid
it runs on): the members of :meth:`RoverPolicy.ensemble` must agree on them."""


def design_points(bounds: np.ndarray, k: int, seed: int | None = None) -> np.ndarray:
    """``(k, d)`` Latin hypercube points in the finite ``bounds`` ``(d, 2)``, drawn from ``seed``
    (None: the fixed seed 0): the design of ``minimize(initial_samples=k)``."""
    bounds = np.asarray(bounds, dtype=float)
    rng = np.random.default_rng(0 if seed is None else seed)
    unit = qmc.LatinHypercube(d=len(bounds), seed=rng).random(k)
    return bounds[:, 0] + unit * (bounds[:, 1] - bounds[:, 0])


def initial_design(
    obj: Objective, x0: np.ndarray, k: int, seed: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(start, points, values)``: ``x0`` and ``k`` Latin hypercube points in ``obj``'s finite
    bounds, evaluated in one call (``minimize(initial_samples=k)``), their values (non-finite ones
    as inf), and the best of them (``x0`` where none is lower or finite)."""
    points = np.vstack([x0[None], design_points(obj.bounds, k, seed)])
    values = np.asarray(obj(points), dtype=float)
    values = np.where(np.isfinite(values), values, np.inf)
    return points[int(np.argmin(values))].copy(), points, values


def next_start(
    points: np.ndarray,
    values: np.ndarray,
    ends: list[np.ndarray],
    width: float,
    distance: float = RESTART_DISTANCE,
) -> np.ndarray | None:
    """``minimize(restart="converged")``'s next start: the lowest finite design point farther than
    ``distance * width`` from every point in ``ends`` (where the schedules so far converged), or
    None when there is none."""
    far = np.isfinite(values)
    for end in ends:
        far &= np.linalg.norm(points - end, axis=1) > distance * width
    if not far.any():
        return None
    return points[int(np.argmin(np.where(far, values, np.inf)))].copy()


def stalled(values: np.ndarray, model: tuple[np.ndarray, float] | None, tol: float) -> bool:
    """``minimize(ftol=...)``'s test on one grid's raw ``values``: all finite, and spanning at most
    ``tol`` (or ``FTOL_ULPS`` units in the last place of the lowest), or, with the grid's quadratic
    ``model`` (:func:`rover_envs.metric.model_minimum`, ``finish="model"``), a model that falls by
    at most that much from the grid's centre to its minimum."""
    if not np.isfinite(values).all():
        return False
    tol = max(tol, FTOL_ULPS * float(np.spacing(abs(float(values.min())))))
    return float(np.ptp(values)) <= tol or (model is not None and model[1] <= tol)


def hopeless(grid: np.ndarray, best: float) -> bool:
    """``minimize(abandon="model")``'s test on one raw grid ``(n, n)``: its least-squares quadratic
    fits (all but ``1 - ABANDON_R2`` of the variance, :func:`rover_envs.metric.model_minimum`) with
    a minimum inside the grid, and that minimum, less the grid's own span as a margin for the
    model's error, still lies above ``best``, the lowest value found so far: the basin the grid
    shows bottoms out above what another schedule has found."""
    model = metric_mod.model_minimum(grid, r2=ABANDON_R2)
    if model is None:
        return False
    n = grid.shape[-1]
    bottom = float(grid[n // 2, n // 2]) - model[1] - float(np.ptp(grid))
    return bottom > best


def restart_point(
    points: np.ndarray,
    values: np.ndarray,
    best_x: np.ndarray,
    best_f: float,
    width: float,
    distance: float = RESTART_DISTANCE,
) -> np.ndarray | None:
    """Where ``minimize(restart="design")`` tries a second schedule, or None.

    The candidate is the lowest of the design ``points`` farther than ``distance * width``
    (default ``RESTART_DISTANCE``) from the best point so far ``best_x`` (value ``best_f``). It is
    returned when the best point stands alone: ``(its value - best_f) / (median - best_f) >
    RESTART_GATE``, the median over the design's finite ``values``. On a landscape with a global
    structure the design slopes toward the best point and the ratio is near 0 (no restart); among
    unrelated wells the best well is isolated, and the candidate is the lowest point of the rest,
    perhaps in a deeper well.
    """
    finite = np.isfinite(values)
    far = finite & (np.linalg.norm(points - best_x, axis=1) > distance * width)
    if not far.any():
        return None
    median = float(np.median(values[finite]))
    if not median > best_f:
        return None
    k = int(np.argmin(np.where(far, values, np.inf)))
    if (values[k] - best_f) / (median - best_f) <= RESTART_GATE:
        return None
    return points[k].copy()


def model_bottom(
    points: np.ndarray, values: np.ndarray, weights: np.ndarray, bounds: np.ndarray, r2: float = 0.0
) -> np.ndarray | None:
    """``minimize(seek=...)``'s candidate: the bottom of the weighted least-squares quadratic
    through ``points`` ``(m, 2)`` and their ``values`` ``(m,)`` (non-finite ones left out), clipped
    into ``bounds`` ``(2, 2)``; None where fewer than six values are finite, the quadratic is not
    convex, or it explains less than ``r2`` of the values' weighted variance. ``weights`` ``(m,)``
    are the areas the samples stand for (the box's area over the design's size, a grid's squared
    spacing), so that the coarse grids, whose samples average over ripples finer than their
    spacing, weigh as much as the fine ones that crowd a single basin: on a bowl under ripples the
    fit's bottom is the bowl's, which a sample's value does not show."""
    keep = np.isfinite(values) & np.isfinite(points).all(axis=1)
    if keep.sum() < 6:
        return None
    mid, half = bounds.mean(axis=1), 0.5 * (bounds[:, 1] - bounds[:, 0])
    u = (points[keep] - mid) / half
    design = np.stack([np.ones(len(u)), u[:, 0], u[:, 1], u[:, 0] ** 2, u[:, 0] * u[:, 1], u[:, 1] ** 2], 1)
    root = np.sqrt(weights[keep] / weights[keep].max())
    c = np.linalg.lstsq(design * root[:, None], values[keep] * root, rcond=None)[0]
    if r2 > 0.0:
        w, v = root**2, values[keep]
        spread = float(np.sum(w * (v - np.average(v, weights=w)) ** 2))
        if not spread > 0.0 or 1.0 - float(np.sum(w * (v - design @ c) ** 2)) / spread < r2:
            return None
    hessian = np.array([[2.0 * c[3], c[4]], [c[4], 2.0 * c[5]]])
    if not np.all(np.isfinite(hessian)) or np.any(np.linalg.eigvalsh(hessian) <= 0):
        return None
    bottom = mid + half * np.linalg.solve(hessian, -c[1:3])
    return np.clip(bottom, bounds[:, 0], bounds[:, 1])


def revisit_point(left: list[tuple[float, np.ndarray, float, float]], ends: list[np.ndarray]) -> tuple | None:
    """``minimize(revisit=...)``'s next start, removed from ``left``, or None: of the points the
    iterate left behind, ``(value, point, alpha, delta)`` each, the lowest that lies farther than
    half its grid spacing ``delta`` from every point in ``ends`` (where schedules converged, were
    parked or are)."""
    far = [each for each in left if all(np.linalg.norm(each[1] - end) > 0.5 * each[3] for end in ends)]
    if not far:
        return None
    best = min(far, key=lambda each: each[0])
    left.remove(best)
    return best


class RoverPolicy:
    """Frozen angle network (direction) + recurrent actor (step size, resolution)."""

    def __init__(
        self,
        angle: FrozenAngleNet,
        actor: RecurrentActor | ActorEnsemble,
        actor_arch: dict,
        meta: dict | None = None,
    ):
        self.angle, self.actor, self.actor_arch = angle, actor, dict(actor_arch)
        self.grid_size = angle.grid_size
        self.meta = meta or {}
        self.deployed_metric: str | None = None
        """A grid shape to run instead of the trained one (``metric``); None: the trained one."""
        self.deployed_boundary: str | None = None
        """A boundary rule to run instead of clipping (``boundary``); None: clip."""
        self.deployed_resolution_scale: float | None = None
        """``delta0 / L`` under finite bounds in 2-D instead of ``RESOLUTION_SCALE``; None: that."""
        self.deployed_initial_samples: int | str | None = None
        """``minimize``'s default ``initial_samples`` (the shipped bounded policy:
        ``SHIPPED_INITIAL_SAMPLES``); None: 0, no design."""
        self.deployed_shrink_power: float | None = None
        """``minimize``'s default ``shrink_power`` (the shipped bounded policy:
        ``SHIPPED_SHRINK_POWER``); None: 1."""
        self.deployed_restart: str | None = None
        """``minimize``'s default ``restart`` (the shipped bounded policy: ``SHIPPED_RESTART``);
        None: ``"none"``."""
        self.deployed_finish: str | None = None
        """``minimize``'s default ``finish`` (the shipped bounded policy: ``SHIPPED_FINISH``); None:
        ``"none"``."""
        self.deployed_ftol: float | None = None
        """``minimize``'s default ``ftol`` (the shipped bounded policy: ``SHIPPED_FTOL``); None: 0."""
        self.deployed_restart_distance: float | None = None
        """``minimize``'s default ``restart_distance`` (the shipped bounded policy:
        ``SHIPPED_RESTART_DISTANCE``); None: ``RESTART_DISTANCE``."""
        self.deployed_descend: int | None = None
        """``minimize``'s default ``descend`` (the shipped bounded policy: ``SHIPPED_DESCEND``); None:
        0, off."""
        self.deployed_abandon: str | None = None
        """``minimize``'s default ``abandon`` (the shipped bounded policy: ``SHIPPED_ABANDON``); None:
        ``"none"``."""
        self.deployed_descend_at: float | None = None
        """``minimize``'s default ``descend_at`` (the shipped bounded policy: ``SHIPPED_DESCEND_AT``);
        None: ``DESCEND_AT``."""
        self.deployed_explore: float | None = None
        """``minimize``'s default ``explore`` (the shipped bounded policy: ``SHIPPED_EXPLORE``); None:
        0, off."""
        self.deployed_revisit: int | None = None
        """``minimize``'s default ``revisit``; None: 0, off."""
        self.deployed_seek: str | None = None
        """``minimize``'s default ``seek`` (the shipped bounded policy: ``SHIPPED_SEEK``); None:
        ``"none"``, off."""

    @property
    def move(self) -> str:
        """The move rule the actor was trained with (its config's ``env.move``; eq. 4's for
        policies that predate the option)."""
        return self.meta.get("config", {}).get("env", {}).get("move", "eq4")

    @property
    def metric(self) -> tuple[str, float, float]:
        """The grid shape ``minimize`` runs by default, its rate and its fit test: ``deployed_metric``
        when set (the shipped policies: ``SHIPPED_METRIC``), else the shape the actor was trained
        with (``env.metric``; the square grid for policies that predate the option), with the
        training config's ``env.metric_rate`` and ``env.metric_min_r2``."""
        env = self.meta.get("config", {}).get("env", {})
        rate = float(env.get("metric_rate", metric_mod.DEFAULT_RATE))
        name = self.deployed_metric or env.get("metric", "none")
        return name, rate, float(env.get("metric_min_r2", metric_mod.MIN_R2))

    @property
    def boundary(self) -> str:
        """The boundary rule ``minimize`` runs by default in 2-D: ``deployed_boundary`` when set (the
        shipped bounded policy: ``SHIPPED_BOUNDARY``), else ``"clip"``, what training's boxes do."""
        return self.deployed_boundary or "clip"

    @property
    def resolution_scale(self) -> float:
        """``delta0 / L`` that ``minimize`` starts from under finite bounds in 2-D:
        ``deployed_resolution_scale`` when set (the shipped bounded policy:
        ``SHIPPED_RESOLUTION_SCALE``), else ``RESOLUTION_SCALE``, the geometric mean of training's
        range."""
        return self.deployed_resolution_scale or RESOLUTION_SCALE

    @property
    def initial_samples(self) -> int | str:
        """The initial design ``minimize`` spends by default: ``deployed_initial_samples`` when set
        (the shipped bounded policy: ``SHIPPED_INITIAL_SAMPLES``), else 0."""
        return 0 if self.deployed_initial_samples is None else self.deployed_initial_samples

    @property
    def shrink_power(self) -> float:
        """The power ``minimize`` raises a shrink at the action box's floor to by default:
        ``deployed_shrink_power`` when set, else 1 (the actor's own)."""
        return 1.0 if self.deployed_shrink_power is None else float(self.deployed_shrink_power)

    @property
    def restart(self) -> str:
        """The restart rule ``minimize`` runs by default: ``deployed_restart`` when set (the shipped
        bounded policy: ``SHIPPED_RESTART``), else ``"none"``."""
        return self.deployed_restart or "none"

    @property
    def finish(self) -> str:
        """The finish ``minimize`` runs by default: ``deployed_finish`` when set (the shipped bounded
        policy: ``SHIPPED_FINISH``), else ``"none"``."""
        return self.deployed_finish or "none"

    @property
    def ftol(self) -> float:
        """The flat-grid tolerance ``minimize`` runs by default: ``deployed_ftol`` when set (the
        shipped bounded policy: ``SHIPPED_FTOL``), else 0 (off)."""
        return 0.0 if self.deployed_ftol is None else float(self.deployed_ftol)

    @property
    def restart_distance(self) -> float:
        """How far, as a fraction of the box's smallest width, a restart starts from where the
        schedules so far are: ``deployed_restart_distance`` when set, else ``RESTART_DISTANCE``."""
        return (
            RESTART_DISTANCE
            if self.deployed_restart_distance is None
            else float(self.deployed_restart_distance)
        )

    @property
    def descend(self) -> int:
        """After how many iterations stalled at a wide zoom ``minimize`` overrides the actor's zoom
        by default: ``deployed_descend`` when set (the shipped bounded policy: ``SHIPPED_DESCEND``),
        else 0 (never)."""
        return 0 if self.deployed_descend is None else int(self.deployed_descend)

    @property
    def abandon(self) -> str:
        """Whether ``minimize`` abandons a schedule whose basin bottoms out above the best value
        found, by default: ``deployed_abandon`` when set (the shipped bounded policy:
        ``SHIPPED_ABANDON``), else ``"none"``."""
        return self.deployed_abandon or "none"

    @property
    def descend_at(self) -> float:
        """Above what fraction of the zoom cap a stall makes ``minimize``'s ``descend`` act, by
        default: ``deployed_descend_at`` when set (the shipped bounded policy: ``SHIPPED_DESCEND_AT``),
        else ``DESCEND_AT``."""
        return DESCEND_AT if self.deployed_descend_at is None else float(self.deployed_descend_at)

    @property
    def explore(self) -> float:
        """Below what fraction of its first resolution ``minimize`` parks a schedule whose basin is
        located, by default: ``deployed_explore`` when set (the shipped bounded policy:
        ``SHIPPED_EXPLORE``), else 0 (never)."""
        return 0.0 if self.deployed_explore is None else float(self.deployed_explore)

    @property
    def revisit(self) -> int:
        """How many restarts ``minimize`` may spend on points the iterate left behind, by default:
        ``deployed_revisit`` when set, else 0 (never)."""
        return 0 if self.deployed_revisit is None else int(self.deployed_revisit)

    @property
    def seek(self) -> str:
        """Whether ``minimize`` first tries a restart at the bottom of a quadratic fitted to every
        sample so far, by default: ``deployed_seek`` when set (the shipped bounded policy:
        ``SHIPPED_SEEK``), else ``"none"`` (never)."""
        return self.deployed_seek or "none"

    @property
    def guard(self) -> str:
        """The zoom guard the actor was trained with (``env.guard``, :func:`rover_envs.transition.
        guard_actions`; ``"none"`` for policies that predate the option)."""
        return self.meta.get("config", {}).get("env", {}).get("guard", "none")

    @property
    def horizon(self) -> int:
        """The episode length the actor was trained on (its config's ``env.horizon``; the paper's
        ``MAX_ITER`` for policies that predate the option): ``minimize``'s default ``max_iter``."""
        return int(self.meta.get("config", {}).get("env", {}).get("horizon", MAX_ITER))

    def direction(self, obs: np.ndarray) -> np.ndarray:
        """Unit directions ``(B, 2)`` for grids ``(B, 1, n, n)`` (the environment's provider)."""
        return self.angle(obs)

    def save(self, path: str | Path) -> None:
        """One checkpoint for both networks, written atomically."""
        atomic_save(
            {
                "angle": {"state_dict": self.angle.model.state_dict(), "arch": self.angle.arch},
                "actor": {"state_dict": self.actor.state_dict(), "arch": self.actor_arch},
                "meta": self.meta,
            },
            path,
        )

    @classmethod
    def load(cls, path: str | Path) -> RoverPolicy:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"policy weights not found at {path}; {RETRAIN_HINT}")
        try:
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
            angle = build_angle_net(**ckpt["angle"]["arch"])
            angle.load_state_dict(ckpt["angle"]["state_dict"])
            actor = build_actor(ckpt["actor"]["arch"])
            actor.load_state_dict(ckpt["actor"]["state_dict"])
        except Exception as exc:
            raise ValueError(f"policy weights at {path} are unreadable ({exc}); {RETRAIN_HINT}") from exc
        actor.eval().requires_grad_(False)
        return cls(
            FrozenAngleNet(angle, ckpt["angle"]["arch"]), actor, ckpt["actor"]["arch"], ckpt.get("meta")
        )

    @classmethod
    def ensemble(cls, policies: list[RoverPolicy], sources: list[str] | None = None) -> RoverPolicy:
        """One policy from several trained on the same recipe (the same angle network, and the
        environment settings of ``ACTING_SETTINGS``): their actors act as one
        :class:`~agents.rdpg.ActorEnsemble`, the mean of their actions. ``sources`` (one name per
        policy, e.g. its run folder) go into ``meta``."""
        if len(policies) < 2:
            raise ValueError(f"an ensemble needs at least two policies; got {len(policies)}")
        first = policies[0]
        names = list(sources) if sources is not None else [f"policy {k}" for k in range(len(policies))]
        for k, other in enumerate(policies[1:], start=1):
            same_angle = other.angle.arch == first.angle.arch and all(
                torch.equal(a, b)
                for a, b in zip(
                    first.angle.model.state_dict().values(), other.angle.model.state_dict().values()
                )
            )
            if not same_angle:
                raise ValueError(
                    f"{names[k]} has another angle network than {names[0]}; ensemble one recipe's seeds"
                )
            env0, env = (p.meta.get("config", {}).get("env", {}) for p in (first, other))
            differ = [key for key in ACTING_SETTINGS if env0.get(key) != env.get(key)]
            if differ:
                raise ValueError(
                    f"{names[k]} acts under other settings than {names[0]} ({', '.join(differ)}); "
                    "ensemble one recipe's seeds"
                )
        arch = {"ensemble": [p.actor_arch for p in policies]}
        actor = ActorEnsemble([p.actor for p in policies]).eval().requires_grad_(False)
        meta = dict(first.meta)
        meta["ensemble"] = names
        meta["ensemble_seeds"] = [p.meta.get("config", {}).get("seed") for p in policies]
        return cls(first.angle, actor, arch, meta)


def build_actor(arch: dict) -> RecurrentActor | ActorEnsemble:
    """The actor a checkpoint's ``arch`` describes: one :class:`RecurrentActor`, or an
    :class:`~agents.rdpg.ActorEnsemble` (``{"ensemble": [arch, ...]}``)."""
    if "ensemble" in arch:
        return ActorEnsemble([RecurrentActor(**member) for member in arch["ensemble"]])
    return RecurrentActor(**arch)


class RoverDescent:
    """The learned zeroth-order optimiser with SciPy's ``minimize`` API."""

    def __init__(self, policy: RoverPolicy, direction=None, bounded_policy: RoverPolicy | None = None):
        """``direction(obs, theta) -> (2,)`` replaces the angle network when given (diagnostics:
        e.g. the steepest-descent direction of a landscape, to separate direction from schedule).
        ``bounded_policy``: the policy that runs instead of ``policy`` on problems with finite
        ``bounds`` (one trained in boxes; ``None``: ``policy`` everywhere)."""
        self.policy = policy
        self.direction = direction
        self.bounded_policy = bounded_policy

    @classmethod
    def pretrained(
        cls, path: str | Path | None = None, bounded: str | Path | None = None, settings: str | None = None
    ) -> RoverDescent:
        """The shipped optimiser (``make train-ddpg``): ``agents/pretrained/rover_policy.pt``, and on
        problems with finite bounds ``agents/pretrained/rover_box.pt`` (trained half in boxes:
        chosen on bounded validation landscapes, where it solves 0.94 against 0.84; with the zoom
        guard, a tie there that loses nothing; docs/rdpg.md).
        ``path``: that policy on every problem, unless ``bounded`` names one for bounded problems.
        ``settings``: ``"shipped"``, every policy on the grid shape ``SHIPPED_METRIC`` and the one
        that runs bounded problems with the boundary rule ``SHIPPED_BOUNDARY``, or ``"trained"``,
        each on the shape and rule it was trained with (clip); default: shipped for the shipped
        files, trained for a policy given by path (or ``ROVER_POLICY``)."""
        if settings not in (None, *SETTINGS):
            raise ValueError(f"unknown settings {settings!r}; valid: {', '.join(SETTINGS)}")
        if settings is None:
            shipped = path is None and bounded is None and not os.environ.get("ROVER_POLICY")
            settings = "shipped" if shipped else "trained"
        bounded_path = default_bounded_policy_path() if path is None and bounded is None else bounded
        policy = RoverPolicy.load(path or default_policy_path())
        bounded_policy = None if bounded_path is None else RoverPolicy.load(bounded_path)
        if settings == "shipped":
            for each in (policy, bounded_policy):
                if each is not None:
                    each.deployed_metric = SHIPPED_METRIC
            (bounded_policy or policy).deployed_boundary = SHIPPED_BOUNDARY
            (bounded_policy or policy).deployed_resolution_scale = SHIPPED_RESOLUTION_SCALE
            (bounded_policy or policy).deployed_initial_samples = SHIPPED_INITIAL_SAMPLES
            (bounded_policy or policy).deployed_restart = SHIPPED_RESTART
            (bounded_policy or policy).deployed_shrink_power = SHIPPED_SHRINK_POWER
            (bounded_policy or policy).deployed_finish = SHIPPED_FINISH
            (bounded_policy or policy).deployed_ftol = SHIPPED_FTOL
            (bounded_policy or policy).deployed_restart_distance = SHIPPED_RESTART_DISTANCE
            (bounded_policy or policy).deployed_abandon = SHIPPED_ABANDON
            (bounded_policy or policy).deployed_descend = SHIPPED_DESCEND
            (bounded_policy or policy).deployed_explore = SHIPPED_EXPLORE
            (bounded_policy or policy).deployed_descend_at = SHIPPED_DESCEND_AT
            (bounded_policy or policy).deployed_seek = SHIPPED_SEEK
        return cls(policy, bounded_policy=bounded_policy)

    def with_seek(self, seek: str | None) -> RoverDescent:
        """This optimiser with ``seek`` as the default ``minimize(seek=...)`` of the policy that runs
        bounded problems (``"none"``, ``"model"``, ``"grid"``; None: leave it as it is), so that a
        measurement can show one set of weights with and without the hop. Returns ``self``."""
        if seek is not None:
            if seek not in SEEKS:
                raise ValueError(f"unknown seek {seek!r}; valid: {', '.join(SEEKS)}")
            (self.bounded_policy or self.policy).deployed_seek = seek
        return self

    @classmethod
    def from_sb3(cls, run: str | Path) -> RoverDescent:
        """A Stable-Baselines3 agent trained on ``RoverLandscape-v0`` (a finished run folder of
        ``python -m experiments.train_sb3`` or ``make compare-rl``) as the optimiser: its
        model gives the step-size and resolution changes, the environment's default angle
        network the direction, and its move rule and features are those it was trained with
        (:class:`agents.sb3.SB3Actor`)."""
        from agents.sb3 import load_sb3_policy

        return cls(load_sb3_policy(run))

    @staticmethod
    def initial_schedule(x0: np.ndarray, bounds: np.ndarray | None) -> tuple[float, float]:
        """``(alpha0, delta0)`` by the rule in the module docstring."""
        scale = guess_scale(x0, bounds)
        return STEP_SIZE_SCALE * scale, RESOLUTION_SCALE * scale

    def _start(
        self, x: np.ndarray, obj: Objective, step_size, resolution, in_2d: bool = True
    ) -> tuple[float, float]:
        alpha0, delta0 = self.initial_schedule(x, obj.bounds)
        if in_2d and zoom_limits(obj.bounds, self.policy.grid_size) is not None:  # finite bounds
            delta0 *= getattr(self.policy, "resolution_scale", RESOLUTION_SCALE) / RESOLUTION_SCALE
        alpha = alpha0 if step_size is None else step_size
        delta = delta0 if resolution is None else resolution
        for name, value in (("step_size", alpha), ("resolution", delta)):
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float | np.number)
                or not (np.isfinite(value) and value > 0)
            ):
                raise ValueError(
                    f"{name} must be a finite number > 0 (None: the default rule); got {value!r}"
                )
        return float(alpha), float(delta)

    def _iterate(
        self,
        obj: Objective,
        rec: Recorder,
        x: np.ndarray,
        alpha: float,
        delta: float,
        max_iter: int,
        xtol: float,
        move: str,
        metric: tuple[str, float, float] = ("none", metric_mod.DEFAULT_RATE, metric_mod.MIN_R2),
        boundary: str = "clip",
        cap: tuple[float, float] | None = None,
        guard: str = "none",
        probes: int = 0,
        design: tuple[np.ndarray, np.ndarray] | None = None,
        lookahead: int = RESTART_LOOKAHEAD,
        shrink_power: float = 1.0,
        restart: str = "none",
        shrink_below: float = SHRINK_NEAR_CAP,
        ftol: float = 0.0,
        finish: str = "none",
        restart_distance: float = RESTART_DISTANCE,
        abandon: str = "none",
        descend: int = 0,
        explore: float = 0.0,
        descend_at: float = DESCEND_AT,
        revisit: int = 0,
        seek: str = "none",
    ) -> tuple[str, bool]:
        """The optimisation loop (see the module docstring); returns ``(message, success)``.
        ``design``: the initial design's ``(points, values)``, where ``restart`` starts its
        schedules (None: no design, no restart)."""
        n = self.policy.grid_size
        start_alpha, start_delta = alpha, delta
        probe_at = {round(max_iter * k / (probes + 1)) for k in range(1, probes + 1)} - {0}
        if probe_at:  # the probe's resolution, under the zoom cap like every grid
            probe_delta = PROBE_SCALE * guess_scale(x, obj.bounds)
            probe_delta = probe_delta if cap is None else min(probe_delta, cap[1])
        inside = obj.reflect if boundary == "reflect" else obj.clip
        shape = metric_mod.initial(1, metric[0])
        cost = self._iteration_cost(move)
        theta, alpha, delta = x[None], np.array([alpha]), np.array([delta])
        hidden, start = self.policy.actor.initial(1), torch.ones(1, dtype=torch.bool)
        history = HistoryFeatures(1, max_iter) if getattr(self.policy.actor, "n_features", 0) else None
        accepted, restarted = None, False
        t = 0  # the schedule's own clock (a second schedule starts its own)
        # restart="design": half-way through the iterations the budget pays for
        restart_at, width = -1, None
        if design is not None:  # restarts keep away from where a schedule is, by the box's width
            width = float(np.min(obj.bounds[:, 1] - obj.bounds[:, 0]))
        if design is not None and restart == "design":
            restart_at = (min(max_iter, obj.remaining() // cost) + 1) // 2
        paused, lookahead_end, paused_best = None, -1, np.inf
        ends: list[np.ndarray] = []  # restart="converged": where each schedule that restarted converged
        converged = "step size and resolution below xtol"  # or FLAT: what ended the last schedule
        scale = None  # ftol's scale of f: the design's median above its lowest, or the first grid's span
        if design is not None and np.isfinite(design[1]).any():
            found = design[1][np.isfinite(design[1])]
            scale = float(np.median(found) - found.min())
        lowest, stalls, descending = np.inf, 0, False  # descend: this schedule's lowest sample so far
        # explore: (lowest sample, state) of each parked schedule; the running one's lowest sample
        parked: list[tuple[float, tuple]] = []
        own, resumed = np.inf, False
        # revisit: (value, point, alpha, delta) of each point the iterate jumped away from, and how
        # many restarts may still go to them (none where the design shows no global structure)
        left: list[tuple[float, np.ndarray, float, float]] = []
        seek = seek if design is not None and restart == "converged" else "none"
        slopes = False  # the design slopes toward its lowest point (restart_point finds no lone well)
        if design is not None and restart == "converged" and (revisit or seek == "grid"):
            lowest_design = int(np.argmin(design[1]))
            best_point, best_value = design[0][lowest_design], float(design[1][lowest_design])
            slopes = restart_point(*design, best_point, best_value, width, restart_distance) is None
        revisits = revisit if slopes else 0
        # seek: every sample so far, with the area it stands for (model_bottom's fit); "grid": the
        # hops left, and the running schedule's zoom where its grid first fit a bowl
        bank: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        hops, basin_zoom = (SEEK_HOPS if seek == "grid" and slopes else 0), None
        if seek in ("model", "grid"):
            area = float(np.prod(obj.bounds[:, 1] - obj.bounds[:, 0])) / len(design[1])
            bank.append((design[0], design[1], np.full(len(design[1]), area)))

        def sought(other: np.ndarray | None, here: np.ndarray, floor: float = np.inf) -> tuple:
            """``(start, zoom)`` of the next schedule in place of the design point ``other``
            (``zoom`` None: the first schedule's). seek="model": the model's bottom where one
            evaluation there is lower than the best value found and than ``floor`` (where a schedule
            is parked, the bottom its basin's quadratic predicts, less the grid's span: a lower
            point in that basin is the parked schedule's to find). seek="grid": once, where the
            design slopes, the model's bottom at the zoom where the schedule ending at ``here``
            first saw its basin as a bowl, unless that bottom lies on that grid's reach around
            ``here``."""
            nonlocal hops
            if seek == "none" or other is None or obj.remaining() < 1:
                return other, None
            if seek == "grid" and (not hops or basin_zoom is None):
                return other, None
            bottom = model_bottom(
                *(np.concatenate(each) for each in zip(*bank, strict=True)),
                obj.bounds,
                SEEK_R2 if seek == "grid" else 0.0,
            )
            if bottom is None:
                return other, None
            if seek == "grid":
                if np.max(np.abs(bottom - here)) <= (n // 2) * basin_zoom[1]:
                    return other, None
                hops -= 1
                return bottom, basin_zoom
            best = obj.best()[1]
            value = float(np.asarray(obj(bottom)).ravel()[0])
            return (bottom if np.isfinite(value) and value < min(best, floor) else other), None

        for it in range(max_iter):
            if obj.remaining() < cost:  # score the iterate alone
                message = f"evaluation budget max_evals={obj.max_evals} cannot pay for an iteration ({cost})"
                if obj.remaining() >= 1:
                    rec.record(theta[0], obj(theta[0]), step_size=alpha[0], resolution=delta[0])
                if ends:  # a schedule converged before the budget ran out
                    return f"{converged}, then {len(ends)} restart(s) from the design; {message}", True
                return message + ("; only x0 was evaluated" if it == 0 else ""), False
            if explore and not resumed and min(max_iter - it, obj.remaining() // cost) <= EXPLORE_RESERVE:
                resumed = True  # the iterations left finish the lowest schedule found, parked or running
                lowest_parked = min(parked, key=lambda each: each[0], default=(np.inf, None))
                if lowest_parked[0] < own:
                    own, state = lowest_parked
                    theta, alpha, delta, hidden, start, shape, accepted, t, history = state[:9]
                    lowest, stalls, descending = state[9:]
                    restarted = False
            if it == restart_at:  # try a second schedule from another basin of the design
                best_x, best_f = obj.best()
                other = restart_point(*design, best_x, best_f, width, restart_distance)
                if other is not None:
                    paused = (theta, alpha, delta, hidden, start, shape, accepted, t, copy.deepcopy(history))
                    paused_best, lookahead_end = best_f, it + lookahead
                    theta, alpha, delta = other[None], np.array([start_alpha]), np.array([start_delta])
                    hidden, start = self.policy.actor.initial(1), torch.ones(1, dtype=torch.bool)
                    shape, accepted, restarted, t = metric_mod.initial(1, metric[0]), None, True, 0
            if it == lookahead_end and not obj.best()[1] < paused_best:  # nothing lower: resume
                theta, alpha, delta, hidden, start, shape, accepted, t, history = paused
                restarted = False
            if it in probe_at:  # one coarse square grid instead of an iteration; a lower sample restarts
                points = inside(grid_points(theta, np.array([probe_delta]), n).reshape(1, -1, 2))[0]
                best = obj.best()[1]  # before the probe's own samples
                values = np.where(np.isfinite(found := obj(points)), found, np.inf)
                k = int(np.argmin(values))
                if values[k] < best:
                    theta, alpha, delta, f = (
                        points[k][None],
                        np.array([start_alpha]),
                        np.array([start_delta]),
                        values[k],
                    )
                    hidden, start = self.policy.actor.initial(1), torch.ones(1, dtype=torch.bool)
                    shape, accepted, restarted = metric_mod.initial(1, metric[0]), None, True
                rec.record(theta[0], f, step_size=alpha[0], resolution=delta[0])
                t += 1
                continue
            # in the bounds: the points evaluated, so a move to the best sample stays inside
            raw = grid_points(theta, delta, n, shape=shape).reshape(1, -1, 2)
            points = inside(raw)
            values = obj(points[0])[None]
            seen = values
            if seek in ("model", "grid"):
                bank.append((points[0], values[0], np.full(n * n, delta[0] ** 2)))
            if seek == "grid":
                basin_zoom = None if t == 0 else basin_zoom
                if (
                    basin_zoom is None
                    and np.array_equal(raw[0], points[0])
                    and metric_mod.model_minimum(values[0].reshape(n, n), r2=ABANDON_R2) is not None
                ):
                    basin_zoom = (float(alpha[0]), float(delta[0]))
            if boundary in ("penalty", "active_penalty"):
                seen = penalised(values[0], raw[0], points[0], boundary == "active_penalty")[None]
            f = values[0, (n * n) // 2] if n % 2 else obj(theta[0])
            rec.record(theta[0], f, step_size=alpha[0], resolution=delta[0])
            if not np.isfinite(f):
                where = theta[0].tolist()
                return f"fun is not finite at the iterate {where}; stopped with the best finite point", False
            if ftol and scale is None and np.isfinite(values).any():  # no design: the first grid's span
                scale = float(np.ptp(values[np.isfinite(values)]))
            late, model = delta[0] < FINISH_AFTER * start_delta, None
            if finish == "model" and late and np.array_equal(raw[0], points[0]):  # no sample clipped
                model = metric_mod.model_minimum(values[0].reshape(n, n))
            small = max(alpha[0], delta[0]) <= xtol * max(1.0, float(np.linalg.norm(theta[0])))
            if descend and cap is not None:  # a stall at a wide zoom: halve from here on
                low = float(np.min(np.where(np.isfinite(values[0]), values[0], np.inf)))
                if t == 0:  # a new schedule
                    lowest, stalls, descending = low, 0, False
                elif low < lowest - float(np.spacing(abs(lowest))):
                    lowest, stalls = low, 0
                else:
                    stalls += 1
                descending = descending or (stalls >= descend and delta[0] >= descend_at * cap[1])
            done = small or (ftol and late and stalled(values[0], model, ftol * scale))
            own = min(
                np.inf if t == 0 else own, float(np.min(np.where(np.isfinite(values[0]), values[0], np.inf)))
            )
            if (
                explore
                and not (done or resumed)
                and restart == "converged"
                and design is not None
                and delta[0] < explore * start_delta
                and np.array_equal(raw[0], points[0])  # no sample clipped
                and (located := metric_mod.model_minimum(values[0].reshape(n, n), r2=ABANDON_R2)) is not None
            ):  # a basin located: park its schedule, and look for another from the design
                back = revisit_point(left, [*ends, theta[0]]) if revisits else None
                if back:  # inside the left point's basin
                    other, zoom = back[1], (REVISIT_ZOOM * back[2], REVISIT_ZOOM * back[3])
                else:  # the design's next start, or where seek sends it
                    floor = float(f) - located[1] - float(np.ptp(values[0]))  # hopeless()'s margin
                    other, zoom = sought(
                        next_start(*design, [*ends, theta[0]], width, restart_distance), theta[0], floor
                    )
                if other is not None:
                    state = (theta, alpha, delta, hidden, start, copy.deepcopy(shape), accepted, t)
                    parked.append((own, (*state, copy.deepcopy(history), lowest, stalls, descending)))
                    ends.append(theta[0].copy())
                    zoom = zoom or (start_alpha, start_delta)
                    theta, alpha, delta = other[None], np.array([zoom[0]]), np.array([zoom[1]])
                    revisits -= bool(back)
                    hidden, start = self.policy.actor.initial(1), torch.ones(1, dtype=torch.bool)
                    shape, accepted, restarted, t = metric_mod.initial(1, metric[0]), None, True, 0
                    continue
            given_up = (
                not done
                and abandon == "model"
                and restart == "converged"
                and np.array_equal(raw[0], points[0])  # no sample clipped
                and hopeless(values[0].reshape(n, n), obj.best()[1])
            )
            other, back, zoom = None, None, None
            if done or given_up:
                if restart == "converged" and design is not None and it + 1 < max_iter:
                    back = revisit_point(left, [*ends, theta[0]]) if revisits else None
                    if back:  # inside the left point's basin
                        other, zoom = back[1], (REVISIT_ZOOM * back[2], REVISIT_ZOOM * back[3])
                    else:  # the design's next start, or where seek sends it
                        other, zoom = sought(
                            next_start(*design, [*ends, theta[0]], width, restart_distance), theta[0]
                        )
                if done:
                    converged = "step size and resolution below xtol" if small else FLAT
                if done and other is None:  # the restarts so far, if any, in the message
                    return converged + (
                        f", after {len(ends)} restart(s) from the design" if ends else ""
                    ), True
            if other is not None:  # a restart, where a schedule converged or was given up
                converged = converged if done else ABANDONED
                ends.append(theta[0].copy())
                zoom = zoom or (start_alpha, start_delta)
                theta, alpha, delta = other[None], np.array([zoom[0]]), np.array([zoom[1]])
                revisits -= bool(back)
                hidden, start = self.policy.actor.initial(1), torch.ones(1, dtype=torch.bool)
                shape, accepted, restarted, t = metric_mod.initial(1, metric[0]), None, True, 0
                continue
            obs = rescale(seen.reshape(1, n, n))[:, None].astype(np.float32)
            direction = metric_mod.apply(shape, self._direction(obs, theta))
            feats = ()
            if history is not None:  # the environment's features=True observation
                grid = seen.reshape(1, n, n)
                if it == 0 or restarted:
                    history.reset([0], grid, alpha, delta)
                else:
                    history.update([0], grid, accepted, np.array([t]), alpha, delta)
                feats = (torch.from_numpy(history.values.copy()),)
            action, hidden = self.policy.actor.act(torch.from_numpy(obs), hidden, start, *feats)
            start, restarted, t = torch.zeros(1, dtype=torch.bool), False, t + 1
            actions = clip_actions(action.double().numpy(), with_choice=move == "actor")
            actions = guard_actions(actions, seen.reshape(1, n, n), guard)
            if descending:  # alpha and delta halve, whatever the actor asks
                actions[:, :2] = ACTION_LOW
            if shrink_power != 1.0 and delta[0] < SHRINK_AFTER * start_delta:
                # deep in the zoom, a shrink at the box's floor goes deeper (only alpha and delta)
                zoom = actions[:, :2]
                actions[:, :2] = np.where(zoom <= shrink_below, (1.0 + zoom) ** shrink_power - 1.0, zoom)
            grid_delta, grid_alpha = delta, alpha
            step, alpha, delta = transition(theta, alpha, delta, direction, actions, clip=inside)
            if model is not None:  # the quadratic's minimum instead of the step
                step = inside(theta + grid_delta[:, None] * metric_mod.apply(shape, model[0][None]))
            if cap is not None:  # no wider than the bounds can show
                alpha, delta = np.minimum(alpha, cap[0]), np.minimum(delta, cap[1])
            choice = actions[:, -1] if move == "actor" else None
            moved = MOVES[move](MoveInputs(theta, step, np.array([f]), points, values, choice), obj)
            if revisits and np.linalg.norm(moved.theta[0] - theta[0]) > REVISIT_JUMP * grid_delta[0]:
                left.append((float(f), theta[0].copy(), float(grid_alpha[0]), float(grid_delta[0])))
            theta, accepted = moved.theta, (moved.accepted if move in EVALUATING else None)
            if shape is not None:  # the grid just read shapes the next one
                shape = metric_mod.update(shape, seen.reshape(1, n, n), *metric[1:], metric[0])
        rec.record(theta[0], obj(theta[0]), step_size=alpha[0], resolution=delta[0])  # the last iterate
        if ends:
            return (
                f"{converged}, then {len(ends)} restart(s) from the design; "
                "maximum number of iterations reached",
                True,
            )
        return "maximum number of iterations reached", False

    def _initial_samples(self, value, obj: Objective, opts, move: str, over_pairs: bool) -> tuple[int, int]:
        """``(design points, max_iter)`` of ``minimize(initial_samples=value)`` (validated): the
        design's size, and the iterations left to run after it."""
        finite = obj.bounds is not None and bool(np.isfinite(obj.bounds).all())
        if isinstance(value, str):
            if value not in INITIAL_SAMPLES:
                raise ValueError(
                    f"unknown initial_samples {value!r}; valid: an int >= 0 or {', '.join(INITIAL_SAMPLES)}"
                )
            if over_pairs or not finite:
                return 0, opts.max_iter
            cost = self._iteration_cost(move)
            if value == "auto":
                value = "spare" if opts.max_evals is not None else "spare+iteration"
                if (
                    value == "spare"
                    and min(opts.max_iter, (opts.max_evals - 1) // cost) * cost + 2 >= opts.max_evals
                ):
                    value = "spare+iteration"  # the iterations leave nothing over: one pays for the design
            if opts.max_evals is None:  # a budget in iterations: nothing spare; one iteration to trade
                if value == "spare+iteration" and opts.max_iter >= 2:
                    return cost - 1, opts.max_iter - 1  # its evaluations go to x0 and the design
                return 0, opts.max_iter
            iterations = min(opts.max_iter, (opts.max_evals - 1) // cost)
            if value == "spare+iteration" and iterations >= 2:
                iterations -= 1
            # the budget stops the run after its iterations; the last iterate's and x0's evaluations
            return max(opts.max_evals - iterations * cost - 1 - 1, 0), opts.max_iter
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise ValueError(
                f"initial_samples must be an int >= 0 or one of {', '.join(INITIAL_SAMPLES)}; got {value!r}"
            )
        if value and over_pairs:
            raise ValueError(f"initial_samples={value} is 2-D only; with pairs of dimensions use 0")
        if value and not finite:
            raise ValueError(
                f"initial_samples={value} draws its design in the bounds: pass finite bounds, or use 0"
            )
        if value and opts.max_evals is not None and value + 1 > opts.max_evals:
            raise ValueError(
                f"initial_samples={value} and x0 need {value + 1} evaluations, more than max_evals="
                f"{opts.max_evals}: use fewer, or 'spare' for what the budget leaves over"
            )
        return int(value), opts.max_iter

    def _restart_rule(self, name: str, value: str | None, valid: tuple, acts: str, restart: str) -> str:
        """``minimize``'s named option ``name`` (``abandon``, ``seek``), which acts only where
        restarts run: checked against ``valid``, refused unless ``restart="converged"``, and the
        policy's own where None (``"none"`` without restarts)."""
        if value is not None and value not in valid:
            raise ValueError(f"unknown {name} {value!r}; valid: {', '.join(valid)}")
        if value not in (None, "none") and restart != "converged":
            raise ValueError(
                f"{name}={value!r} {acts}: use restart='converged' (with an initial design, in 2-D), or "
                f"{name}='none'; restart is {restart!r}"
            )
        if value is None:  # the policy's own, where restarts run
            return getattr(self.policy, name, "none") if restart == "converged" else "none"
        return value

    def _iteration_cost(self, move: str) -> int:
        """Evaluations per 2-D iteration: a grid, and the step's end point for some move rules."""
        return self.policy.grid_size**2 + (move in EVALUATING)

    def _check_move(self, move: str) -> None:
        if move not in MOVES:
            raise ValueError(f"unknown move {move!r}; valid: {', '.join(MOVES)}")
        if move == "actor" and getattr(self.policy.actor, "action_dim", 2) < 3:
            raise ValueError(
                "move='actor' needs an actor that outputs a move choice; this policy's actor gives "
                "(d_alpha, d_delta) only"
            )

    def _direction(self, obs: np.ndarray, theta: np.ndarray) -> np.ndarray:
        if self.direction is None:
            return self.policy.direction(obs)
        return np.asarray(self.direction(obs, theta[0]), dtype=float).reshape(1, 2)

    def _direction_batch(self, obs: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """Directions ``(m, 2)`` for the grids ``obs (m, 1, n, n)`` of the pairs at ``theta (1, d)``."""
        if self.direction is None:
            return self.policy.direction(obs)
        return np.concatenate([self._direction(obs[k : k + 1], theta) for k in range(len(obs))])

    @torch.inference_mode()
    def minimize(
        self,
        fun,
        x0,
        *,
        step_size: float | None = None,
        resolution: float | None = None,
        xtol: float = XTOL,
        move: str | None = None,
        metric: str | None = None,
        boundary: str | None = None,
        zoom_cap: bool = True,
        guard: str | None = None,
        probes: int = 0,
        initial_samples: int | str | None = None,
        restart: str | None = None,
        restart_lookahead: int = RESTART_LOOKAHEAD,
        shrink_power: float | None = None,
        shrink_below: float = SHRINK_NEAR_CAP,
        ftol: float | None = None,
        finish: str | None = None,
        restart_distance: float | None = None,
        abandon: str | None = None,
        descend: int | None = None,
        descend_at: float | None = None,
        explore: float | None = None,
        revisit: int | None = None,
        seek: str | None = None,
        pairs=None,
        **options,
    ) -> OptimizeResult:
        """Minimise ``fun`` from ``x0`` (2-D, or any ``d >= 2`` over pairs of dimensions).

        Options: the common ones of :mod:`agents.objective` (``max_iter``: default the policy's
        training horizon, ``policy.horizon``, 30 for the paper's 7x7 policies, or in 2-D as many
        iterations as ``max_evals`` pays for when that is more; ``max_evals``,
        ``bounds``, ``seed`` (accepted for symmetry: the policy is deterministic), ``callback``,
        ``vectorized``, ``args``, ``tol`` (sets ``xtol``), ``disp``), ``step_size`` and
        ``resolution`` (initial alpha and delta), ``xtol`` (convergence, see ``XTOL``), ``move``
        (the move rule after each grid, :mod:`rover_envs.moves`: ``"eq4"`` (the paper's),
        ``"keep"``, ``"best_sample"``, or ``"actor"`` for an actor with a move-choice output;
        default: the rule the policy was trained with, ``policy.move``; the rules that evaluate
        the step's end point cost one evaluation more per iteration), ``metric`` (the grid's shape,
        :mod:`rover_envs.metric`: ``"none"``, the paper's square grid, ``"grid_fit"``, a grid
        sheared and stretched to the curvature its samples show, or ``"grid_fit_floor"``, which also
        adapts when only the steep curvature stands out; default: the policy's, ``policy.metric``,
        ``"grid_fit_floor"`` for the shipped policies; 2-D only: runs over pairs of dimensions use square
        grids), ``boundary`` (how grid samples and steps keep to ``bounds``: ``"clip"`` moves a
        point beyond a bound onto it, ``"reflect"`` mirrors it back in, so that a grid near a
        bound shows the landscape's mirror image instead of a flat band; ``"penalty"`` clips, but
        the actor reads each clipped sample's value plus a wall as steep as the grid's in-box
        range per unit of its reach (:func:`penalised`), so a minimum on a bound looks like a
        valley floor; only clipped points are evaluated; ``"active_penalty"``: the same wall, only
        while the grid's lowest value is at a clipped sample; 2-D only; default: the policy's,
        ``policy.boundary``, ``"penalty"`` for the shipped bounded policy, ``"clip"`` otherwise and
        over pairs of dimensions),
        ``zoom_cap`` (under finite bounds, alpha at most the box's smallest width ``w`` and delta
        at most ``w / ((n - 1) / 2)``, where the grid covers the box from anywhere in it: a wider
        grid only repeats clipped or mirrored samples; default on; over pairs of dimensions, for
        each pair), ``guard`` (an override of the actor's zoom, :func:`rover_envs.transition.
        guard_actions`: ``"none"``, or ``"border"``, no shrinking while the grid's minimum lies on
        its border below its centre; default: the guard the policy was trained with,
        ``policy.guard``, in 2-D, none over pairs of dimensions; 2-D only), ``probes`` (how many
        iterations, evenly spaced in ``max_iter``, are spent on one coarse square grid around the
        iterate at ``PROBE_SCALE x L`` instead of the policy's grid: a sample below the best value
        so far restarts the schedule there, from the initial alpha and delta with a fresh recurrent
        state; default 0, none; 2-D only), ``initial_samples`` (before the first grid, evaluate ``x0``
        and this many points of a Latin hypercube design in the bounds, drawn from ``seed`` (None: a
        fixed seed, so that a run stays deterministic), and start from the best of them; ``"spare"``:
        as many as the evaluations ``max_evals`` leaves over after the iterations it pays for (at
        most ``max_iter`` of them), less one for ``x0`` (none without ``max_evals`` or finite
        bounds), so the iterations are unchanged;
        ``"spare+iteration"``: those and one iteration's evaluations, one iteration fewer (also where
        the budget is counted in iterations: ``max_iter - 1`` iterations after x0 and a design of
        one iteration's cost less one, the same evaluations in all); ``"auto"``: ``"spare"`` where
        ``max_evals`` counts the budget, ``"spare+iteration"`` where iterations count it; the
        design's points count in
        ``nfev`` and the history starts at the best of them; default:
        the policy's, ``policy.initial_samples``, ``"auto"`` for the shipped bounded policy, 0
        otherwise and over pairs of dimensions; 2-D only, and a count needs finite bounds), ``restart``
        (``"none"``, or ``"design"``: half-way through the iterations the budget pays for, where the
        design shows no slope toward the best point so far (:func:`restart_point`), a second
        schedule starts at the lowest design point away from it, from the initial alpha and delta
        with a fresh recurrent state and clock; after ``restart_lookahead`` iterations (default
        ``RESTART_LOOKAHEAD``, at least 1) it goes on
        if it found a lower value, else the first resumes where it stopped; or ``"converged"``:
        whenever a schedule meets ``xtol`` with iterations and budget left, a new one starts from
        the lowest design point away from where every schedule so far ended (:func:`next_start`),
        the result the best of them all; both need an initial design; default: the policy's,
        ``policy.restart``, ``SHIPPED_RESTART`` for the shipped bounded policy, ``"none"``
        otherwise and without a design), ``shrink_power`` (a number
        ``r >= 1``: once delta is below ``SHRINK_AFTER`` of its first value, an actor's shrink of
        alpha or delta at the action box's floor (``d <= shrink_below``, default ``SHRINK_NEAR_CAP``,
        in ``[ACTION_LOW, 0]``, 0 for every shrink) becomes ``(1 + d)^r``
        instead of ``1 + d``, so that a run whose basin is chosen can zoom in faster than halving
        per iteration; default: the policy's, ``policy.shrink_power``: ``SHIPPED_SHRINK_POWER``
        (2) for the shipped bounded policy, 1 (the actor's own) otherwise; 2-D only), ``finish``
        (``"none"``, or ``"model"``: once delta is below ``FINISH_AFTER`` of its first value, where a
        quadratic fitted to the grid's raw samples explains all but ``1 - MODEL_R2`` of their
        variance and has a minimum inside the grid (:func:`rover_envs.metric.model_minimum`), that
        minimum replaces the actor's step as the point the move rule evaluates (``best_sample``
        takes it only if it is lower than the grid's centre); default: the policy's,
        ``policy.finish``, ``SHIPPED_FINISH`` for the shipped bounded policy, ``"none"`` otherwise;
        2-D only), ``ftol`` (a number ``t >= 0``: in the same late phase, a grid whose samples span
        at most ``t`` times the scale of f (the initial design's median above its lowest value, or
        without a design the first grid's span) or one unit in the last place of its lowest value,
        or whose model (``finish="model"``) falls by at most that much from its centre, counts as
        converged, like ``xtol``; 0: off; default: the policy's, ``policy.ftol``, ``SHIPPED_FTOL``
        for the shipped bounded policy, 0 otherwise; 2-D only), ``restart_distance`` (how far from
        where the schedules so far are a restart starts, as a fraction in ``(0, 1]`` of the box's
        smallest width; default: the policy's, ``policy.restart_distance``,
        ``SHIPPED_RESTART_DISTANCE`` (0.2) for the shipped bounded policy, ``RESTART_DISTANCE`` (0.1)
        otherwise), ``abandon`` (``"none"``, or ``"model"``: with ``restart="converged"``, a schedule
        whose unclipped grid's quadratic bottoms out above the best value found so far, by more than
        the grid's span (:func:`hopeless`), ends there like a converged one, and a restart from the
        design takes the iterations it would have spent on a basin that cannot win; where the design
        has no start left it runs on; default: the policy's, ``policy.abandon``, where restarts run
        (``SHIPPED_ABANDON`` for the shipped bounded policy), else ``"none"``), ``descend`` (an int
        ``k >= 0``: under the zoom cap, once a schedule has run ``k`` iterations in a row without a
        sample below its lowest so far while delta was at least ``DESCEND_AT`` of its cap, alpha and
        delta halve every iteration for the rest of that schedule, whatever the actor asks (a
        quarter deep in the zoom under ``shrink_power=2``, a shrink at the action box's floor; a
        learned schedule that keeps its grid wider than the basin it sits in never samples the
        bottom); 0: off; default: the policy's, ``policy.descend``, ``SHIPPED_DESCEND`` (3) for the
        shipped bounded policy, 0 otherwise; 2-D only), ``descend_at`` (the fraction of the zoom cap,
        in ``[0, 1]``, at or above which a stall counts for ``descend``; default: the policy's,
        ``policy.descend_at``, ``SHIPPED_DESCEND_AT`` (0.25) for the shipped bounded policy,
        ``DESCEND_AT`` (0.5) otherwise), ``explore`` (a number ``e >= 0``: with
        ``restart="converged"``, a schedule whose unclipped grid's quadratic fits (:func:`hopeless`'s
        test) with a minimum inside the grid, once delta is below ``e`` of its first value, has
        located its basin: it is parked, and a restart from the design takes the iterations it would
        have spent on refining it; with ``EXPLORE_RESERVE`` iterations left, the parked schedule with
        the lowest sample resumes where it stopped (if lower than the running one's) and refines to
        the end; 0: off; default: the policy's, ``policy.explore``, where restarts run
        (``SHIPPED_EXPLORE`` (0.01) for the shipped bounded policy), else 0), ``revisit`` (an int
        ``k >= 0``: with ``restart="converged"`` and a design that slopes toward its lowest point
        (:func:`restart_point` finds no lone well in it), up to ``k`` restarts go, before the
        design's, to the lowest point the iterate left behind by a move longer than
        ``REVISIT_JUMP`` grid spacings (to a sample in another basin) and not within half that
        grid's spacing of where a schedule ended, at ``REVISIT_ZOOM`` of the step size and
        resolution it was left at: on a bowl under ripples, a run that jumps out of the global
        ripple into a neighbour that sampled lower goes back to refine the one it left; 0: off;
        default: the policy's, ``policy.revisit``, where restarts run, else 0),
        ``seek`` (``"none"``, or ``"model"``: with ``restart="converged"``, before each restart from
        the design, one evaluation at the bottom of a quadratic fitted by least squares to every
        sample so far, each weighted by the area it stands for (:func:`model_bottom`), and the
        restart starts there instead, at the same step size and resolution, where that value is
        lower than the best found: on a bowl under ripples, the bowl's bottom, which no single
        sample's value shows; or ``"grid"``: once per run, where the design slopes toward its lowest
        point (:func:`restart_point` finds no lone well) and that quadratic explains at least
        ``SEEK_R2`` of the samples' weighted variance, the next schedule starts at its bottom at the
        step size and resolution of the ending schedule's first grid whose quadratic fit
        (``ABANDON_R2``), unless the bottom lies within that grid's reach of where the schedule
        ended: a grid around the bowl's bottom, which ``abandon`` ends after one iteration where its
        basin bottoms out above the best found; default: the
        policy's, ``policy.seek``, where restarts run (``SHIPPED_SEEK``, ``"grid"``, for the shipped
        bounded policy), else ``"none"``),
        ``pairs`` (for
        ``d > 2``, or to run a 2-D problem through the same code: the pair-sampling strategy of
        :mod:`agents.pairs` -- ``AllPairs()``, ``RandomPairs(k)``, ``PerDimension(l)``,
        ``Blocks(groups, l)``, a name ``"all"``, ``"random"`` (k = min(10, d)), ``"per_dimension"``
        (l = 1), or a callable ``(rng, d) -> (m, 2)`` ints drawing one iteration's pairs, seeded
        by ``seed``; default for ``d > 2``: ``RandomPairs(min(10, d))``, the paper's k = 10).

        Returns:
            An ``OptimizeResult``: ``x``/``fun`` the best finite point evaluated, ``success``
            when the convergence criterion held, and ``history`` with ``x``, ``fun``, ``nfev``,
            ``step_size`` and ``resolution`` per iteration (the iterates).
        """
        opts = parse_options(
            "RoverDescent",
            options,
            max_iter=getattr(self.policy, "horizon", MAX_ITER),  # duck-typed policies: the paper's T
            own=(
                "step_size",
                "resolution",
                "xtol",
                "move",
                "metric",
                "boundary",
                "zoom_cap",
                "guard",
                "probes",
                "initial_samples",
                "restart",
                "restart_lookahead",
                "shrink_power",
                "shrink_below",
                "ftol",
                "finish",
                "restart_distance",
                "abandon",
                "descend",
                "descend_at",
                "explore",
                "revisit",
                "seek",
            ),
        )
        x = check_x0(x0)
        if x.size < 2:
            raise ValueError(
                "RoverDescent.minimize needs at least 2 dimensions (its grids are 2-D slices); "
                f"x0 has {x.size}"
            )
        strategy = None
        if pairs is not None or x.size > 2:
            strategy = pair_strategies.resolve("random" if pairs is None else pairs, x.size)
        obj = Objective.from_options(fun, x.size, opts)
        if self.bounded_policy is not None and zoom_limits(obj.bounds, self.policy.grid_size) is not None:
            return RoverDescent(self.bounded_policy, self.direction).minimize(
                fun,
                x0,
                step_size=step_size,
                resolution=resolution,
                xtol=xtol,
                move=move,
                metric=metric,
                boundary=boundary,
                zoom_cap=zoom_cap,
                guard=guard,
                probes=probes,
                initial_samples=initial_samples,
                restart=restart,
                restart_lookahead=restart_lookahead,
                shrink_power=shrink_power,
                shrink_below=shrink_below,
                ftol=ftol,
                finish=finish,
                restart_distance=restart_distance,
                abandon=abandon,
                descend=descend,
                descend_at=descend_at,
                explore=explore,
                revisit=revisit,
                seek=seek,
                pairs=pairs,
                **options,
            )
        alpha, delta = self._start(x, obj, step_size, resolution, in_2d=strategy is None)
        xtol = opts.tol if opts.tol is not None else xtol
        move = getattr(self.policy, "move", "eq4") if move is None else move
        if strategy is not None and move == "actor":
            raise ValueError(
                "move='actor' chooses per grid between the step and the grid's best sample; with pairs "
                "of dimensions there is one combined move: use 'eq4', 'keep' or 'best_sample'"
            )
        self._check_move(move)
        trained = getattr(self.policy, "metric", ("none", metric_mod.DEFAULT_RATE, metric_mod.MIN_R2))
        if metric is not None and metric not in metric_mod.METRICS:
            raise ValueError(f"unknown metric {metric!r}; valid: {', '.join(metric_mod.METRICS)}")
        if strategy is not None and metric not in (None, "none"):
            raise ValueError(
                f"metric={metric!r} adapts one 2-D grid's shape; with pairs of dimensions every grid is "
                "square: use metric='none' (or leave it unset)"
            )
        metric = (trained[0] if metric is None else metric, *trained[1:])
        if boundary is None:  # the policy's own in 2-D; pairs of dimensions clip
            boundary = "clip" if strategy is not None else getattr(self.policy, "boundary", "clip")
        if boundary not in BOUNDARIES:
            raise ValueError(f"unknown boundary {boundary!r}; valid: {', '.join(BOUNDARIES)}")
        if strategy is not None and boundary != "clip":
            raise ValueError(
                f"boundary={boundary!r} is 2-D only; with pairs of dimensions points are clipped: "
                "use boundary='clip'"
            )
        if strategy is None and opts.max_evals is not None and not {"max_iter", "maxiter"} & set(options):
            # a budget beyond the training horizon buys more iterations in one run; the progress
            # feature reads t / max_iter, the fraction of the budget used
            opts.max_iter = max(opts.max_iter, (opts.max_evals - 1) // self._iteration_cost(move))
        if isinstance(probes, bool) or not isinstance(probes, int | np.integer) or probes < 0:
            raise ValueError(f"probes must be an int >= 0; got {probes!r}")
        if strategy is not None and probes:
            raise ValueError(f"probes={probes} is 2-D only; with pairs of dimensions use probes=0")
        if guard is not None and guard not in GUARDS:
            raise ValueError(f"unknown guard {guard!r}; valid: {', '.join(GUARDS)}")
        if strategy is not None and guard not in (None, "none"):
            raise ValueError(f"guard={guard!r} is 2-D only; with pairs of dimensions use guard='none'")
        if guard is None:  # the policy's own in 2-D; pairs of dimensions run without one
            guard = "none" if strategy is not None else getattr(self.policy, "guard", "none")
        cap = zoom_limits(obj.bounds, self.policy.grid_size) if zoom_cap else None
        if cap is not None:
            alpha, delta = min(alpha, cap[0]), min(delta, cap[1])
        if initial_samples is None:  # the policy's own in 2-D; pairs of dimensions run without one
            initial_samples = 0 if strategy is not None else getattr(self.policy, "initial_samples", 0)
        samples, opts.max_iter = self._initial_samples(initial_samples, obj, opts, move, strategy is not None)
        if restart is not None and restart not in RESTARTS:
            raise ValueError(f"unknown restart {restart!r}; valid: {', '.join(RESTARTS)}")
        if restart in ("design", "converged") and not samples:
            raise ValueError(
                f"restart={restart!r} starts its schedules from the initial design: pass "
                "initial_samples (a count or 'spare', with finite bounds, in 2-D), or use restart='none'"
            )
        if (
            isinstance(restart_lookahead, bool)
            or not isinstance(restart_lookahead, int | np.integer)
            or restart_lookahead < 1
        ):
            raise ValueError(f"restart_lookahead must be an int >= 1; got {restart_lookahead!r}")
        if shrink_power is None:  # the policy's own in 2-D
            shrink_power = 1.0 if strategy is not None else getattr(self.policy, "shrink_power", 1.0)
        if (
            isinstance(shrink_power, bool)
            or not isinstance(shrink_power, int | float | np.number)
            or not (np.isfinite(shrink_power) and shrink_power >= 1.0)
        ):
            raise ValueError(
                f"shrink_power must be a finite number >= 1 (1: the actor's own); got {shrink_power!r}"
            )
        if (
            isinstance(shrink_below, bool)
            or not isinstance(shrink_below, int | float | np.number)
            or not ACTION_LOW <= shrink_below <= 0.0
        ):
            raise ValueError(
                f"shrink_below must be a number in [{ACTION_LOW}, 0] (a shrink d of alpha or delta at or "
                f"below it is raised to shrink_power; 0: every shrink); got {shrink_below!r}"
            )
        if strategy is not None and shrink_power != 1.0:
            raise ValueError(f"shrink_power={shrink_power} is 2-D only; with pairs of dimensions use 1")
        if finish is not None and finish not in FINISHES:
            raise ValueError(f"unknown finish {finish!r}; valid: {', '.join(FINISHES)}")
        if strategy is not None and finish not in (None, "none"):
            raise ValueError(f"finish={finish!r} is 2-D only; with pairs of dimensions use finish='none'")
        if finish is None:  # the policy's own in 2-D
            finish = "none" if strategy is not None else getattr(self.policy, "finish", "none")
        if ftol is not None and (
            isinstance(ftol, bool)
            or not isinstance(ftol, int | float | np.number)
            or not (np.isfinite(ftol) and ftol >= 0.0)
        ):
            raise ValueError(f"ftol must be a finite number >= 0 (0: off; None: the policy's); got {ftol!r}")
        if strategy is not None and ftol:
            raise ValueError(f"ftol={ftol} is 2-D only; with pairs of dimensions use ftol=0")
        if ftol is None:  # the policy's own in 2-D
            ftol = 0.0 if strategy is not None else getattr(self.policy, "ftol", 0.0)
        if restart_distance is not None and (
            isinstance(restart_distance, bool)
            or not isinstance(restart_distance, int | float | np.number)
            or not 0.0 < restart_distance <= 1.0
        ):
            raise ValueError(
                "restart_distance must be a number in (0, 1] (a fraction of the box's smallest width; "
                f"None: the policy's); got {restart_distance!r}"
            )
        if restart_distance is None:
            restart_distance = getattr(self.policy, "restart_distance", RESTART_DISTANCE)
        if restart is None:  # the policy's own where there is a design; none otherwise
            restart = getattr(self.policy, "restart", "none") if samples else "none"
        abandon = self._restart_rule(
            "abandon",
            abandon,
            ABANDONS,
            "hands a schedule's iterations to a restart from the design",
            restart,
        )
        if descend is not None and (
            isinstance(descend, bool) or not isinstance(descend, int | np.integer) or descend < 0
        ):
            raise ValueError(f"descend must be an int >= 0 (0: off; None: the policy's); got {descend!r}")
        if strategy is not None and descend:
            raise ValueError(f"descend={descend} is 2-D only; with pairs of dimensions use descend=0")
        if descend is None:  # the policy's own in 2-D
            descend = 0 if strategy is not None else getattr(self.policy, "descend", 0)
        if descend_at is not None and (
            isinstance(descend_at, bool)
            or not isinstance(descend_at, int | float | np.number)
            or not 0.0 <= descend_at <= 1.0
        ):
            raise ValueError(
                f"descend_at must be a number in [0, 1] (a fraction of the zoom cap; None: the policy's); "
                f"got {descend_at!r}"
            )
        if descend_at is None:
            descend_at = getattr(self.policy, "descend_at", DESCEND_AT)
        if explore is not None and (
            isinstance(explore, bool)
            or not isinstance(explore, int | float | np.number)
            or not (np.isfinite(explore) and explore >= 0.0)
        ):
            raise ValueError(
                f"explore must be a finite number >= 0 (a fraction of the first resolution; 0: off; None: "
                f"the policy's); got {explore!r}"
            )
        if explore and restart != "converged":
            raise ValueError(
                f"explore={explore} parks a schedule to restart from the design: use restart='converged' "
                f"(with an initial design, in 2-D), or explore=0; restart is {restart!r}"
            )
        if explore is None:  # the policy's own, where restarts run
            explore = getattr(self.policy, "explore", 0.0) if restart == "converged" else 0.0
        if revisit is not None and (
            isinstance(revisit, bool) or not isinstance(revisit, int | np.integer) or revisit < 0
        ):
            raise ValueError(
                f"revisit must be an int >= 0 (restarts from left-behind points; 0: off; None: the "
                f"policy's); got {revisit!r}"
            )
        if revisit and restart != "converged":
            raise ValueError(
                f"revisit={revisit} spends restarts on points the iterate left: use restart='converged' "
                f"(with an initial design, in 2-D), or revisit=0; restart is {restart!r}"
            )
        if revisit is None:  # the policy's own, where restarts run
            revisit = getattr(self.policy, "revisit", 0) if restart == "converged" else 0
        seek = self._restart_rule(
            "seek", seek, SEEKS, "moves a restart from the design to the model's bottom", restart
        )
        rec = Recorder(obj, opts.callback, extra=("step_size", "resolution"))
        try:
            if strategy is None:
                start, design = obj.clip(x), None
                if samples:
                    start, points, values = initial_design(obj, start, samples, opts.seed)
                    design = (points, values)
                message, success = self._iterate(
                    obj,
                    rec,
                    start,
                    alpha,
                    delta,
                    opts.max_iter,
                    xtol,
                    move,
                    metric,
                    boundary,
                    cap,
                    guard,
                    int(probes),
                    design,
                    int(restart_lookahead),
                    float(shrink_power),
                    restart,
                    float(shrink_below),
                    float(ftol),
                    finish,
                    float(restart_distance),
                    abandon,
                    int(descend),
                    float(explore),
                    float(descend_at),
                    int(revisit),
                    seek,
                )
            else:
                rng = np.random.default_rng(opts.seed)
                message, success = iterate_pairs(
                    self, obj, rec, obj.clip(x), alpha, delta, opts.max_iter, xtol, move, strategy, rng, cap
                )
        except BudgetExhausted:
            message, success = "evaluation budget max_evals exhausted", False
        except StopRequested:
            message, success = "stopped by callback", False
        return rec.result(*obj.best(), success, message, opts.disp)
