"""Stage `train`: one model role × seed on Ray Train, then its predictions and artifact.

A `Role` (registry in gallon.roles) says which config a model uses, which teachers it distils
from and how its spec is built and its model saved. A role's outputs:
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
from gallon.config.schema import Config
from gallon.data.loading import DatasetInfo
from gallon.evaluation.metrics import evaluate, to_predictions
from gallon.features.stage import FeatureSet
from gallon.io import cache_root, write_json, write_table
from gallon.lm.stage import sampled_teachers
from gallon.models import count_parameters
from gallon.storage import Storage
from gallon.train.reuse import ModelStore, spec_key
from gallon.train.spec import WorkerSpec
from gallon.train.tasks import get_task, predict
from gallon.train.teacher_mean import mean_outputs
from gallon.train.transfer import SCORING_TEACHERS as SCORING

logger = logging.getLogger(__name__)


@dataclass
class RunContext:
    """What every training stage of one run shares: config, paths, dataset, features, split."""

    cfg: Config
    out: Path
    info: DatasetInfo
    features: FeatureSet | None
    splits: dict[str, list[int]]
    student_features: FeatureSet | None = None  # graph-free models' features (None: `features`)
    transfer: Any = None  # gallon.train.transfer.TransferSet when transfer distillation is on
    _data: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.cfg = self.cfg.for_task(self.info.task)  # e.g. distill.alpha by task type

    def features_for(self, model: str) -> FeatureSet:
        """The features a registered model trains on: graph networks get `features`, models
        that ignore bonds get `student_features` when the run has them."""
        from gallon.models import MODELS

        graph = MODELS[model].uses_bonds
        return self.features if graph or self.student_features is None else self.student_features

    def predictions_path(self, role: str, seed: int) -> Path:
        return self.out / "predictions" / role / f"seed_{seed}.parquet"

    def storage(self) -> Storage | None:
        return Storage(self.cfg.run.storage) if self.cfg.run.storage else None

    def for_workers(self, value: Any) -> Any:
        """A spec with every run-folder path replaced by its published copy on shared storage
        (unchanged without `run.storage`): workers on other nodes read from there."""
        store, root = self.storage(), str(self.out)
        if store is None:
            return value
        if isinstance(value, dict):
            return {k: self.for_workers(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.for_workers(v) for v in value]
        if isinstance(value, str) and (value == root or value.startswith(root + "/")):
            return store.uri(self.out.name, *Path(value).relative_to(self.out).parts)
        return value

    def checkpoints(self) -> str:
        store = self.storage()
        return store.uri(self.out.name, "checkpoints") if store else str(self.out / "checkpoints")

    def publish(self) -> None:
        """Copy the run folder to shared storage (a no-op without `run.storage`)."""
        store = self.storage()
        if store is not None:
            store.publish(self.out, self.out.name)

    def model_store(self) -> ModelStore | None:
        if not self.cfg.run.reuse:
            return None
        root = self.cfg.run.cache_dir
        return ModelStore(Path(root).expanduser() if root else cache_root() / "trained")

    def dataset(self, spec: WorkerSpec | dict[str, Any]):
        """The dataset's molecules as the spec's model reads them, with labels and without
        teachers or transfer molecules (for driver-side prediction). Loaded once per kind,
        features and model: a student and a GNN may read different features."""
        spec = WorkerSpec.parse(spec)
        name = spec.model["name"] if isinstance(spec.model, dict) else spec.model.encoder
        key = (spec.kind, getattr(spec.data, "features", None), name)
        if key not in self._data:
            data = spec.data
            if hasattr(data, "teachers"):
                data = dataclasses.replace(data, teachers={}, transfer=None)
            self._data[key] = get_task(spec.kind).load(spec.replace(data=data))
        return self._data[key]


def graph_spec(role: Role, ctx: RunContext, seed: int) -> dict[str, Any]:
    """The plain-dict spec a Ray Train worker needs (paths, hyperparameters, teachers)."""
    cfg, net = ctx.cfg, role.net(ctx.cfg)
    features = ctx.features_for(net.model)
    weights = {t: w for t, w in role.teachers(cfg).items() if w > 0 and t in cfg.run.roles}
    teachers = {t: str(teacher_outputs(ctx, t, seed)) for t in weights}
    data: dict[str, Any] = {
        "features": str(features.path),
        "molecules": str(ctx.out / "molecules.parquet"),
        "splits": ctx.splits,
        "atom_dim": features.atom_dim,
        "bond_dim": features.bond_dim,
        "teachers": teachers,
        "partial": [t for t in sampled_teachers(cfg, ctx.splits) if t in teachers],
    }
    scorers = [t for t in weights if t in SCORING]
    data["transfer"] = None
    if ctx.transfer is not None and scorers:  # a transfer set only helps with a teacher on it
        data["transfer"] = {
            "features": str(ctx.transfer.features),
            "teachers": {t: str(transfer_targets(ctx, t, seed)) for t in scorers},
            "per_epoch": cfg.distill.transfer_per_epoch,
            "trust": cfg.distill.transfer_trust,
        }
    return {
        "kind": "graph",
        "seed": seed,
        "task": ctx.info.task,
        "model": {
            "name": net.model,
            "in_dim": features.atom_dim,
            "edge_dim": features.bond_dim,
            "num_tasks": len(ctx.info.targets),
            "hidden": net.hidden,
            "layers": net.layers,
            "dropout": net.dropout,
            "pool": net.pool,
            "head_hidden": net.head_hidden,
            "members": net.members,
            **features.atom_ids,
        },
        "train": dataclasses.asdict(net.train),
        "data": data,
        "distill": {
            "weights": weights,
            "kind": cfg.distill.kind,
            "temperature": cfg.distill.temperature,
            "projection": cfg.distill.projection,
        },
        "label_smoothing": 0.0,
    }


def teacher_outputs(ctx: RunContext, teacher: str, seed: int) -> Path:
    """What a student of `seed` reads as its teacher's outputs: the teacher of the same seed, or
    with `distill.teacher_seeds: mean` the mean over every run seed's teacher (the embedding
    stays the same seed's)."""
    if ctx.cfg.distill.teacher_seeds != "mean":
        return ctx.predictions_path(teacher, seed)
    paths = [ctx.predictions_path(teacher, s) for s in ctx.cfg.run.seeds]
    own = ctx.predictions_path(teacher, seed)
    dest = mean_outputs(paths, own.with_name(f"mean_seed_{seed}.parquet"), embedding_from=own)
    ctx.publish()  # the student's workers read it from shared storage
    return dest


