"""Configuration of the Ray Tune search (jobs/sweep.py) and its default space."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from gallon.config.checks import check

DISTRIBUTIONS = ("choice", "uniform", "loguniform", "randint")
# The reference code's grid for both teacher weights (GALLON's search, trainDistill.py).
WEIGHT_GRID = [0.0, 0.001, 0.01, 0.1, 1.0, 10.0, 100.0]


def _default_space() -> dict[str, dict[str, Any]]:
    return {
        "distill.alpha": {"choice": list(WEIGHT_GRID)},
        "distill.beta": {"choice": list(WEIGHT_GRID)},
        "distill.kind": {"choice": ["label", "representation"]},
        "distill.temperature": {"choice": [1.0, 2.0, 4.0]},  # classification only (dropped else)
        "student.dropout": {"uniform": [0.0, 0.5]},
        "student.train.lr": {"loguniform": [1e-4, 1e-2]},
        "student.train.weight_decay": {"choice": [0.0, 1e-5, 1e-4, 1e-3]},
        "student.hidden": {"choice": [128, 256, 512]},
    }


@dataclass(frozen=True)
class SweepConfig:
    """Ray Tune search over the distilled student's settings (jobs/sweep.py)."""

    role: Literal["student", "gnn"] = "student"
    """What the trials train: the distilled student (teachers trained once, before; space keys
    student.* and distill.*) or the GNN teacher (a teacher sweep; space keys gnn.*)."""
    trials: int = 20
    """Number of trials (configurations sampled); grid search ignores it."""
    search: Literal["random", "grid", "optuna"] = "random"
    """random (Tune's sampler), grid (every combination of the choice lists) or optuna (TPE;
    needs the optuna package: pip install -e '.[tune]')."""
    scheduler: Literal["asha", "none"] = "asha"
    """asha stops trials whose validation metric trails the others early; none runs all to the
    end (early stopping on patience still applies)."""
    grace_epochs: int = 10
    """Epochs every trial runs before ASHA may stop it."""
    max_concurrent_trials: int = 2
    """Upper bound on trials running at once (also bounded by the cluster's CPUs)."""
    cpus_per_trial: int = 1
    """CPUs each trial reserves (and uses as torch threads)."""
    gpus_per_trial: float = 0.0
    """GPUs each trial reserves (a fraction shares one GPU between trials)."""
    seed: int = 0
    """The teachers' seed the trials distil from; the search itself is seeded with it too."""
    space: dict[str, dict[str, Any]] = field(default_factory=_default_space)
    """Config key → distribution: {choice: [...]}, {uniform: [lo, hi]}, {loguniform: [lo, hi]}
    or {randint: [lo, hi]}. Keys are any student or distill key."""

    def __post_init__(self) -> None:
        check(self.trials >= 1, "trials", "must be at least 1")
        check(self.grace_epochs >= 1, "grace_epochs", "must be at least 1")
        check(self.max_concurrent_trials >= 1, "max_concurrent_trials", "must be at least 1")
        check(self.cpus_per_trial >= 1, "cpus_per_trial", "must be at least 1")
        check(self.gpus_per_trial >= 0, "gpus_per_trial", "must not be negative")
        check(len(self.space) > 0, "space", "must name at least one key")
        sections = {"student": ("student", "distill"), "gnn": ("gnn",)}[self.role]
        for key, dist in self.space.items():
            check(
                key.split(".")[0] in sections,
                "space",
                f"of a {self.role} sweep may only search {'.*, '.join(sections)}.* keys, "
                f"not '{key}'",
            )
            check(
                isinstance(dist, dict) and len(dist) == 1 and next(iter(dist)) in DISTRIBUTIONS,
                "space",
                f"entry '{key}' must be one of {{{', '.join(DISTRIBUTIONS)}: ...}}",
            )
            name, values = next(iter(dist.items()))
            check(
                isinstance(values, list) and len(values) >= 1,
                "space",
                f"entry '{key}' needs a list of values",
            )
            check(
                name == "choice" or len(values) == 2,
                "space",
                f"entry '{key}' ({name}) needs [low, high]",
            )
