"""Strict typed YAML configs."""

from dataclasses import dataclass, field

import pytest

from experiments.config import ConfigError, dump, load, parse_overrides
from experiments.train_angle import AngleExperiment


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
    from experiments.train_ddpg import DDPGExperiment

    cfg = load(DDPGExperiment, f"experiments/configs/{name}.yaml")
    assert cfg.train.total_episodes > 0
    if name == "ddpg":  # the shipped policy's recipe: warm start, then RDPG with the BC term
        assert cfg.warm_start.rounds > 0 and cfg.agent.bc_weight > 0
        assert cfg.output == "agents/pretrained/rover_policy.pt"
    else:  # nothing else overwrites the shipped policy
        assert cfg.output is None or "pretrained" not in cfg.output
