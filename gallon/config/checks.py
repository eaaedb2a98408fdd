"""The range check every configuration section runs in `__post_init__`: one sentence or nothing."""

from __future__ import annotations

from gallon.errors import ConfigError


def check(ok: bool, key: str, requirement: str) -> None:
    """Raise ConfigError for `key` (relative to its section); the loader adds the section path."""
    if not ok:
        err = ConfigError(f"config key '{key}' {requirement}.")
        err.key, err.requirement = key, requirement
        raise err
