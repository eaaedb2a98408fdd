"""The typed configuration: frozen dataclasses, one per section of `jobs/configs/*.yaml`.

Defaults here equal `jobs/configs/default.yaml` (a unit test keeps them equal). Range checks live
in `__post_init__` and raise `ConfigError` with one sentence; type checks are done by the loader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from gallon.errors import ConfigError

Task = Literal["classification", "regression"]


def _check(ok: bool, key: str, requirement: str) -> None:
    """Raise ConfigError for `key` (relative to its section); the loader adds the section path."""
    if not ok:
        err = ConfigError(f"config key '{key}' {requirement}.")
        err.key, err.requirement = key, requirement
        raise err


@dataclass(frozen=True)
class DataConfig:
    """Which molecules and targets: a bundled dataset name or a CSV/Parquet path."""

    dataset: str = "bbbp"
    smiles_column: str | None = None
    targets: tuple[str, ...] | None = None
    task: Task | None = None
    subset: int | None = None  # keep a seeded sample of this many rows (for quick tries)
    subset_seed: int = 0

    def __post_init__(self) -> None:
        _check(self.subset is None or self.subset > 0, "subset", "must be a positive integer")
        _check(self.targets is None or len(self.targets) > 0, "targets", "must not be empty")


@dataclass(frozen=True)
class SplitConfig:
    method: Literal["scaffold", "random_scaffold", "random"] = "scaffold"
    sizes: tuple[float, float, float] = (0.8, 0.1, 0.1)
    seed: int = 0

    def __post_init__(self) -> None:
        _check(all(s > 0 for s in self.sizes), "sizes", "must all be positive")
        _check(abs(sum(self.sizes) - 1.0) < 1e-6, "sizes", "must add up to 1")


@dataclass(frozen=True)
class FeaturesConfig:
    atoms: str = "rich"  # atom featurizer from gallon.features.atoms.ATOM_FEATURIZERS
    batch_size: int = 256  # molecules per Ray Data batch
    concurrency: int = 2  # featurizer actors

    def __post_init__(self) -> None:
        _check(self.batch_size > 0, "batch_size", "must be positive")
        _check(self.concurrency > 0, "concurrency", "must be positive")


@dataclass(frozen=True)
class TrainConfig:
    """How one model is trained on Ray Train (shared by the GNN, the MLP and the student)."""

    epochs: int = 150
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.0
    patience: int = 30  # epochs without a better validation metric before stopping
    num_workers: int = 1  # Ray Train workers (DDP when > 1)
    cpus_per_worker: int = 1
    use_gpu: bool = False
    checkpoint_every: int = 5  # epochs between checkpoints (a crash resumes from the last one)
    max_failures: int = 2  # worker crashes tolerated per model

    def __post_init__(self) -> None:
        _check(self.epochs > 0, "epochs", "must be positive")
        _check(self.batch_size > 0, "batch_size", "must be positive")
        _check(self.lr > 0, "lr", "must be positive")
        _check(self.weight_decay >= 0, "weight_decay", "must not be negative")
        _check(self.patience > 0, "patience", "must be positive")
        _check(self.num_workers > 0, "num_workers", "must be positive")
        _check(self.cpus_per_worker > 0, "cpus_per_worker", "must be positive")
        _check(self.checkpoint_every > 0, "checkpoint_every", "must be positive")
        _check(self.max_failures >= 0, "max_failures", "must not be negative")


@dataclass(frozen=True)
class NetConfig:
    """A model from the registry in gallon.models and how to train it."""

    model: str = "gine"
    hidden: int = 128
    layers: int = 3
    dropout: float = 0.1
    pool: Literal["mean", "sum", "mean_sum"] = "mean"
    train: TrainConfig = field(default_factory=TrainConfig)

    def __post_init__(self) -> None:
        _check(self.hidden > 0, "hidden", "must be positive")
        _check(self.layers > 0, "layers", "must be positive")
        _check(0 <= self.dropout < 1, "dropout", "must be in [0, 1)")


def _student_net() -> NetConfig:
    return NetConfig(model="atom_mlp", hidden=256, layers=3, dropout=0.1, pool="mean_sum")


@dataclass(frozen=True)
class DistillConfig:
    """Teacher → student terms: loss = sup + alpha·L(GNN) + beta·L(LM).

    kind 'auto' is the paper's choice: label distillation (KL to soft labels) for classification,
    representation distillation (MSE to pooled embeddings) for regression.
    """

    alpha: float = 0.1
    beta: float = 0.1
    kind: Literal["auto", "label", "representation", "both"] = "auto"
    temperature: float = 1.0
    projection: Literal["student", "teacher"] = "student"  # which side the learned map W is on

    def __post_init__(self) -> None:
        _check(self.alpha >= 0, "alpha", "must not be negative")
        _check(self.beta >= 0, "beta", "must not be negative")
        _check(self.temperature > 0, "temperature", "must be positive")


@dataclass(frozen=True)
class RunConfig:
    seeds: tuple[int, ...] = (0, 1, 2)
    out: str | None = None  # run folder; default runs/<dataset>-<timestamp>
    num_cpus: int | None = None  # for a local Ray; ignored when joining a cluster

    def __post_init__(self) -> None:
        _check(len(self.seeds) > 0, "seeds", "must not be empty")
        _check(len(set(self.seeds)) == len(self.seeds), "seeds", "must not repeat")


@dataclass(frozen=True)
class Config:
    data: DataConfig = field(default_factory=DataConfig)
    split: SplitConfig = field(default_factory=SplitConfig)
    features: FeaturesConfig = field(default_factory=FeaturesConfig)
    gnn: NetConfig = field(default_factory=NetConfig)
    student: NetConfig = field(default_factory=_student_net)
    distill: DistillConfig = field(default_factory=DistillConfig)
    run: RunConfig = field(default_factory=RunConfig)