def transfer_targets(ctx: RunContext, teacher: str, seed: int) -> Path:
    """The teacher's scores of the transfer set a student of `seed` matches (as above)."""
    if ctx.cfg.distill.teacher_seeds != "mean":
        return transfer_scores(ctx, teacher, seed)
    paths = [transfer_scores(ctx, teacher, s) for s in ctx.cfg.run.seeds]
    dest = mean_outputs(paths, paths[0].with_name("mean.parquet"))
    ctx.publish()
    return dest


def transfer_scores(ctx: RunContext, teacher: str, seed: int) -> Path:
    """The teacher's scores of the transfer set (computed once, on Ray Data)."""
    from gallon.train.transfer import score_transfer

    dest = ctx.transfer.predictions(ctx.out, teacher, seed)
    if not dest.exists():
        score_transfer(ctx.transfer, ctx.out / teacher / f"seed_{seed}", dest)
        ctx.publish()  # the student's workers read the scores from shared storage
    return dest


def save_graph_model(
    folder: Path, model, spec: dict[str, Any], hparams: dict[str, Any], ctx: RunContext
) -> None:
    save_artifact(folder, model, hparams, ctx.features_for(spec["model"]["name"]).spec)


@dataclass(frozen=True)
class Role:
    """A model role: its config, its teachers (role → weight), how its spec is built and saved."""

    name: str
    net: Callable[[Config], Any]
    teachers: Callable[[Config], dict[str, float]]
    build_spec: Callable[[Role, RunContext, int], dict[str, Any]] = graph_spec
    save: Callable[..., None] = save_graph_model

    def spec(self, ctx: RunContext, seed: int) -> dict[str, Any]:
        return self.build_spec(self, ctx, seed)


