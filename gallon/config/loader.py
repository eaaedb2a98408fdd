"""Typed loading of YAML configs and `--set section.key=value` overrides.

The YAML dict is merged over the dataclass defaults, then every value is checked against the
field's annotation (int, float, bool, str, Literal, optional, tuples, nested sections). Any
mistake is a `ConfigError` with one sentence naming the key, e.g.
"config key 'gnn.train.lr' must be a number, got 'fast'".
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

from gallon.config.schema import Config
from gallon.errors import ConfigError

T = TypeVar("T")


def _describe(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


def _convert(value: Any, tp: Any, key: str, base: Any = None) -> Any:
    """Return `value` converted to annotation `tp`, or raise ConfigError naming `key`.

    `base` is the current value of a nested section: a partial mapping updates it.
    """
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(value, inner[0], key) if len(inner) == 1 else value
    if origin is typing.Literal:
        if value not in args:
            choices = ", ".join(repr(a) for a in args)
            raise ConfigError(f"config key '{key}' must be one of {choices}, got {value!r}.")
        return value
    if origin is tuple:
        variadic = len(args) == 2 and args[1] is Ellipsis
        if isinstance(value, str):  # "--set run.seeds=0,1,2"
            value = [yaml.safe_load(v) for v in value.split(",") if v.strip()]
        elif variadic and not isinstance(value, (list, tuple)):  # "--set run.seeds=0"
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"config key '{key}' must be a list, got {_describe(value)}.")
        if variadic:
            return tuple(_convert(v, args[0], f"{key}[{i}]") for i, v in enumerate(value))
        if len(value) != len(args):
            raise ConfigError(f"config key '{key}' must have {len(args)} items, got {len(value)}.")
        return tuple(_convert(v, a, f"{key}[{i}]") for i, (v, a) in enumerate(zip(value, args)))
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"config key '{key}' must be a mapping, got {_describe(value)}.")
        return {str(k): _convert(v, args[1], f"{key}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"config section '{key}' must be a mapping, got {_describe(value)}.")
        return from_dict(tp, value, prefix=key, base=base)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"config key '{key}' must be true or false, got {_describe(value)}.")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"config key '{key}' must be an integer, got {_describe(value)}.")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"config key '{key}' must be a number, got {_describe(value)}.")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"config key '{key}' must be a string, got {_describe(value)}.")
        return value
    if tp is Any:
        return value
    raise TypeError(f"unsupported annotation {tp!r} for '{key}'")  # a schema bug, not a user one


def from_dict(cls: type[T], data: dict[str, Any], prefix: str = "", base: T | None = None) -> T:
    """Build dataclass `cls` from a (partial) dict; missing keys keep `base`'s values (or the
    defaults), so `student: {hidden: 32}` changes one key of the student section only."""
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if key not in names:
            close = difflib.get_close_matches(str(key), names, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            where = f"section '{prefix}'" if prefix else "the top level"
            raise ConfigError(f"unknown config key '{path}' in {where}{hint}.")
        kwargs[key] = _convert(value, hints[key], path, getattr(base, key, None))
    try:
        return dataclasses.replace(base, **kwargs) if base is not None else cls(**kwargs)
    except ConfigError as err:
        key = getattr(err, "key", None)
        if prefix and key:  # a range check inside this section: name the full key
            raise ConfigError(f"config key '{prefix}.{key}' {err.requirement}.") from None
        raise


def merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge `update` into a copy of `base` (nested dicts merge, other values replace)."""
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """`["gnn.train.lr=0.01", "run.seeds=[0,1]"]` → nested dict with YAML-parsed values."""
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"override '{item}' must look like section.key=value.")
        dotted, raw = item.split("=", 1)
        try:
            value = yaml.safe_load(raw) if raw != "" else None
        except yaml.YAMLError:
            value = raw
        node = out
        parts = dotted.strip().split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override '{item}' sets a key below a non-section value.")
        node[parts[-1]] = value
    return out


def read_yaml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist.")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"config file {path} is not valid YAML{where}.") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping of sections.")
    return data


def load_config(
    paths: list[str | Path] = (), overrides: list[str] = (), extra: dict[str, Any] | None = None
) -> Config:
    """Defaults ← each YAML file in order ← `extra` (CLI flags) ← `--set` overrides."""
    data: dict[str, Any] = {}
    for path in paths:
        data = merge(data, read_yaml(path))
    data = merge(data, extra or {})
    data = merge(data, parse_overrides(list(overrides)))
    return from_dict(Config, data, base=Config())


def to_dict(cfg: Any) -> dict[str, Any]:
    """Plain nested dict (tuples as lists) for YAML dumps and Ray workers."""

    def plain(value: Any) -> Any:
        if isinstance(value, tuple):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    return plain(dataclasses.asdict(cfg))


def dump_yaml(cfg: Any) -> str:
    return yaml.safe_dump(to_dict(cfg), sort_keys=False)
