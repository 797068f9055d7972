"""``make evaluate-bbob``: every optimiser of the project on COCO's BBOB suite in 2-D.

    python -m experiments.bbob [--out results] [--budget 1471] [--instances 1-5]
    python -m experiments.bbob --optimizers grid_controller cma_es      # any of OPTIMIZERS by name

COCO's own runner and observer (``cocoex``) drive each optimiser through the ``bbob`` suite
(24 functions x the instances, dimension 2) and write standard COCO data folders
(``runs/bbob/exdata/<optimizer>/``, what ``cocopp`` reads). Every optimiser gets the same
budget in *evaluations* (default 1471: the learned optimiser's 30 iterations of a 7x7 grid and
one more evaluation), starts uniform in [-4, 4]^2 (seeded per problem), the domain [-5, 5]^2 as
bounds, and restarts from a new uniform start while budget remains (the learned optimiser and
the grid controller use their whole budget in one run at the default budget).

Results (``{out}/bbob.md``, ``bbob_ecdf.png``, ``bbob.json``): the fraction of (problem,
target) pairs reached, COCO's 51 targets 10^2 ... 10^-8 on ``f - f_opt``, per function group,
at several budgets, and its empirical cumulative distribution over evaluations (ECDF plots).

**BBOB is a test set.** Nothing is trained, tuned or selected on it: the learned policies come
from ``make train-ddpg`` (training families), the grid controller's defaults from
``python -m experiments.tune_controller`` (training families, held-out seeds), CMA-ES and
Nelder-Mead run with standard settings (initial step a fifth, a tenth of the domain width).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from tqdm import tqdm

from agents.baselines import BASELINES
from agents.rover import SEEKS, SETTINGS, RoverDescent
from experiments.anytime import Trace, fraction_reached
from experiments.runs import cli

BUDGET = 30 * 49 + 1
BUDGETS = (50, 100, 200, 500, 1000, BUDGET)
GROUPS = {
    "separable f1-5": range(1, 6),
    "moderate f6-9": range(6, 10),
    "ill-conditioned f10-14": range(10, 15),
    "multimodal f15-19": range(15, 20),
    "weak structure f20-24": range(20, 25),
}
DOMAIN = np.array([[-5.0, 5.0], [-5.0, 5.0]])
PRETRAINED = Path(__file__).resolve().parent.parent / "agents" / "pretrained"
SCRATCH_POLICY = PRETRAINED / "rover_scratch.pt"
EQ4_POLICY = PRETRAINED / "rover_eq4.pt"
NARROW_ANGLE_POLICY = PRETRAINED / "rover_narrow_angle.pt"
SQUARE_GRID_POLICY = PRETRAINED / "rover_square_grid.pt"
UNBOUNDED_POLICY = PRETRAINED / "rover_policy.pt"
BOUNDED_POLICY = PRETRAINED / "rover_box.pt"


def random_search(fun, x0, *, max_evals: int, bounds, seed=None, **_) -> None:
    """Uniform samples in ``bounds`` (``x0`` first), in batches of 100."""
    rng = np.random.default_rng(seed)
    fun(np.asarray(x0, dtype=float)[None])
    done = 1
    while done < max_evals:
        m = min(100, max_evals - done)
        fun(rng.uniform(bounds[:, 0], bounds[:, 1], (m, len(x0))))
        done += m


def _method(rover: RoverDescent, move: str | None = None) -> Callable:
    """``rover.minimize`` as ``method(fun, x0, **options)`` (the budget, not ``max_iter``, ends it)."""
    return lambda fun, x0, **kw: rover.minimize(
        fun, x0, move=move, **{k: v for k, v in kw.items() if k != "max_iter"}
    )


def _rover(path: Path | None = None, move: str | None = None) -> Callable:
    return _method(RoverDescent.pretrained(path), move)


def _before_finish(rover: RoverDescent) -> RoverDescent:
    """``rover`` without the finish, its tolerance and the restart (``SHIPPED_FINISH``,
    ``SHIPPED_FTOL``, ``SHIPPED_RESTART``, ``SHIPPED_RESTART_DISTANCE``, ``SHIPPED_ABANDON``,
    ``SHIPPED_DESCEND``, ``SHIPPED_EXPLORE``, ``SHIPPED_DESCEND_AT``, ``SHIPPED_SEEK``): what every
    optimiser shipped before them ran."""
    policy = rover.bounded_policy
    policy.deployed_finish = policy.deployed_ftol = policy.deployed_restart = None
    policy.deployed_restart_distance = policy.deployed_abandon = policy.deployed_descend = None
    policy.deployed_explore = policy.deployed_descend_at = policy.deployed_seek = None
    return rover


def _rover_no_seek() -> Callable:
    """The shipped optimiser without its hop to the fitted bowl's bottom (``SHIPPED_SEEK``): the
    optimiser shipped before."""
    rover = RoverDescent.pretrained()
    rover.bounded_policy.deployed_seek = None
    return _method(rover)


def _rover_descend_half_cap() -> Callable:
    """That counting a stall for ``descend`` only from half the widest zoom (``DESCEND_AT``, not
    ``SHIPPED_DESCEND_AT``): the optimiser shipped before it."""
    rover = RoverDescent.pretrained()
    rover.bounded_policy.deployed_descend_at = rover.bounded_policy.deployed_seek = None
    return _method(rover)


def _rover_no_explore() -> Callable:
    """That without parking a located basin to explore (``SHIPPED_EXPLORE``): the optimiser shipped
    before it."""
    rover = RoverDescent.pretrained()
    rover.bounded_policy.deployed_explore = rover.bounded_policy.deployed_descend_at = None
    rover.bounded_policy.deployed_seek = None
    return _method(rover)


def _rover_no_descend() -> Callable:
    """That without halving from a stall at a wide zoom (``SHIPPED_DESCEND``): the optimiser shipped
    before it."""
    rover = RoverDescent.pretrained()
    rover.bounded_policy.deployed_descend = rover.bounded_policy.deployed_explore = None
    rover.bounded_policy.deployed_descend_at = rover.bounded_policy.deployed_seek = None
    return _method(rover)


def _rover_no_abandon() -> Callable:
    """That without giving up a basin that cannot win (``SHIPPED_ABANDON``): the optimiser shipped
    before it."""
    rover = RoverDescent.pretrained()
    rover.bounded_policy.deployed_abandon = rover.bounded_policy.deployed_descend = None
    rover.bounded_policy.deployed_explore = rover.bounded_policy.deployed_descend_at = None
    rover.bounded_policy.deployed_seek = None
    return _method(rover)


def _rover_near_restart() -> Callable:
    """That restarting at the default distance (``RESTART_DISTANCE``, 0.1 of the box's width, not
    ``SHIPPED_RESTART_DISTANCE``): the optimiser shipped before that."""
    rover = RoverDescent.pretrained()
    policy = rover.bounded_policy
    policy.deployed_restart_distance = policy.deployed_abandon = policy.deployed_descend = None
    policy.deployed_explore = policy.deployed_descend_at = policy.deployed_seek = None
    return _method(rover)


def _rover_no_finish() -> Callable:
    """That without its model finish and the restart after it: one schedule, to the end of the
    budget; the optimiser shipped before it."""
    return _method(_before_finish(RoverDescent.pretrained()))


def _rover_no_shrink() -> Callable:
    """That at the actor's own shrink (``shrink_power`` 1, not ``SHIPPED_SHRINK_POWER``): the
    optimiser shipped before it."""
    rover = _before_finish(RoverDescent.pretrained())
    rover.bounded_policy.deployed_shrink_power = None
    return _method(rover)


def _rover_no_design() -> Callable:
    """That without its initial design (``SHIPPED_INITIAL_SAMPLES``): the budget's spare evaluations
    stay unspent; the optimiser shipped before it."""
    rover = _before_finish(RoverDescent.pretrained())
    rover.bounded_policy.deployed_initial_samples = None
    rover.bounded_policy.deployed_shrink_power = None
    return _method(rover)


def _rover_fine_start() -> Callable:
    """The shipped optimiser without its initial design and from the default rule's first grid
    (``delta0 = RESOLUTION_SCALE x L``) instead of its bounded policy's coarser one
    (``SHIPPED_RESOLUTION_SCALE``)."""
    rover = _before_finish(RoverDescent.pretrained())
    rover.bounded_policy.deployed_resolution_scale = None
    rover.bounded_policy.deployed_initial_samples = None
    rover.bounded_policy.deployed_shrink_power = None
    return _method(rover)


def _grid_fit(fun, x0, **options):
    return BASELINES["grid_controller"](fun, x0, direction="quadratic_fit", **options)


def _grid_metric(fun, x0, **options):
    return BASELINES["grid_controller"](fun, x0, metric="grid_fit", **options)


def _cma(fun, x0, **options):
    return BASELINES["cma_es"](fun, x0, sigma0=0.2, **options)


OPTIMIZERS: dict[str, Callable[[], Callable]] = {
    "rover": lambda: _rover(),
    "rover_no_seek": _rover_no_seek,
    "rover_descend_half_cap": _rover_descend_half_cap,
    "rover_no_explore": _rover_no_explore,
    "rover_no_descend": _rover_no_descend,
    "rover_no_abandon": _rover_no_abandon,
    "rover_near_restart": _rover_near_restart,
    "rover_no_finish": _rover_no_finish,
    "rover_no_shrink": _rover_no_shrink,
    "rover_no_design": _rover_no_design,
    "rover_fine_start": _rover_fine_start,
    "rover_clip": lambda: _rover(BOUNDED_POLICY),
    "rover_no_box": lambda: _rover(UNBOUNDED_POLICY),
    "rover_square_grid": lambda: _rover(SQUARE_GRID_POLICY),
    "rover_narrow_angle": lambda: _rover(NARROW_ANGLE_POLICY),
    "rover_eq4": lambda: _rover(EQ4_POLICY),
    "rover_eq4_best_sample": lambda: _rover(EQ4_POLICY, move="best_sample"),
    "rover_scratch": lambda: _rover(SCRATCH_POLICY),
    "grid_controller": lambda: BASELINES["grid_controller"],
    "grid_controller_fit": lambda: _grid_fit,
    "grid_controller_metric": lambda: _grid_metric,
    "cma_es": lambda: _cma,
    "nelder_mead": lambda: BASELINES["nelder_mead"],
    "random_search": lambda: random_search,
}
"""Every optimiser ``make evaluate-bbob`` runs: name -> a factory of ``method(fun, x0, **options)``
(the learned optimisers load their weights only when asked for). ``rover``: the shipped
optimiser with the move rule it was trained with (BBOB's problems are bounded, so its policy for
bounded problems, ``agents/pretrained/rover_box.pt``, trained half in boxes), on its deployed grid
shape and boundary rule (``agents.rover.SHIPPED_METRIC``, ``SHIPPED_BOUNDARY``), from its coarser
first grid (``SHIPPED_RESOLUTION_SCALE``), after an initial design that spends the evaluations the
budget leaves over (``SHIPPED_INITIAL_SAMPLES``), zooming in faster once its basin is chosen
(``SHIPPED_SHRINK_POWER``), finishing a smooth basin at its grid's quadratic minimum and then
spending what is left on another basin of the design (``SHIPPED_FINISH``, ``SHIPPED_FTOL``,
``SHIPPED_RESTART``) away from where the first ended (``SHIPPED_RESTART_DISTANCE``), giving up a
basin that bottoms out above the best value found (``SHIPPED_ABANDON``), halving from a stall at a
wide zoom (``SHIPPED_DESCEND``) from a quarter of the widest (``SHIPPED_DESCEND_AT``) and parking a
located basin to explore others before refining the lowest (``SHIPPED_EXPLORE``), and hopping
once to the bottom of a bowl fitted under the ripples (``SHIPPED_SEEK``); ``rover_no_seek``: the
same without the hop, the optimiser shipped before; ``rover_descend_half_cap``: that counting a
stall only from half the widest zoom, the one shipped before it; ``rover_no_explore``: that
without parking, the one shipped before that; ``rover_no_descend``: that without halving, the one before that;
``rover_no_abandon``: that without giving up, the one before that;
``rover_near_restart``: that restarting at the default distance; ``rover_no_finish``: that
without the finish and the restart; ``rover_no_shrink``: that at the
actor's own shrink; ``rover_no_design``: that without the design; ``rover_fine_start``: that
from the default rule's first grid (``RESOLUTION_SCALE``), the optimiser shipped before that;
``rover_clip``:
the same weights on the grid shape and boundary rule they were trained with (``grid_fit``,
``clip``), the optimiser shipped before that;
``rover_no_box``: the shipped policy for unbounded problems (``agents/pretrained/rover_policy.pt``,
the recipe without boxes, on its trained grid shape), the optimiser shipped before the box policy;
``rover_square_grid``: the one before that, the same recipe on the paper's square grid
(``agents/pretrained/rover_square_grid.pt``); ``rover_narrow_angle``: the one before that, on the
angle net trained at the paper's zooms (``agents/pretrained/rover_narrow_angle.pt``);
``rover_eq4``: the policy shipped before that (eq. 4's move, grid-only observation,
``agents/pretrained/rover_eq4.pt``),
``rover_eq4_best_sample``: that actor under the best_sample move; ``rover_scratch``: the paper's
recipe, RDPG from scratch (``agents/pretrained/rover_scratch.pt``); ``grid_controller`` (angle net) and
``grid_controller_fit`` (quadratic fit): the hand-designed controller, ``grid_controller_metric``:
the same on the adapted grid (``metric="grid_fit"``, :mod:`rover_envs.metric`); ``cma_es``, ``nelder_mead``
with restarts; ``random_search``: uniform in the domain."""


class CocoFunction:
    """A cocoex problem as a vectorised function ``(m, 2) -> (m,)`` (COCO counts every call)."""

    def __init__(self, problem):
        self.problem = problem

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.array([self.problem(p) for p in np.atleast_2d(x)])


def first_start(seed: int) -> np.ndarray:
    """The first start of :func:`run_problem` with ``seed`` (uniform in [-4, 4]^2)."""
    return np.random.default_rng(seed).uniform(-4.0, 4.0, 2)


def run_problem(method: Callable, problem, budget: int, seed: int) -> Trace:
    """One optimiser on one problem with restarts until the budget or the final target."""
    trace = Trace(CocoFunction(problem))
    rng = np.random.default_rng(seed)
    restarts = 0
    while problem.evaluations < budget and not problem.final_target_hit:
        remaining = budget - problem.evaluations
        x0 = rng.uniform(-4.0, 4.0, 2)
        method(
            trace,
            x0,
            max_evals=remaining,
            max_iter=10**6,
            bounds=DOMAIN,
            vectorized=True,
            seed=seed + restarts,
        )
        restarts += 1
    return trace


_FOPT = re.compile(r"Fopt \(([-+0-9.eE]+)\)")


def last_fopt(folder: Path, function: int) -> float:
    """``f_opt`` of the last run the observer logged for ``function`` (from its .dat header)."""
    (dat,) = (folder / f"data_f{function}").glob("*_DIM2.dat")
    return float(_FOPT.findall(dat.read_text())[-1])


def run(
    name: str, method: Callable, instances: str, budget: int, exdata: Path, functions: str = "1-24"
) -> dict:
    """``name`` on the whole suite; returns ``{problem id: {"function", "errors": best error at each
    evaluation count of an ECDF grid, "start_error": the error at the first start}}`` (the start's
    value from an unobserved twin of the problem, so that COCO's data holds the optimiser's
    evaluations alone)."""
    import cocoex

    cocoex.log_level("warning")
    options = f"dimensions:2 instance_indices:{instances} function_indices:{functions}"
    suite, twins = cocoex.Suite("bbob", "", options), cocoex.Suite("bbob", "", options)
    cwd, exdata = Path.cwd(), exdata.resolve()
    exdata.mkdir(parents=True, exist_ok=True)
    # cocoex always writes into ./exdata/<result_folder>, or a numbered twin of it where that exists
    # (and reading the old one would score against another instance's f_opt): a fresh working
    # folder, whose data then replaces exdata/<name>
    staging = tempfile.TemporaryDirectory(dir=exdata, prefix=".staging-")
    os.chdir(staging.name)
    try:
        observer = cocoex.Observer("bbob", f"result_folder: {name} algorithm_name: {name}")
        out = {}
        problems = zip(suite, twins)
        for problem, twin in tqdm(problems, total=len(suite), desc=name, unit="problem", leave=False):
            problem.observe_with(observer)
            fid, iid = problem.id_function, problem.id_instance
            seed = 1000 * fid + iid
            trace = run_problem(method, problem, budget, seed=seed)
            start = float(twin(first_start(seed)))
            problem.free()
            twin.free()
            fopt = last_fopt(Path("exdata") / name, fid)
            grid = _ecdf_grid(budget)
            out[f"f{fid}_i{iid}"] = {
                "function": fid,
                "errors": (trace.best_at(grid) - fopt).tolist(),
                "start_error": start - fopt,
            }
        folder = exdata / name
        if folder.exists():
            shutil.rmtree(folder)
        shutil.move(Path(staging.name) / "exdata" / name, folder)
    finally:
        os.chdir(cwd)
        staging.cleanup()
    return out


def _ecdf_grid(budget: int) -> list[int]:
    """Evaluation counts at which ECDFs are read: log-spaced to the budget, BUDGETS included."""
    grid = np.unique(
        np.r_[np.geomspace(1, budget, 60).round().astype(int), [b for b in BUDGETS if b <= budget]]
    )
    return grid.tolist()


def summarise(results: dict[str, dict], budget: int) -> dict:
    """Fraction of (problem, target) pairs reached per optimiser, group and budget."""
    grid = _ecdf_grid(budget)
    budgets = [b for b in BUDGETS if b <= budget]
    cols = [grid.index(b) for b in budgets]
    out = {}
    for name, problems in results.items():
        errors = {k: np.array(v["errors"]) for k, v in problems.items()}
        functions = {k: v["function"] for k, v in problems.items()}
        groups = {**GROUPS, "all": range(1, 25)}
        out[name] = {}
        for g, fs in groups.items():
            rows = [e[cols] for k, e in errors.items() if functions[k] in fs]
            out[name][g] = fraction_reached(np.array(rows)).tolist() if rows else [float("nan")] * len(cols)
        out[name]["_ecdf"] = fraction_reached(np.array(list(errors.values()))).tolist()
        out[name]["_problems"] = len(problems)
        out[name]["_not_improved"] = sorted(
            k for k, v in problems.items() if "start_error" in v and v["errors"][-1] >= v["start_error"]
        )
    return {"budgets": budgets, "grid": grid, "fractions": out}


def ecdf_figure(results: dict[str, dict], budget: int, path: Path) -> None:
    """ECDF of runtimes per function group and overall: fraction of (problem, target) pairs reached."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = _ecdf_grid(budget)
    groups = {**GROUPS, "all functions": range(1, 25)}
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.5), sharex=True, sharey=True)
    for ax, (group, fs) in zip(axes.ravel(), groups.items()):
        for name, problems in results.items():
            errors = np.array([p["errors"] for p in problems.values() if p["function"] in fs])
            if not len(errors):
                continue
            style = "-" if name.startswith(("rover", "grid")) else "--"
            ax.semilogx(
                grid, fraction_reached(errors), style, label=name, lw=2 if name == "grid_controller" else 1.2
            )
        ax.axvline(budget, color="grey", lw=0.6)
        ax.set_title(group)
        ax.set_xlabel("function evaluations")
        ax.set_ylim(0, 1)
    axes[0, 0].set_ylabel("fraction of (problem, target) pairs")
    axes[1, 0].set_ylabel("fraction of (problem, target) pairs")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle("BBOB 2-D: ECDF of evaluations to reach COCO's 51 targets (10^2 ... 10^-8)")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def write_report(summary: dict, out: Path, args: argparse.Namespace, seconds: float) -> None:
    fr, budgets = summary["fractions"], summary["budgets"]
    names = list(fr)
    groups = [*GROUPS, "all"]
    head = budgets.index(args.budget) if args.budget in budgets else len(budgets) - 1
    best = {g: max((v for n in names if not np.isnan(v := fr[n][g][head])), default=np.nan) for g in groups}
    lines = [
        "# COCO/BBOB 2-D: every optimiser at equal evaluations",
        "",
        "`python -m experiments.bbob` (`make evaluate-bbob`): the `bbob` suite, 24 functions x instances "
        f"{args.instances}, dimension 2, budget {args.budget} evaluations per problem; starts uniform in "
        "[-4, 4]^2, restarts while budget remains. Cells: the fraction of (problem, target) pairs reached, "
        "COCO's 51 targets 10^2 ... 10^-8 on f - f_opt. BBOB is a test set: nothing was trained, tuned or "
        "selected on it.",
        "",
        f"## At {budgets[head]} evaluations",
        "",
        "| optimiser | " + " | ".join(groups) + " |",
        "|---|" + "---:|" * len(groups),
        *[
            f"| {n} | "
            + " | ".join(
                (f"**{fr[n][g][head]:.2f}**" if fr[n][g][head] >= best[g] else f"{fr[n][g][head]:.2f}")
                for g in groups
            )
            + " |"
            for n in names
        ],
        "",
        "## All functions, by budget",
        "",
        "| optimiser | " + " | ".join(f"{b} evals" for b in budgets) + " |",
        "|---|" + "---:|" * len(budgets),
        *[f"| {n} | " + " | ".join(f"{v:.2f}" for v in fr[n]["all"]) + " |" for n in names],
        "",
        *readings(fr, budgets, head),
        "",
        "![ECDF](bbob_ecdf.png)",
        "",
        f"COCO data folders: `{_shown(args.exdata)}/<optimiser>/` (not committed; `cocopp` reads them). "
        f"Produced in {seconds / 60:.1f} min on this project's 2-core CPU machine.",
        "",
    ]
    (out / "bbob.md").write_text("\n".join(lines))


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it lies under it (as the user typed it)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def readings(fr: dict, budgets: list[int], head: int) -> list[str]:
    """Sentences computed from the table."""
    if "rover" not in fr:
        return divergence(fr)
    at = budgets[head]

    def score(n: str) -> float:
        return fr[n]["all"][head]

    rover = score("rover")
    others = [
        f"{label} (`{n}`) {score(n):.2f}"
        for n, label in (
            ("rover_descend_half_cap", "the same halving only from a stall at half the widest zoom"),
            ("rover_no_explore", "that without parking a located basin to explore"),
            ("rover_no_descend", "that without halving from a stall at a wide zoom"),
            ("rover_no_abandon", "that without giving up a basin that cannot win"),
            ("rover_near_restart", "that restarting nearer (0.1 of the width)"),
            ("rover_no_finish", "that without its model finish and restart"),
            ("rover_no_shrink", "that at the actor's own shrink"),
            ("rover_no_design", "that without its initial design"),
            ("rover_fine_start", "that from the default rule's finer first grid"),
            ("rover_clip", "the same weights on the grid shape and boundary rule they were trained with"),
            ("rover_no_box", "the same recipe trained without boxes"),
            ("rover_square_grid", "the square-grid policy before that"),
            ("rover_narrow_angle", "the paper's-zoom angle net's before that"),
            ("rover_eq4", "the eq. 4 policy"),
            ("rover_eq4_best_sample", "that policy under the best_sample move"),
            ("rover_scratch", "the paper's recipe"),
        )
        if n in fr
    ]
    lines = [
        f"- The shipped learned optimiser (`rover`) reaches {rover:.2f} of the pairs at {at} evaluations"
        + ("; " + ", ".join(others) if others else "")
        + "."
    ]
    versus = [
        f"{'at or above' if rover >= score(n) else 'below'} {n} ({score(n):.2f})"
        for n in (
            "grid_controller",
            "grid_controller_fit",
            "grid_controller_metric",
            "nelder_mead",
            "cma_es",
            "random_search",
        )
        if n in fr
    ]
    if versus:
        lines.append("- At the same budget `rover` is " + ", ".join(versus) + ".")
    if "random_search" in fr:
        rs = fr["random_search"]
        for n in ("rover", "grid_controller"):
            if n not in fr:
                continue
            below = [g for g in GROUPS if fr[n][g][head] < rs[g][head]]
            lines.append(
                f"- {n} is below random search in "
                + (f"{len(below)} of {len(GROUPS)} groups ({', '.join(below)})." if below else "no group.")
            )
    top = max(fr, key=score)
    lines.append(f"- Best overall at {at} evaluations: {top} ({score(top):.2f}).")
    return lines + divergence(fr)


