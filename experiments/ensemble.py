"""Several trained seeds of one recipe as one policy file.

    python -m experiments.ensemble runs/sweeps/guard/*guard-guard* --output runs/ensemble/rover_box5.pt

Each argument is a finished run folder (its ``config.yaml`` and ``rover_policy.pt``) or a sweep
folder holding them. The policies must share their angle network and the settings they act under
(``agents.rover.ACTING_SETTINGS``); their actors then act as one
(:class:`agents.rdpg.ActorEnsemble`: each reads the same grid and history and keeps its own
recurrent state; the executed action is the mean of theirs). Nothing is trained or chosen: every
run given is a member. The file loads like any policy (``RoverDescent.pretrained(path)``,
``RoverPolicy.load``), with the first run's config and a list of the members beside it
(``x.yaml``, ``x.json``). ``python -m experiments.bounded RUNS --ensemble`` scores the same
ensemble against its members on validation landscapes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from agents.rover import RoverPolicy
from experiments.config import load
from experiments.runs import cli, save_beside
from experiments.schemas import DDPGExperiment
from experiments.validate import find_runs


def build(folders: list[Path]) -> tuple[RoverPolicy, list[Path]]:
    """The ensemble of every finished recurrent-DDPG run in or under ``folders``, and those runs."""
    runs = [run for run in find_runs(folders) if (run / "rover_policy.pt").is_file()]
    if len(runs) < 2:
        raise SystemExit(
            f"an ensemble needs at least two finished runs with a rover_policy.pt; found {len(runs)}"
        )
    try:  # an unreadable policy file, or policies of different recipes
        policies = [RoverPolicy.load(run / "rover_policy.pt") for run in runs]
        return RoverPolicy.ensemble(policies, [run.name for run in runs]), runs
    except ValueError as exc:
        raise SystemExit(str(exc)) from None


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path, help="run folders or sweep folders")
    parser.add_argument("--output", type=Path, required=True, help="the policy file to write (.pt)")
    args = parser.parse_args(argv)
    if args.output.suffix != ".pt":
        parser.error(f"--output must end in .pt (its config and metadata go beside it); got {args.output}")
    policy, runs = build(args.folders)
    policy.save(args.output)  # atomically
    command = (
        "python -m experiments.ensemble " + " ".join(map(str, args.folders)) + f" --output {args.output}"
    )
    meta = {
        "command": command,
        "members": [str(run) for run in runs],
        "seeds": policy.meta["ensemble_seeds"],
    }
    save_beside(load(DDPGExperiment, runs[0] / "config.yaml"), meta, args.output)
    print(f"wrote {args.output}: the ensemble of {len(runs)} runs ({', '.join(run.name for run in runs)})")
    return args.output


if __name__ == "__main__":
    cli(main)
