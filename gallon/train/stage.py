"""Stage `train`: one model role × seed on Ray Train, then its predictions and artifact.

Roles (`ROLES`) say which network config a model uses and which teachers it distils from:
`gnn` (teacher, graph network), `mlp` (the student's architecture, labels only) and `student`
(the same MLP distilled from the teachers whose weights are > 0). A role's outputs:
`predictions/<role>/seed_<s>.parquet` (`PREDICTION_COLUMNS`; the teacher outputs students read)
and `<role>/seed_<s>/` (the loadable artifact plus history.json).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from gallon.artifacts import save_artifact
from gallon.config.schema import Config, NetConfig
from gallon.data.loading import DatasetInfo
from gallon.evaluation.metrics import evaluate, to_predictions
from gallon.features.stage import FeatureSet
from gallon.io import write_json, write_table
from gallon.models import build_model, count_parameters
from gallon.train.data import GraphSet, load_graph_set, predict

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Role:
    name: str
    net: Callable[[Config], NetConfig]
    teachers: Callable[[Config], dict[str, float]]  # teacher role → distillation weight


ROLES: dict[str, Role] = {
    r.name: r
    for r in (
        Role("gnn", lambda c: c.gnn, lambda c: {}),
        Role("mlp", lambda c: c.student, lambda c: {}),
        Role("student", lambda c: c.student, lambda c: {"gnn": c.distill.alpha}),
    )
}


@dataclass
class RunContext:
    """What every training stage of one run shares: config, paths, dataset, features, split."""

    cfg: Config
    out: Path
    info: DatasetInfo
    features: FeatureSet
    splits: dict[str, list[int]]
    _graphs: GraphSet | None = field(default=None, repr=False)

    def predictions_path(self, role: str, seed: int) -> Path:
        return self.out / "predictions" / role / f"seed_{seed}.parquet"

    def graphs(self) -> GraphSet:
        """All molecules as graphs with labels (loaded once, for driver-side prediction)."""
        if self._graphs is None:
            self._graphs = load_graph_set(
                str(self.features.path),
                str(self.out / "molecules.parquet"),
                self.splits,
                self.features.atom_dim,
                self.features.bond_dim,
                self.info.task,
            )
        return self._graphs


@dataclass
class ModelRun:
    role: str
    seed: int
    metrics: dict[str, dict[str, Any]]  # split → metrics
    summary: dict[str, Any]
    parameters: int


def build_spec(role: Role, ctx: RunContext, seed: int) -> dict[str, Any]:
    """The plain-dict spec a Ray Train worker needs (paths, hyperparameters, teachers)."""
    cfg, net = ctx.cfg, role.net(ctx.cfg)
    weights = {t: w for t, w in role.teachers(cfg).items() if w > 0}
    teachers = {t: str(ctx.predictions_path(t, seed)) for t in weights}
    return {
        "seed": seed,
        "task": ctx.info.task,
        "model": {
            "name": net.model,
            "in_dim": ctx.features.atom_dim,
            "edge_dim": ctx.features.bond_dim,
            "num_tasks": len(ctx.info.targets),
            "hidden": net.hidden,
            "layers": net.layers,
            "dropout": net.dropout,
            "pool": net.pool,
        },
        "train": dataclasses.asdict(net.train),
        "data": {
            "features": str(ctx.features.path),
            "molecules": str(ctx.out / "molecules.parquet"),
            "splits": ctx.splits,
            "atom_dim": ctx.features.atom_dim,
            "bond_dim": ctx.features.bond_dim,
            "teachers": teachers,
        },
        "distill": {
            "weights": weights,
            "kind": cfg.distill.kind,
            "temperature": cfg.distill.temperature,
            "projection": cfg.distill.projection,
        },
    }


def _split_labels(gs: GraphSet) -> list[str]:
    labels = np.full(len(gs.graphs), "", dtype=object)
    for name, idx in gs.index.items():
        labels[idx] = name
    return labels.tolist()


def train_role(
    role_name: str, seed: int, ctx: RunContext, fitter: Callable | None = None
) -> ModelRun:
    """Train one role for one seed (on Ray Train unless another `fitter` is injected, e.g.
    `gallon.train.loop.fit_local`); write predictions, artifact and history."""
    if fitter is None:
        from gallon.train.ray_fit import fit as fitter

    role = ROLES[role_name]
    spec = build_spec(role, ctx, seed)
    name = f"{role.name}_seed{seed}"
    result = fitter(spec, ctx.out / "checkpoints", name)
    model = build_model(spec["model"])
    model.load_state_dict(result.best_state)
    gs = ctx.graphs()
    out, h = predict(model, gs.graphs)
    pred = to_predictions(out, ctx.info.task, gs.y_mean, gs.y_std)
    table = pa.table(
        {
            "row": pa.array(gs.rows, pa.int64()),
            "split": pa.array(_split_labels(gs), pa.string()),
            "output": pa.array(out.astype(np.float32).tolist(), pa.list_(pa.float32())),
            "prediction": pa.array(pred.tolist(), pa.list_(pa.float64())),
            "embedding": pa.array(h.astype(np.float32).tolist(), pa.list_(pa.float32())),
        }
    )
    write_table(table, ctx.predictions_path(role.name, seed))
    metrics = {s: evaluate(ctx.info.task, gs.y[idx], pred[idx]) for s, idx in gs.index.items()}
    hparams = {
        "model": spec["model"],
        "role": role.name,
        "seed": seed,
        "task": ctx.info.task,
        "targets": list(ctx.info.targets),
        "metric": ctx.info.metric,
        "dataset": ctx.info.name,
        "y_mean": None if gs.y_mean is None else gs.y_mean.tolist(),
        "y_std": None if gs.y_std is None else gs.y_std.tolist(),
        "teachers": spec["distill"]["weights"],
        "best_epoch": result.summary.get("best_epoch"),
    }
    folder = save_artifact(ctx.out / role.name / f"seed_{seed}", model, hparams, ctx.features.spec)
    write_json(result.summary, folder / "history.json")
    logger.info(
        "%s seed %d: val %s %.4f, test %.4f (best epoch %s of %s)",
        role.name,
        seed,
        ctx.info.metric,
        metrics["val"][ctx.info.metric],
        metrics["test"][ctx.info.metric],
        result.summary.get("best_epoch"),
        result.summary.get("epochs_run"),
    )
    return ModelRun(role.name, seed, metrics, result.summary, count_parameters(model))
