"""Strict typed YAML configs."""

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from experiments.config import ConfigError, describe, dump, field_docs, load, parse_overrides
from experiments.schemas import AngleExperiment, CompareConfig, DDPGExperiment, SB3Experiment, SweepConfig


@dataclass
class Inner:
    size: int = 3
    pair: tuple[float, float] = (0.1, 0.2)


@dataclass
class Outer:
    name: str
    rate: float = 0.5
    inner: Inner = field(default_factory=Inner)
    maybe: str | None = None


def test_round_trip_and_overrides(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("name: x\ninner:\n  size: 4\n")
    cfg = load(Outer, path, {"inner.pair": [1, 2], "rate": 3})
    assert cfg == Outer(name="x", rate=3.0, inner=Inner(size=4, pair=(1.0, 2.0)))
    dump(cfg, tmp_path / "d.yaml")
    assert load(Outer, tmp_path / "d.yaml") == cfg
    assert parse_overrides(["a.b=3", "c=[1, 2]", "d=text"]) == {"a.b": 3, "c": [1, 2], "d": "text"}


def test_yaml11_exponent_floats_are_numbers(tmp_path):
    """PyYAML reads ``1e-4`` (no dot) as a string; a float field takes it as the number."""
    path = tmp_path / "c.yaml"
    path.write_text("name: x\nrate: 1e-4\ninner:\n  pair: [2E3, -.5e+1]\n")
    cfg = load(Outer, path)
    assert cfg.rate == 1e-4 and cfg.inner.pair == (2000.0, -5.0)
    assert load(Outer, path, parse_overrides(["rate=3e-2"])).rate == 0.03
    path.write_text("name: 1e-4\n")  # a string field keeps the text
    assert load(Outer, path).name == "1e-4"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("name: x\nsize: 3\n", r"unknown key\(s\) \['size'\]; valid keys: name, rate, inner, maybe"),
        (
            "name: x\ninner:\n  sise: 3\n",
            r"c.yaml.inner: unknown key\(s\) \['sise'\]; valid keys: size, pair",
        ),
        ("rate: 1\n", "missing required key 'name'"),
        ("name: x\nrate: fast\n", r"\.rate: expected a number"),
        ("name: x\ninner:\n  size: 2.5\n", r"inner\.size: expected an integer"),
        ("name: x\ninner:\n  pair: [1]\n", "expected 2 items"),
        ("name: [unclosed\n", "not valid YAML"),
        ("- a\n- b\n", "top level must be a mapping"),
    ],
)
def test_strict_errors_name_file_key_and_choices(tmp_path, text, match):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=match):
        load(Outer, path)


def test_missing_file_and_bad_override(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load(Outer, tmp_path / "none.yaml")
    with pytest.raises(ConfigError, match=r"key\.sub=value"):
        parse_overrides(["novalue"])


@pytest.mark.parametrize("name", ["angle", "angle_small", "table1"])
def test_shipped_configs_load(name):
    cfg = load(AngleExperiment, f"experiments/configs/{name}.yaml")
    assert cfg.data.n_functions > 0


@pytest.mark.parametrize("name", ["ddpg", "ddpg_scratch", "ddpg_rippled", "ddpg_small"])
def test_shipped_ddpg_configs_load(name):
    cfg = load(DDPGExperiment, f"experiments/configs/{name}.yaml")
    assert cfg.train.total_episodes > 0
    if name == "ddpg":  # the shipped policy's recipe: warm start, then RDPG with the BC term
        assert cfg.warm_start.rounds > 0 and cfg.rdpg.bc_weight > 0


@pytest.mark.parametrize(
    ("cls", "path"),
    [
        (SB3Experiment, "sb3.yaml"),
        (SB3Experiment, "sb3_small.yaml"),
        (CompareConfig, "compare_rl.yaml"),
        (CompareConfig, "compare_rl_small.yaml"),
        (SweepConfig, "sweeps/smoke.yaml"),
        (SweepConfig, "sweeps/reward_variants.yaml"),
        (SweepConfig, "sweeps/families_rewards.yaml"),
        (SweepConfig, "results/sweeps/reward_variants/sweep.yaml"),  # published with the results
        (SweepConfig, "results/sweeps/families_rewards_seed0/sweep.yaml"),
        (CompareConfig, "results/compare_rl/compare.yaml"),
    ],
)
def test_every_other_shipped_config_loads(cls, path):
    cfg = load(cls, path if path.startswith("results/") else f"experiments/configs/{path}")
    for key in ("base", "rdpg_config", "sb3_config"):  # input paths resolve from the file's folder
        if hasattr(cfg, key):
            assert Path(getattr(cfg, key)).is_file()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("env.noise=-1", "noise must be a finite number >= 0"),
        ("env.horizon=0", "horizon must be an integer >= 1"),
        ("env.step_size_range=[0.3, 0.01]", "step_size_range must be"),
        ("env.family=bowl", "unknown family 'bowl'"),
        ("train.num_envs=0", "train.num_envs must be >= 1"),
        ("train.total_episodes=-5", "train.total_episodes must be >= 0"),
        ("train.device=gpu0", "not a torch device"),
        ("rdpg.gamma=1.5", "rdpg.gamma must be in"),
        ("eval.landscapes_per_family=0", "eval.landscapes_per_family must be >= 1"),
    ],
)
def test_bad_values_fail_before_a_run_folder_exists(tmp_path, override, message):
    from experiments import train_ddpg

    args = [
        "--config",
        "experiments/configs/ddpg_small.yaml",
        "--set",
        f"runs_dir={tmp_path / 'runs'}",
        override,
    ]
    with pytest.raises(ConfigError, match=message):
        train_ddpg.main(args)
    assert not (tmp_path / "runs").exists()


