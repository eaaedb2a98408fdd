"""Configuration of distillation: the teachers' terms in the student's loss and the transfer set."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gallon.config.checks import check

DistillKind = Literal["auto", "label", "representation", "both"]
Projection = Literal["student", "teacher", "paper"]

DEFAULT_ALPHA: dict[str, float] = {"classification": 1.0, "regression": 3.0}
"""`distill.alpha` when unset, by task type."""


@dataclass(frozen=True)
class DistillConfig:
    """Teacher → student terms: loss = sup(y) + alpha·L(GNN) + beta·L(LM)."""

    alpha: float | None = None
    """Weight of the GNN teacher's term (0 switches it off); unset: the task type's default,
    `DEFAULT_ALPHA` (1 for classification, 3 for regression: on the regression sets' validation
    molecules a three times stronger teacher term brought the student closer to its teacher,
    docs/benchmarks.md). A run writes the weight it used into its config.yaml."""
    beta: float = 0.1
    """Weight of the LM teacher's term (0 switches it off)."""
    kind: DistillKind = "label"
    """label: KL to the teacher's soft labels (classification) or MSE to its outputs
    (regression), the default, and the only kind the transfer set can use (teachers score it
    with outputs, not embeddings); representation: MSE to the teacher's pooled embedding; auto
    is the paper's choice (label for classification, representation for regression); both adds
    the two terms."""
    temperature: float = 1.0
    """Softening temperature of label distillation (the KL is scaled by its square)."""
    projection: Projection = "student"
    """Where the learned linear map W of representation distillation sits: student maps the
    student's embedding into each teacher's space (FitNets); teacher maps each teacher's into the
    student's; paper is GALLON's regression loss as written, MSE(h_MLP, h_GNN) with no map (the
    student and GNN embeddings must have equal sizes) plus MSE(h_MLP, W·h_LM)."""

    transfer: int = 10000
    """Transfer-set distillation: this many unlabelled molecules from the bundled datasets
    (never one of this dataset's molecules, nor one sharing a scaffold with its validation or
    test molecules), scored by the GNN teacher; the student matches the teacher there too.
    0 switches it off."""
    transfer_seed: int = 0
    """Seed of the transfer-set draw."""
    transfer_per_epoch: int = 0
    """Transfer molecules one epoch trains on: a fresh seeded draw from the transfer set each
    epoch, so a large transfer set adds variety at the per-epoch cost of this many (0: the whole
    transfer set every epoch)."""
    teacher_seeds: Literal["own", "mean"] = "mean"
    """Which teacher a student seed distils from: mean (the default) = the mean of every seed's
    teacher outputs (on the labelled and the transfer molecules), an ensemble teacher at no
    extra training, the students training after every teacher seed (Lipophilicity validation
    better beyond the seeds' spread, FreeSolv a tie: docs/benchmarks.md); own = the teacher of
    the same seed (GALLON's).
    Only outputs are averaged: a representation term keeps the same seed's teacher embedding
    (separately trained teachers' embeddings share no space)."""
    transfer_trust: Literal["all", "label_range"] = "label_range"
    """Which teacher-scored transfer molecules teach (regression): label_range (the default)
    keeps those whose every teacher output lies within the range of the training labels, where
    the teacher interpolates; beyond it the teacher extrapolates (FreeSolv's GNN scores some
    drug-like molecules at 140 standard deviations below its training labels), and one such
    target outweighs thousands of others in a squared error. all: every one. Classification
    teachers give probabilities, which need no such limit: all are kept."""
    transfer_pool: Literal["random", "similar", "brics"] = "random"
    """Which leak-free candidates make the transfer set: random (a seeded draw from the bundled
    datasets), similar (those nearest to the training molecules, by Morgan-fingerprint Tanimoto
    similarity; it tied random on FreeSolv's and ESOL's validation sets, docs/benchmarks.md) or
    brics (new molecules joined from the training molecules' BRICS fragments, the same leak
    filter applied; gallon.data.transfer.brics_analogues)."""

    def __post_init__(self) -> None:
        check(self.alpha is None or self.alpha >= 0, "alpha", "must not be negative")
        check(self.transfer >= 0, "transfer", "must not be negative")
        check(self.transfer_per_epoch >= 0, "transfer_per_epoch", "must not be negative")
        check(self.beta >= 0, "beta", "must not be negative")
        check(self.temperature > 0, "temperature", "must be positive")
