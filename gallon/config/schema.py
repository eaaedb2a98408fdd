"""The typed configuration: `Config`, one frozen dataclass per section of `jobs/configs/*.yaml`.

The sections live beside this module (inputs, training, distill, sweep); `RunConfig` and the
whole `Config` live here, and every section is importable from here. Defaults equal
`jobs/configs/default.yaml` (a unit test keeps them equal). Range checks live in `__post_init__`
and raise `ConfigError` with one sentence; type checks are done by the loader.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from gallon.config.checks import check
from gallon.config.distill import DEFAULT_ALPHA, DistillConfig, DistillKind, Projection
from gallon.config.inputs import DataConfig, ExplainConfig, FeaturesConfig, SplitConfig, Task
from gallon.config.sweep import SweepConfig
from gallon.config.training import LMConfig, NetConfig, TrainConfig, student_net, teacher_net

__all__ = [
    "Config",
    "DataConfig",
    "DistillConfig",
    "DistillKind",
    "ExplainConfig",
    "FeaturesConfig",
    "LMConfig",
    "NetConfig",
    "Projection",
    "RunConfig",
    "SplitConfig",
    "SweepConfig",
    "Task",
    "TrainConfig",
]


@dataclass(frozen=True)
class RunConfig:
    """Seeds, output folder and the local Ray."""

    seeds: tuple[int, ...] = (0, 1, 2)
    """Model seeds; every model is trained once per seed, metrics are mean ± std over seeds."""
    roles: tuple[str, ...] = ("lm", "gnn", "mlp", "student")
    """Models to train, in order: lm (explain stage + LM teacher), gnn, mlp (labels only),
    student (distilled from the teachers in this list whose weight is > 0), and for ablations
    student_gnn / student_lm (distilled from that teacher only)."""
    out: str | None = None
    """Run folder (default runs/<dataset>-<timestamp>)."""
    num_cpus: int | None = None
    """CPUs of a local Ray (default: all); ignored when joining a cluster via RAY_ADDRESS."""
    reuse: bool = True
    """Reuse a model trained earlier from byte-identical inputs, config and gallon source
    (training is deterministic, so the result is the same); false always trains."""
    cache_dir: str | None = None
    """Where reusable models are kept (default: $GALLON_CACHE or ~/.cache/gallon, trained/)."""
    storage: str | None = None
    """Shared storage every node sees: a folder or a pyarrow.fs URI (file://, s3://, gs://).
    When set, the run folder is published to <storage>/<run name>/ after each stage and workers
    read their inputs from there, Ray Train and Tune checkpoints go there, and the explanation
    cache defaults to <storage>/explanations. Default: none (everything on the local disk)."""

    def __post_init__(self) -> None:
        check(len(self.seeds) > 0, "seeds", "must not be empty")
        check(len(set(self.seeds)) == len(self.seeds), "seeds", "must not repeat")
        known = ("lm", "gnn", "mlp", "student", "student_gnn", "student_lm")
        check(set(self.roles) <= set(known), "roles", f"must be among {', '.join(known)}")
        check(len(self.roles) > 0, "roles", "must not be empty")


@dataclass(frozen=True)
class Config:
    """The whole configuration of a run."""

    data: DataConfig = field(default_factory=DataConfig)
    split: SplitConfig = field(default_factory=SplitConfig)
    features: FeaturesConfig = field(default_factory=FeaturesConfig)
    gnn: NetConfig = field(default_factory=teacher_net)
    """The graph teacher."""
    student: NetConfig = field(default_factory=student_net)
    """The per-atom MLP, shared by the plain MLP baseline and the distilled student."""
    lm: LMConfig = field(default_factory=LMConfig)
    """The LM teacher."""
    distill: DistillConfig = field(default_factory=DistillConfig)
    explain: ExplainConfig = field(default_factory=ExplainConfig)
    run: RunConfig = field(default_factory=RunConfig)
    sweep: SweepConfig = field(default_factory=SweepConfig)

    def for_task(self, task: Task) -> Config:
        """This config with the task type's defaults filled in where a key was left unset
        (`distill.alpha`); a run resolves them once its dataset's task is known."""
        if self.distill.alpha is not None:
            return self
        distill = replace(self.distill, alpha=DEFAULT_ALPHA[task])
        return replace(self, distill=distill)
