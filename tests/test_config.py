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
