"""Checks a config needs the registries for (model and featurizer names), run before Ray starts."""

from __future__ import annotations

import difflib

from gallon.config.schema import Config
from gallon.errors import ConfigError


def _check_name(key: str, value: str, choices: list[str]) -> None:
    if value not in choices:
        close = difflib.get_close_matches(value, choices, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ConfigError(
            f"config key '{key}' names unknown '{value}'{hint}; choose one of {', '.join(choices)}."
        )


def validate_names(cfg: Config) -> None:
    """Fail early, with one sentence, on a model or featurizer name no registry knows."""
    from gallon.features.atoms import ATOM_FEATURIZERS
    from gallon.models import MODELS
    from gallon.roles import asks_llm

    _check_name("gnn.model", cfg.gnn.model, sorted(MODELS))
    _check_name("student.model", cfg.student.model, sorted(MODELS))
    _check_name("features.atoms", cfg.features.atoms, sorted(ATOM_FEATURIZERS))
    if cfg.explain.backend == "file" and asks_llm(cfg):
        from gallon.explain.offline import file_source

        file_source(cfg.explain.file)  # a missing file fails here, before Ray starts
    if cfg.features.student_atoms is not None:
        _check_name("features.student_atoms", cfg.features.student_atoms, sorted(ATOM_FEATURIZERS))
