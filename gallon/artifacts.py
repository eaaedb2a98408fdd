"""Model artifacts: a folder with `model.safetensors`, `hparams.json` and `featurizer.json`.

`load_model(path)` rebuilds predictors from the folder alone (no run config, no teacher): a list
with one `Predictor` for an artifact folder, or one per seed for a folder whose subfolders are
artifacts (`student/seed_0`, `student/seed_1`, ...). Averaging members (mean and spread) is the
screening `Scorer`'s job, not the list's. Loading never unpickles: weights are safetensors, the
rest is JSON.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gallon.errors import InputError
from gallon.io import read_json, write_json

WEIGHTS, HPARAMS, FEATURIZER = "model.safetensors", "hparams.json", "featurizer.json"


def save_artifact(
    path: Path, model: Any, hparams: dict[str, Any], feature_spec: dict[str, Any]
) -> Path:
    """Write the three files; `hparams` holds 'model' (registry kwargs), 'task', 'targets', ..."""
    from safetensors.torch import save_file

    path.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(path / WEIGHTS))
    write_json(hparams, path / HPARAMS)
    write_json(feature_spec, path / FEATURIZER)
    return path


def is_artifact(path: Path) -> bool:
    return all((path / name).is_file() for name in (WEIGHTS, HPARAMS, FEATURIZER))


@dataclass
class Predictor:
    """One trained model with its featurizer: SMILES → predictions in target units."""

    model: Any  # a registered torch.nn.Module, in eval mode
    hparams: dict[str, Any]
    featurizer: Any  # GraphFeaturizer
    path: Path

    @property
    def task(self) -> str:
        return self.hparams["task"]

    @property
    def targets(self) -> list[str]:
        return list(self.hparams["targets"])

    def to_units(self, raw: np.ndarray) -> np.ndarray:
        """Raw outputs (B, T) → probabilities (classification) or target units (regression)."""
        from gallon.evaluation.metrics import to_predictions

        mean, std = self.hparams.get("y_mean"), self.hparams.get("y_std")
        return to_predictions(
            raw,
            self.task,
            None if mean is None else np.asarray(mean),
            None if std is None else np.asarray(std),
        )

    def predict(
        self, smiles: Sequence[str], batch_size: int = 1024
    ) -> tuple[np.ndarray, list[str | None]]:
        """Predict for SMILES; returns ((N, T) with NaN rows where invalid, reason per row).

        The screening path with one member (`gallon.screen.predict.Scorer`), unfolded."""
        from gallon.screen.predict import Scorer

        table = Scorer([self], threads=None, fold=False, batch_size=batch_size).score(
            [None] * len(smiles), smiles
        )
        out = np.stack(
            [table.column(t).to_numpy(zero_copy_only=False) for t in self.targets], axis=1
        ).astype(np.float64)
        return out, table.column("error").to_pylist()


def load_artifact(path: str | Path) -> Predictor:
    from safetensors.torch import load_file

    from gallon.features.graphs import GraphFeaturizer
    from gallon.models import build_model

    path = Path(path)
    if not is_artifact(path):
        raise InputError(
            f"{path} is not a model folder (needs {WEIGHTS}, {HPARAMS}, {FEATURIZER})."
        )
    hparams = read_json(path / HPARAMS)
    model = build_model(hparams["model"])
    model.load_state_dict(load_file(str(path / WEIGHTS)))
    model.eval()
    return Predictor(model, hparams, GraphFeaturizer.from_spec(read_json(path / FEATURIZER)), path)


def find_artifacts(path: str | Path) -> list[Path]:
    """The artifact at `path`, or the artifacts in its immediate subfolders (one per seed)."""
    path = Path(path)
    if is_artifact(path):
        return [path]
    found = (
        sorted(p for p in path.iterdir() if p.is_dir() and is_artifact(p)) if path.is_dir() else []
    )
    if not found:
        raise InputError(
            f"no model found at {path}: expected {HPARAMS} there or in its subfolders."
        )
    return found


def describe_model(path: str | Path) -> list[dict[str, Any]]:
    """The members' hparams, checked to fit together, without loading weights or torch (a
    screening driver validates its --model with this and leaves loading to the workers)."""
    found = find_artifacts(path)
    members = [read_json(p / HPARAMS) for p in found]
    first = members[0]
    for m in members[1:]:
        if m["targets"] != first["targets"] or m["task"] != first["task"]:
            raise InputError(f"models under {path} predict different targets; give one of them.")
    if len({json.dumps(read_json(p / FEATURIZER), sort_keys=True) for p in found}) != 1:
        raise InputError(f"models under {path} use different featurizers; give one of them.")
    return members


def load_model(path: str | Path) -> list[Predictor]:
    """Every member found at `path` (one for an artifact, one per seed for a run's model folder)."""
    describe_model(path)
    return [load_artifact(p) for p in find_artifacts(path)]
