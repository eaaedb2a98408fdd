"""The search space: config keys → distributions, as Ray Tune domains and back as config.

A trial's parameters are config overrides (`{"distill.alpha": 1.0, ...}`), so a trial's student
is built exactly as `run_all.py` builds one from the same keys, and the winner is written as a
partial config (`best.yaml`) that `run_all.py --params` merges.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import yaml

from gallon.config.loader import from_dict
from gallon.config.schema import Config, SweepConfig
from gallon.errors import ConfigError


def nest(params: dict[str, Any]) -> dict[str, Any]:
    """`{"student.train.lr": 1e-3}` → `{"student": {"train": {"lr": 1e-3}}}`."""
    out: dict[str, Any] = {}
    for dotted, value in params.items():
        *sections, key = dotted.split(".")
        node = out
        for section in sections:
            node = node.setdefault(section, {})
        node[key] = value
    return out


def config_value(cfg: Config, key: str) -> Any:
    node: Any = cfg
    for part in key.split("."):
        node = getattr(node, part, None)
    return node


def _like_config(cfg: Config, params: dict[str, Any]) -> dict[str, Any]:
    """Integral floats back to int where the key is an int: Tune's result tables (and pandas)
    turn 128 into 128.0."""
    out = {}
    for key, value in params.items():
        if hasattr(value, "item"):
            value = value.item()  # numpy scalars
        current = config_value(cfg, key)
        if (
            isinstance(current, int)
            and not isinstance(current, bool)
            and isinstance(value, float)
            and value.is_integer()
        ):
            value = int(value)
        out[key] = value
    return out


def apply_params(cfg: Config, params: dict[str, Any]) -> Config:
    """The config with a trial's parameters applied (type-checked like any override)."""
    return from_dict(Config, nest(_like_config(cfg, params)), base=cfg)


def check_space(cfg: Config) -> None:
    """Every key exists and every value it can take type-checks; ConfigError names the first
    that does not (before Ray starts)."""
    for key, dist in cfg.sweep.space.items():
        name, values = next(iter(dist.items()))
        probes = values if name == "choice" else values[:2]
        for value in probes:
            try:
                apply_params(cfg, {key: value})
            except ConfigError as err:
                raise ConfigError(f"sweep.space entry '{key}': {err}") from None
        if name == "loguniform" and min(values) <= 0:
            raise ConfigError(f"sweep.space entry '{key}' (loguniform) needs positive bounds.")
        if name != "choice" and values[0] >= values[1]:
            raise ConfigError(f"sweep.space entry '{key}' needs low < high, got {values}.")


def tune_space(sweep: SweepConfig) -> dict[str, Any]:
    """Ray Tune domains for the search space (grid search: every choice list as a grid)."""
    from ray import tune

    out: dict[str, Any] = {}
    for key, dist in sweep.space.items():
        name, values = next(iter(dist.items()))
        if sweep.search == "grid":
            if name != "choice":
                raise ConfigError(
                    f"grid search needs choice lists, but sweep.space entry '{key}' is {name}."
                )
            out[key] = tune.grid_search(list(values))
        elif name == "choice":
            out[key] = tune.choice(list(values))
        elif name == "uniform":
            out[key] = tune.uniform(*values)
        elif name == "loguniform":
            out[key] = tune.loguniform(*values)
        else:
            out[key] = tune.randint(values[0], values[1] + 1)  # inclusive, as written
    return out


def relevant_space(cfg: Config, task: str | None = None) -> Config:
    """Drop keys that cannot change the result (searching them would waste trials): the weight
    of a teacher this run does not train, and for regression the temperature (it softens
    classification labels only)."""
    unused = {"distill.alpha": "gnn", "distill.beta": "lm"}
    space = {
        k: v for k, v in cfg.sweep.space.items() if k not in unused or unused[k] in cfg.run.roles
    }
    if task == "regression":
        space.pop("distill.temperature", None)
    return dataclasses.replace(cfg, sweep=dataclasses.replace(cfg.sweep, space=space))


def best_yaml(params: dict[str, Any], comment: str) -> str:
    """The winning parameters as a partial config (for `run_all.py --params`)."""
    header = "".join(f"# {line}\n" for line in comment.splitlines())
    return header + yaml.safe_dump(nest(params), sort_keys=True)


def plain_params(cfg: Config, params: dict[str, Any]) -> dict[str, Any]:
    """Parameters with values as the config holds them (e.g. ints where the key is an int)."""
    applied = apply_params(cfg, params)
    return {key: config_value(applied, key) for key in params}