def test_an_empty_config_is_an_error_not_the_defaults(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing here\n")
    with pytest.raises(ConfigError, match="is empty"):
        load(DDPGExperiment, path)


def test_a_config_error_is_one_line_not_a_traceback(tmp_path):
    import subprocess
    import sys

    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "experiments.train_ddpg",
            "--config",
            "experiments/configs/ddpg_small.yaml",
            "--set",
            "env.noise=-1",
            f"runs_dir={tmp_path}",
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines() == [
        "config error: experiments/configs/ddpg_small.yaml.env: noise must be a finite number >= 0; got -1.0"
    ]


def test_help_documents_every_key(capsys):
    from experiments import train_ddpg

    with pytest.raises(SystemExit):
        train_ddpg.main(["--help"])
    text = capsys.readouterr().out
    for key in ("env.reward_window", "rdpg.bc_weight", "warm_start.step_gain", "train.num_envs", "--output"):
        assert key in text
    assert "critic-only updates before the actor starts learning" in text.lower()
    assert field_docs(DDPGExperiment)["seed"].startswith("Seeds the networks")
    assert all(": " in line and line.split(": ", 1)[1] for line in describe(DDPGExperiment) if "(" in line)


def test_resume_with_set_continues_with_the_changed_keys(tmp_path):
    from experiments.runs import start_run

    run = start_run(
        DDPGExperiment, "env", "", "experiments/configs/ddpg_small.yaml", ["--set", f"runs_dir={tmp_path}"]
    )
    resumed = start_run(
        DDPGExperiment, "env", "", "x", ["--resume", str(run.dir), "--set", "train.total_episodes=80"]
    )
    assert resumed.resume and resumed.cfg.train.total_episodes == 80
    assert (
        load(DDPGExperiment, run.dir / "config.yaml").train.total_episodes == 80
    )  # saved for the next resume
    assert len((run.dir / "command.txt").read_text().splitlines()) == 2
    with pytest.raises(ConfigError, match="horizon"):
        start_run(DDPGExperiment, "env", "", "x", ["--resume", str(run.dir), "--set", "env.horizon=0"])


def test_relative_input_paths_resolve_from_the_file_and_dump_relative_to_the_target(tmp_path, monkeypatch):
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    (tmp_path / "a" / "base.yaml").write_text("name: x\n")
    (sub / "sweep.yaml").write_text("name: s\nbase: ../base.yaml\ngrid: {seed: [0]}\n")
    monkeypatch.chdir(tmp_path / "a" / "b")  # anywhere but the project root
    cfg = load(SweepConfig, sub / "sweep.yaml")
    assert cfg.base == str(tmp_path / "a" / "base.yaml")
    assert load(SweepConfig, sub / "sweep.yaml", {"base": "../base.yaml"}).base == cfg.base  # from the cwd
    (tmp_path / "c").mkdir()
    dump(cfg, tmp_path / "c" / "copy.yaml")
    assert "base: ../a/base.yaml" in (tmp_path / "c" / "copy.yaml").read_text()
    assert load(SweepConfig, tmp_path / "c" / "copy.yaml").base == cfg.base


@pytest.mark.parametrize(
    ("cls", "path"), [(AngleExperiment, "angle_net.yaml"), (DDPGExperiment, "rover_policy.yaml")]
)
def test_the_configs_beside_the_shipped_weights_load(cls, path):
    """The shipped weights' configs stay in the current schema (they retrain with --config)."""
    cfg = load(cls, f"agents/pretrained/{path}")
    assert cfg.seed == 0


@pytest.mark.parametrize(
    "path",
    sorted(
        str(p) for p in (Path(__file__).resolve().parent.parent / "experiments/configs").glob("**/*.yaml")
    ),
)
def test_every_config_file_in_the_repository_validates(path):
    """Sweep and comparison files expand to validated runs; experiment configs load as their type."""
    from experiments.compare_rl import specs_for
    from experiments.schemas import AngleExperiment, CompareConfig, DDPGExperiment, SB3Experiment, SweepConfig
    from experiments.sweep import expand

    name = Path(path).name
    if "/sweeps/" in path:
        assert expand(load(SweepConfig, path), path)
    elif name.startswith("compare_rl"):
        assert specs_for(load(CompareConfig, path), path)
    elif name.startswith(("angle", "table1")):
        load(AngleExperiment, path)
    elif name.startswith("sb3"):
        load(SB3Experiment, path)
    else:
        load(DDPGExperiment, path)


def test_the_sb3_config_names_exactly_the_algorithms_the_agents_can_build():
    import typing

    from agents.sb3 import ALGORITHMS
    from experiments.schemas import Algo

    assert set(typing.get_args(Algo)) == set(ALGORITHMS)


def test_a_comparison_gives_every_algorithm_the_same_angle_network():
    from experiments.compare_rl import specs_for
    from experiments.schemas import CompareConfig

    path = "experiments/configs/compare_rl_small.yaml"
    wide = "agents/pretrained/angle_wide.pt"
    specs = specs_for(load(CompareConfig, path, {"angle_net": wide, "algorithms": ["rdpg", "ppo"]}), path)
    by_algo = {s.labels["algorithm"]: s.overrides for s in specs}
    assert by_algo["rdpg"]["agent.angle_net"] == wide and by_algo["ppo"]["angle_net"] == wide
    default = specs_for(load(CompareConfig, path), path)
    assert all("angle_net" not in s.overrides and "agent.angle_net" not in s.overrides for s in default)
