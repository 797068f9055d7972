"""What the README promises: every environment id it names exists, and it names every id."""

import re
from pathlib import Path

import gymnasium as gym

import rover_envs

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_ids() -> set[str]:
    """Ids in the README, spelled out or as ``RoverLandscape-{A,B,...}-v0``."""
    text = README.read_text()
    ids = set(re.findall(r"RoverLandscape-[A-Za-z]+-v\d+|RoverLandscape-v\d+", text))
    for group in re.findall(r"RoverLandscape-\{([^}]*)\}-v0", text):
        ids |= {f"RoverLandscape-{name.strip()}-v0" for name in group.split(",")}
    return ids


def test_every_id_the_readme_names_is_registered_and_every_registered_id_is_named():
    ids = readme_ids()
    assert "RoverLandscape-McCormick-v0" in ids
    assert ids <= set(gym.registry), sorted(ids - set(gym.registry))
    assert set(rover_envs.ENV_IDS) <= ids, sorted(set(rover_envs.ENV_IDS) - ids)


def test_the_readme_bbob_table_is_the_measured_one():
    """The README's BBOB rows are copied from results/bbob.md, not typed."""
    readme = README.read_text()
    measured = (README.parent / "results" / "bbob.md").read_text()
    section = readme.split("## On functions it never saw: COCO/BBOB")[1].split("\n## ")[0]
    rows = [
        line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| optimiser")
    ]
    assert len(rows) >= 9
    for row in rows:
        assert row in measured, row


def test_the_readme_held_out_rows_are_the_shipped_policies_own():
    """The held-out medians the README shows for the shipped policies and the two before them are
    those recorded beside their weights by make train-ddpg (to two significant figures)."""
    import json

    readme = README.read_text()
    pretrained = README.parent / "agents" / "pretrained"
    families = ("quadratic", "valley", "saddle", "plateau_cliff")
    for label, name in (
        ("shipped policy (`ddpg.yaml`)", "rover_policy"),
        ("shipped for bounded problems (`ddpg_box.yaml`)", "rover_box"),
        ("before (`ddpg_square_grid.yaml`)", "rover_square_grid"),
        ("before that (`ddpg_narrow_angle.yaml`)", "rover_narrow_angle"),
    ):
        meta = json.loads((pretrained / f"{name}.json").read_text())[
            "held_out_median_final_normalized_regret"
        ]
        row = next(line for line in readme.splitlines() if line.startswith(f"| {label} |"))
        cells = [float(c) for c in row.strip("|").split("|")[1:]]
        expected = [float(f"{meta[f]['trained']:.1e}") for f in families]
        assert cells == expected, (label, cells, expected)
