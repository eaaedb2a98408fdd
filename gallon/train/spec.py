"""The typed spec a training worker receives: what to train, on which data, from which teachers.

A role builds it on the driver (`gallon.train.stage.graph_spec`, `gallon.lm.stage.text_spec`)
as a plain dict, because Ray's `train_loop_config` and the reuse key travel as dicts; whoever
trains parses it back with `WorkerSpec.parse` on arrival. Every key must be present and known,
and every value of the declared type: a renamed or dropped key is an error naming the key, not a
default that quietly trains something else.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import Any, Literal

from gallon.config.loader import from_dict
from gallon.config.schema import DistillKind, Projection, Task, TrainConfig
from gallon.errors import ConfigError


@dataclass(frozen=True)
class TransferData:
    """Unlabelled transfer molecules: their features table and each scoring teacher's scores."""

    features: str
    teachers: dict[str, str]
    per_epoch: int  # molecules drawn afresh each epoch (0: all of them)
    trust: str  # all | label_range: which scored molecules teach (DistillConfig.transfer_trust)


@dataclass(frozen=True)
class GraphData:
    """Inputs of the `graph` task (GNNs and graph-free students)."""

    features: str  # features table (row, x, edge_index, edge_attr)
    molecules: str  # molecules.parquet (row, y)
    splits: dict[str, Any]  # split → data rows
    atom_dim: int
    bond_dim: int
    teachers: dict[str, str]  # teacher role → its predictions table
    partial: tuple[str, ...]  # teachers that scored only a sample (lm.subset): masked elsewhere
    transfer: TransferData | None


@dataclass(frozen=True)
class TextData:
    """Inputs of the `text` task (the LM teacher)."""

    explanations: str  # explanations.parquet (row, smiles, explanation)
    molecules: str
    splits: dict[str, Any]
    missing_explanation: Literal["smiles", "skip"]  # policy for a failed LLM call


@dataclass(frozen=True)
class TextModel:
    encoder: str
    pooling: str
    text: Literal["smiles", "smiles+explanation"]
    max_length: int
    dropout: float
    precision: str
    num_tasks: int


@dataclass(frozen=True)
class DistillSpec:
    weights: dict[str, float]  # teacher role → weight (empty: no distillation)
    kind: DistillKind
    temperature: float
    projection: Projection


# Per task kind (the keys of gallon.train.tasks.TASKS): the types of its `data` and `model`.
# A graph model's hyperparameters are its registered class's keyword arguments, which the
# constructor checks (an unknown one is a TypeError), so they stay a mapping here.
SECTIONS: dict[str, tuple[type, type | None]] = {
    "graph": (GraphData, None),
    "text": (TextData, TextModel),
}
OPTIONAL = {"name"}  # filled in by the fitter


@dataclass(frozen=True)
class WorkerSpec:
    """One model to train. `data` / `model` are typed per kind (`SECTIONS`)."""

    kind: str
    seed: int
    task: Task
    model: Any  # TextModel, or a graph model's hyperparameters (dict with "name")
    train: TrainConfig
    data: Any  # GraphData | TextData
    distill: DistillSpec
    label_smoothing: float
    name: str = "model"

    @classmethod
    def parse(cls, spec: dict[str, Any] | WorkerSpec) -> WorkerSpec:
        """The typed spec, or a ConfigError naming the first missing, unknown or mistyped key."""
        if isinstance(spec, WorkerSpec):
            return spec
        kind = spec.get("kind")
        if kind not in SECTIONS:
            raise ConfigError(
                f"worker spec key 'kind' must be one of {', '.join(SECTIONS)}, got {kind!r}."
            )
        data_type, model_type = SECTIONS[kind]
        _require(cls, spec, "")
        _require(data_type, spec["data"], "data")
        if model_type is not None:
            _require(model_type, spec["model"], "model")
        elif "name" not in spec["model"]:
            raise ConfigError("worker spec key 'model.name' is missing.")
        try:
            return from_dict(
                cls,
                {
                    **spec,
                    "model": spec["model"]
                    if model_type is None
                    else from_dict(model_type, spec["model"], "model"),
                    "data": from_dict(data_type, spec["data"], "data"),
                },
            )
        except ConfigError as err:
            raise ConfigError(f"invalid worker spec: {err}") from None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> WorkerSpec:
        return dataclasses.replace(self, **changes)


def _require(cls: type, data: Any, prefix: str) -> None:
    """Every field of `cls` (and of its nested dataclass sections) is present in `data`."""
    if not isinstance(data, dict):
        raise ConfigError(f"worker spec section '{prefix}' must be a mapping, got {data!r}.")
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        key = f"{prefix}.{f.name}" if prefix else f.name
        if f.name not in data:
            if f.name in OPTIONAL and not prefix:
                continue
            raise ConfigError(f"worker spec key '{key}' is missing.")
        inner = [t for t in typing.get_args(hints[f.name]) if t is not type(None)] or [
            hints[f.name]
        ]
        if dataclasses.is_dataclass(inner[0]) and data[f.name] is not None:
            _require(inner[0], data[f.name], key)
