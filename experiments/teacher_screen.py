"""Screen success-rule teachers alone, before any training, on held-out training landscapes.

    python -m experiments.teacher_screen [--landscapes 50] [--out results/teacher_screen.md]

A DAgger warm start can at best imitate its teacher, so a teacher that is poor on its own is not
worth three training runs. The success-rule teacher (:func:`agents.rdpg.warmstart.success_rule_actions`)
reads only the history features, so it runs as a policy of the environment: ``alpha / delta`` is
``exp(4 * log_alpha_over_delta)``. Each setting drives the shipped recipe's environment (best_sample
move, history features, wide-zoom angle net, the deployment start protocol of
:mod:`experiments.validate`) on ``landscapes`` landscapes per family of the validation set,
seeded away from both the training streams and the validation seeds (``--seed``); never a test
function. The shipped policy (``--policies``) runs on the same landscapes for reference. Cells:
log10 of the median final normalised regret and the fraction solved (below ``heldout.SOLVED``),
the two statistics by which variants are chosen (docs/rdpg.md).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from agents.rdpg.warmstart import WarmStartConfig, make_teacher
from agents.rover import RoverPolicy
from experiments import heldout
from experiments.runs import cli
from experiments.validate import FAMILIES, PROTOCOLS
from rover_envs.features import FEATURE_NAMES

SOLVED_FAMILIES = ("rippled", "ill_conditioned", "multiscale", "funnels")
"""The families whose solved fraction tells basins apart (validate --statistic solved)."""
SEED = 7_000_003
"""Far from the training streams and from validate's held-out seeds (``seed + eval.seed_offset``)."""
VARIANTS: dict[str, dict] = {
    "success_teacher": {},
    "success_coarse": {"success_ratio": 1.5},
    "success_coarse_2.25": {"success_ratio": 2.25},
    "success_anneal": {"success_ratio": 1.5, "success_ratio_end": 0.0625},
    "success_anneal_half": {"success_ratio": 1.5, "success_ratio_end": 0.0625, "success_ratio_at": 0.5},
    **{
        f"success_switch_{g}": {"success_ratio": 1.5, "success_ratio_end": 0.0625, "success_switch_growth": g}
        for g in (0.5, 0.55, 0.6, 0.65, 0.75, 0.9)
    },
    "success_switch_0.6_fine_1/8": {
        "success_ratio": 1.5,
        "success_ratio_end": 0.125,
        "success_switch_growth": 0.6,
    },
    "success_switch_0.6_fine_1/32": {
        "success_ratio": 1.5,
        "success_ratio_end": 0.03125,
        "success_switch_growth": 0.6,
    },
}
"""Teacher settings screened: name -> ``WarmStartConfig`` success-rule fields (the sweep variants
of experiments/configs/sweeps/teacher_followups.yaml, the switch threshold's neighbourhood, and
success_coarse_2.25: on 5x5 grids the extent, +-2 delta, of success_coarse on 7x7 grids)."""
SHIPPED_ANGLE_NET = "agents/pretrained/angle_wide.pt"
_RATIO = FEATURE_NAMES.index("log_alpha_over_delta")


def teacher_policy(cfg: WarmStartConfig) -> heldout.Act:
    """The success-rule teacher of ``cfg`` as a batched ``act`` on ``features=True`` observations."""
    teacher = make_teacher(cfg)

    def act(obs, state, start):
        feats = np.asarray(obs["features"], dtype=float)
        alpha = np.exp(4.0 * feats[:, _RATIO])  # alpha / delta, with delta as the unit
        actions = teacher({"step_size": alpha, "resolution": np.ones(len(feats))}, feats)
        return actions, state

    return act


def screen(act: heldout.Act, landscapes: int, seed: int, **env_kwargs) -> dict:
    """``act`` (a teacher or a trained actor) on the validation families, in the shipped recipe's
    environment (``env_kwargs`` replace its keys, e.g. ``grid_size``, ``horizon``,
    ``angle_net_path``): ``{family: (log10 median, solved fraction)}``."""
    env = {
        "move": "best_sample",
        "features": True,
        "angle_net_path": SHIPPED_ANGLE_NET,
        **PROTOCOLS["deployment"],
        **env_kwargs,
    }
    result = heldout.evaluate(act, env=env, landscapes=landscapes, seed=seed, families=(*FAMILIES, "funnels"))
    medians = heldout.log10_medians(result)
    return {fam: (medians[fam], r["solved_fraction"]) for fam, r in result.items()}


def table(rows: dict[str, dict], landscapes: int, seed: int, setting: str = "") -> str:
    families = list(next(iter(rows.values())))
    head = (
        "| teacher | "
        + " | ".join(families)
        + " | mean log10 | solved ("
        + ", ".join(SOLVED_FAMILIES)
        + ") |"
    )
    lines = [
        f"# Success-rule teachers alone ({landscapes} landscapes per family, seed {seed}, "
        f"deployment protocol{setting})",
        "",
        "`python -m experiments.teacher_screen`. Cells: log10 median final normalised regret / fraction "
        "solved; no training, the teacher drives the shipped recipe's environment by itself.",
        "",
        head,
        "|---|" + "---:|" * (len(families) + 2),
    ]
    for name, r in rows.items():
        cells = [f"{r[f][0]:.1f} / {r[f][1]:.2f}" for f in families]
        mean = np.mean([r[f][0] for f in families])
        solved = np.mean([r[f][1] for f in SOLVED_FAMILIES])
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {mean:.2f} | {solved:.2f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landscapes", type=int, default=50, help="landscapes per family")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument(
        "--policies",
        nargs="*",
        type=Path,
        default=None,
        help="trained policies of the same recipe and grid to screen beside the teachers (default: the "
        "shipped one on 7x7 grids, none on others)",
    )
    parser.add_argument("--grid-size", type=int, default=7, help="n of the n x n grid")
    parser.add_argument("--horizon", type=int, default=30, help="steps per episode")
    parser.add_argument(
        "--angle-net", default=SHIPPED_ANGLE_NET, help="the direction's weights (for the grid size)"
    )
    parser.add_argument("--out", type=Path, default=None, help="write the table here (markdown)")
    args = parser.parse_args(argv)
    if args.policies is None:
        args.policies = [Path("agents/pretrained/rover_policy.pt")] if args.grid_size == 7 else []
    env = {"grid_size": args.grid_size, "horizon": args.horizon, "angle_net_path": args.angle_net}
    acts = {f"policy {p}": heldout.actor_policy(RoverPolicy.load(p).actor) for p in args.policies}
    acts |= {
        name: teacher_policy(WarmStartConfig(teacher="success_rule", **VARIANTS[name]))
        for name in args.variants
    }
    rows = {}
    for name, act in acts.items():
        rows[name] = screen(act, args.landscapes, args.seed, **env)
        print(f"{name}: done", flush=True)
    text = table(
        rows, args.landscapes, args.seed, f", {args.grid_size}x{args.grid_size} grids, {args.horizon} steps"
    )
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return rows


if __name__ == "__main__":
    cli(main)