def divergence(fr: dict) -> list[str]:
    """For the shipped learned optimiser, the grid controller and every ``--policy`` optimiser: the
    problems whose best value found is not below the first start's."""
    lines = []
    for n in ("rover", "grid_controller", *(n for n in fr if n not in OPTIMIZERS)):
        if "_not_improved" in fr.get(n, {}):
            keys, total = fr[n]["_not_improved"], fr[n]["_problems"]
            lines.append(
                f"- No divergence ({n}): the best value found is below the first start's on "
                f"{total - len(keys)} of {total} problems" + (f"; not on {', '.join(keys)}." if keys else ".")
            )
    return lines


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--optimizers", nargs="+", default=None, help="names (default: all of them)")
    parser.add_argument("--optimizer", help="one optimiser by name (same as --optimizers NAME)")
    parser.add_argument(
        "--policy",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="also run the learned optimiser with the policy weights at PATH (or the Stable-Baselines3 "
        "agent of the run folder PATH: RoverDescent.from_sb3), as optimiser NAME (a final "
        "measurement: choose policies on validation landscapes, never here)",
    )
    parser.add_argument(
        "--settings",
        choices=SETTINGS,
        default="trained",
        help="--policy files on the grid shape and boundary rule they were trained with (default), or "
        "on the shipped optimiser's (RoverDescent.pretrained(settings=...))",
    )
    parser.add_argument(
        "--seek",
        choices=SEEKS,
        default=None,
        help="--policy files' default minimize(seek=...) on bounded problems (default: the settings' own; "
        "not for Stable-Baselines3 runs)",
    )
    parser.add_argument("--budget", type=int, default=BUDGET, help="evaluations per problem")
    parser.add_argument("--instances", default="1-5", help="BBOB instance indices, e.g. 1-5 or 1,3")
    parser.add_argument("--functions", default="1-24", help="BBOB function indices (all 24 by default)")
    parser.add_argument("--out", type=Path, default=Path("results"))
    parser.add_argument(
        "--exdata",
        type=Path,
        default=Path("runs/bbob/exdata"),
        help="COCO's data folders go to EXDATA/<optimiser>/, replacing an earlier run's",
    )
    parser.add_argument(
        "--cocopp", action="store_true", help="also post-process with cocopp (into runs/bbob/ppdata)"
    )
    args = parser.parse_args(argv)
    optimizers = dict(OPTIMIZERS)
    for item in args.policy:
        name, sep, path = item.partition("=")
        sb3_run = Path(path).is_dir() and (Path(path) / "model.zip").is_file()
        if not sep or not name or name in OPTIMIZERS or not (Path(path).is_file() or sb3_run):
            raise SystemExit(
                f"--policy {item!r}: expected NEW_NAME=PATH of an existing policy file or SB3 run folder"
            )
        if sb3_run and args.seek is not None:
            raise SystemExit(
                f"--seek acts on policy files' restarts; --policy {item!r} is a Stable-Baselines3 run"
            )
        load = (
            RoverDescent.from_sb3
            if sb3_run
            else lambda path: RoverDescent.pretrained(path, settings=args.settings).with_seek(args.seek)
        )
        optimizers[name] = lambda path=Path(path), load=load: _method(load(path))
    names = [args.optimizer] if args.optimizer else args.optimizers or list(OPTIMIZERS)
    names += [item.partition("=")[0] for item in args.policy if item.partition("=")[0] not in names]
    unknown = [n for n in names if n not in optimizers]
    if unknown:
        raise SystemExit(f"unknown optimiser(s) {unknown}; valid: {', '.join(optimizers)}")
    start = time.perf_counter()
    results = {}
    for name in names:
        print(f"{name} ...", flush=True)
        results[name] = run(
            name, optimizers[name](), args.instances, args.budget, args.exdata.resolve(), args.functions
        )
    summary = summarise(results, args.budget)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bbob.json").write_text(json.dumps(summary, indent=1))
    ecdf_figure(results, args.budget, args.out / "bbob_ecdf.png")
    write_report(summary, args.out, args, time.perf_counter() - start)
    print((args.out / "bbob.md").read_text())
    if args.cocopp:
        postprocess([args.exdata / n for n in names], args.exdata.parent / "ppdata")
    return summary


def postprocess(folders: list[Path], out: Path) -> None:
    """COCO's own post-processing (``cocopp``: ECDFs, tables, scaling figures as HTML) of the data
    folders; it runs offline on local data."""
    import matplotlib

    matplotlib.use("Agg")
    import warnings

    import cocopp

    with warnings.catch_warnings():  # cocopp warns per data set about its own consistency checks
        warnings.simplefilter("ignore")
        cocopp.main(["-o", str(out), *map(str, folders)])
    print(f"cocopp output: {out}/index.html")


if __name__ == "__main__":
    cli(main)
