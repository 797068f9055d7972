"""Typed configs: dataclasses are the schema, YAML only their serialised form.

:func:`load` reads a YAML file into a dataclass strictly: an unknown key, a missing required
field, a value of the wrong type or one the dataclass's own validation rejects is a
:class:`ConfigError` naming the file, the key and what is valid. :func:`dump` writes the
resolved config back (tuples as lists), so every run can save exactly what it ran with.
Overrides use dotted keys: ``{"train.epochs": 3}``.

Fields marked ``field(metadata={"path": True})`` are input files: a relative path in a YAML
file resolves from that file's folder (so a sweep file works from any working directory), one
given as an override from the working directory, and :func:`dump` writes them relative to the
file it writes. :func:`describe` turns the field docstrings into ``--help`` text.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import itertools
import os
import re
import textwrap
import types
import typing
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import yaml

T = TypeVar("T")


class ConfigError(ValueError):
    """A config file or override does not match its schema."""


_YAML11_FLOAT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")


def _type_name(tp) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _coerce(value: Any, tp, where: str) -> Any:
    """``value`` checked (and minimally converted) against the annotation ``tp``."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return _coerce(value, arg, where)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(f"{where}: {value!r} matches none of {[_type_name(a) for a in args]}")
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping for {tp.__name__}, got {type(value).__name__}")
        return from_dict(tp, value, where)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(v, args[0], f"{where}[{i}]") for i, v in enumerate(value))
        if len(value) != len(args):
            raise ConfigError(f"{where}: expected {len(args)} items, got {len(value)}")
        return tuple(_coerce(v, a, f"{where}[{i}]") for i, (v, a) in enumerate(zip(value, args)))
    if origin is list:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return [_coerce(v, args[0], f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return {k: _coerce(v, args[1], f"{where}.{k}") for k, v in value.items()}
    if origin is typing.Literal:
        if value not in args:
            raise ConfigError(f"{where}: {value!r} is not one of {list(args)}")
        return value
    if tp is float:
        if isinstance(value, str) and _YAML11_FLOAT.fullmatch(value.strip()):
            return float(value)  # PyYAML reads 1e-4 (no dot) as a string: YAML 1.1's float rule
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return value
    raise ConfigError(f"{where}: unsupported field type {_type_name(tp)}")


def from_dict(cls: type[T], data: dict, where: str = "config") -> T:
    """Build ``cls`` from a mapping, strictly."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; valid keys: {', '.join(fields)}")
    kwargs = {}
    for name, f in fields.items():
        if name in data:
            kwargs[name] = _coerce(data[name], hints[name], f"{where}.{name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{where}: missing required key {name!r}")
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def load(cls: type[T], path: str | Path, overrides: dict[str, Any] | None = None) -> T:
    """Read ``path`` (YAML) into ``cls``, applying dotted-key ``overrides`` first."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {path} does not exist") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from exc
    if data is None:
        raise ConfigError(f"{path} is empty; start from one of the shipped configs (experiments/configs/)")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys to values")
    _resolve_paths(cls, data, path.parent)
    return from_dict(cls, apply_overrides(cls, data, overrides or {}), where=str(path))


def apply_overrides(cls: type, data: dict, overrides: dict[str, Any]) -> dict:
    """``data`` with dotted-key ``overrides`` set (path fields resolved from the working directory)."""
    data = dict(data)
    for key, value in overrides.items():
        node = data
        *parents, leaf = key.split(".")
        for part in parents:
            node[part] = dict(node.get(part) or {})
            node = node[part]
        node[leaf] = os.path.abspath(value) if key in _path_fields(cls) and isinstance(value, str) else value
    return data


@cache
def _path_fields(cls: type, prefix: str = "") -> frozenset[str]:
    """Dotted names of the input-path fields of ``cls`` (and of its nested dataclasses)."""
    out = set()
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.metadata.get("path"):
            out.add(prefix + f.name)
        elif dataclasses.is_dataclass(hints[f.name]):
            out |= _path_fields(hints[f.name], f"{prefix}{f.name}.")
    return frozenset(out)


def _resolve_paths(cls: type, data: dict, folder: Path) -> None:
    """Make the relative path fields of ``data`` (read from a file in ``folder``) absolute."""
    for key in _path_fields(cls):
        *parents, leaf = key.split(".")
        node = data
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and isinstance(node.get(leaf), str):
            node[leaf] = str((folder / node[leaf]).resolve())


def to_dict(obj) -> dict:
    """A dataclass as plain YAML-friendly data (tuples become lists)."""

    def plain(v):
        if dataclasses.is_dataclass(v):
            return {f.name: plain(getattr(v, f.name)) for f in dataclasses.fields(v)}
        if isinstance(v, tuple | list):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        return v

    return plain(obj)


def dump(obj, path: str | Path) -> None:
    """Write ``obj`` as YAML; its path fields relative to ``path``'s folder (so the file is
    self-contained wherever the folder moves along with the files it names)."""
    path = Path(path)
    data = to_dict(obj)
    for key in _path_fields(type(obj)):
        *parents, leaf = key.split(".")
        node = data
        for part in parents:
            node = node[part]
        if isinstance(node.get(leaf), str):
            node[leaf] = os.path.relpath(Path(node[leaf]).resolve(), path.parent.resolve())
    path.write_text(yaml.safe_dump(data, sort_keys=False))


@cache
def field_docs(cls: type) -> dict[str, str]:
    """The docstrings written under a dataclass's fields (``name: type = default`` then
    ``\"\"\"doc\"\"\"``), as a ``{field: doc}`` mapping (what ``--help`` shows)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError):
        return {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    docs = {}
    for node, after in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[node.target.id] = " ".join(after.value.value.split())
    return docs


def describe(cls: type, prefix: str = "") -> list[str]:
    """One line per config key of ``cls`` (nested sections expanded): its dotted name, type,
    default and documentation."""
    hints = typing.get_type_hints(cls)
    docs = field_docs(cls)
    lines = []
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        if dataclasses.is_dataclass(tp):
            head = (tp.__doc__ or "").strip().splitlines()[0] if tp.__doc__ else ""
            lines.append(f"{prefix}{f.name}:  {docs.get(f.name) or head}".rstrip())
            lines += describe(tp, f"{prefix}{f.name}.")
            continue
        if f.default is not dataclasses.MISSING:
            default = f"default {f.default!r}"
        elif f.default_factory is not dataclasses.MISSING:
            default = f"default {f.default_factory()!r}"
        else:
            default = "required"
        kind = tp.__name__ if isinstance(tp, type) else str(tp).replace("typing.", "")
        lines.append(f"  {prefix}{f.name} ({kind}; {default}): {docs.get(f.name, '')}".rstrip())
    return lines


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``["train.epochs=3", "data.seed=1"]`` -> ``{"train.epochs": 3, "data.seed": 1}`` (YAML values)."""
    out = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"override {item!r} must look like key.sub=value")
        key, value = item.split("=", 1)
        out[key.strip()] = yaml.safe_load(value)
    return out