@dataclass
class ModelRun:
    role: str
    seed: int
    metrics: dict[str, dict[str, Any]]  # split → metrics
    summary: dict[str, Any]
    parameters: int


def _split_labels(data) -> list[str]:
    labels = np.full(len(data.rows), "", dtype=object)
    for name, idx in data.index.items():
        labels[idx] = name
    return labels.tolist()


def train_role(role: Role, seed: int, ctx: RunContext, fitter: Callable | None = None) -> ModelRun:
    """Train one role for one seed (on Ray Train unless another `fitter` is injected, e.g.
    `gallon.train.loop.fit_local`); write predictions, artifact and history."""
    if fitter is None:
        from gallon.train.ray_fit import fit as fitter

    spec = role.spec(ctx, seed)
    typed = WorkerSpec.parse(spec)  # a malformed spec fails here, before any worker starts
    name = f"{role.name}_seed{seed}"
    folder = ctx.out / role.name / f"seed_{seed}"
    store = ctx.model_store()
    key = spec_key(spec) if store else None
    entry = store.get(key) if store else None
    if entry is not None:
        saved = store.restore(entry, ctx.predictions_path(role.name, seed), folder)
        # the same model may have been trained under another role name (a sweep's student_tuned)
        run = ModelRun(**{**saved, "role": role.name, "seed": seed})
        ctx.publish()
        logger.info(
            "%s seed %d: reused the model trained earlier from identical inputs (%s)",
            role.name,
            seed,
            entry,
        )
        return run
    result = fitter(ctx.for_workers(spec), ctx.checkpoints(), name)
    kind = get_task(typed.kind)
    model = kind.build_model(typed)
    model.load_state_dict(result.best_state)
    data = ctx.dataset(typed)
    out, h = predict(kind, model, data, threads=typed.train.cpus_per_worker)  # as it trained
    pred = to_predictions(out, ctx.info.task, data.y_mean, data.y_std)
    table = pa.table(
        {
            "row": pa.array(data.rows, pa.int64()),
            "split": pa.array(_split_labels(data), pa.string()),
            "output": pa.array(out.astype(np.float32).tolist(), pa.list_(pa.float32())),
            "prediction": pa.array(pred.tolist(), pa.list_(pa.float64())),
            "embedding": pa.array(h.astype(np.float32).tolist(), pa.list_(pa.float32())),
        }
    )
    write_table(table, ctx.predictions_path(role.name, seed))
    metrics = {s: evaluate(ctx.info.task, data.y[idx], pred[idx]) for s, idx in data.index.items()}
    hparams = {
        "model": spec["model"],
        "role": role.name,
        "seed": seed,
        "task": ctx.info.task,
        "targets": list(ctx.info.targets),
        "metric": ctx.info.metric,
        "dataset": ctx.info.name,
        "y_mean": None if data.y_mean is None else data.y_mean.tolist(),
        "y_std": None if data.y_std is None else data.y_std.tolist(),
        "teachers": typed.distill.weights,
        "best_epoch": result.summary.get("best_epoch"),
    }
    role.save(folder, model, spec, hparams, ctx)
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
    run = ModelRun(role.name, seed, metrics, result.summary, count_parameters(model))
    if store is not None:
        store.put(key, ctx.predictions_path(role.name, seed), folder, dataclasses.asdict(run))
    ctx.publish()  # the next role's workers read these predictions
    return run
