"""Shared fixtures: tiny inline molecule sets written as CSV files."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
import pytest

# The test machines have no model hub; fail fast instead of waiting on network timeouts.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# Tests never see (or fill) the user's cache of explanations and trained models.
os.environ["GALLON_CACHE"] = tempfile.mkdtemp(prefix="gallon-test-cache-")

# 24 small drug-like molecules from a few scaffold families, with a made-up binary label and a
# made-up regression target; enough for splits, training and metrics on tiny data.
SMILES = [
    "c1ccccc1O",
    "c1ccccc1N",
    "c1ccccc1C(=O)O",
    "c1ccccc1CC",
    "c1ccccc1Cl",
    "c1ccccc1OC",
    "c1ccncc1",
    "c1ccncc1C",
    "c1ccncc1O",
    "c1ccncc1N",
    "C1CCCCC1",
    "C1CCCCC1O",
    "C1CCCCC1N",
    "C1CCCCC1C(=O)O",
    "C1CCOC1",
    "C1CCOC1C",
    "CCO",
    "CCCO",
    "CCN",
    "CC(=O)O",
    "CCCC",
    "CCOCC",
    "c1ccc2ccccc2c1",
    "c1ccc2ccccc2c1O",
]
LABELS = [1, 1, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 1, 0]
VALUES = [round(0.3 * i - 2.0 + (i % 3) * 0.5, 3) for i in range(len(SMILES))]
# A learnable target: heavy atoms per molecule (3 to 11), counted from the SMILES (C, N, O and
# Cl, whose C counts it once).
HEAVY = [sum(s.upper().count(a) for a in "CNO") for s in SMILES]


@pytest.fixture
def tiny_csv(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.csv"
    columns = {"smi": SMILES, "active": LABELS, "logs": VALUES, "heavy": HEAVY}
    pd.DataFrame(columns).to_csv(path, index=False)
    return path


@pytest.fixture
def write_csv(tmp_path: Path):
    """write_csv(name, **columns) -> path of a CSV in the test's temp folder."""

    def write(name: str, **columns) -> Path:
        path = tmp_path / name
        pd.DataFrame(columns).to_csv(path, index=False)
        return path

    return write


@pytest.fixture
def tiny_run(tmp_path: Path, tiny_csv: Path):
    """A prepared and featurised run folder (in-process, no Ray) → a RunContext factory."""
    from gallon.config import load_config
    from gallon.data.prepare import prepare, write_prepared
    from gallon.features.graphs import GraphFeaturizer, featurize_smiles
    from gallon.features.stage import FeatureSet
    from gallon.io import write_json, write_table
    from gallon.train.stage import RunContext

    def make(target: str = "active", overrides: tuple[str, ...] = ()):
        out = tmp_path / f"run_{target}"
        tiny = (
            "gnn.hidden=16",
            "student.hidden=16",
            "gnn.train.epochs=6",
            "student.train.epochs=6",
            "gnn.train.batch_size=8",
            "student.train.batch_size=8",
            "run.seeds=0",
            "gnn.train.checkpoint_every=2",
            "student.train.checkpoint_every=2",
            "run.roles=[gnn,mlp,student]",
        )
        cfg = load_config(
            [],
            [*tiny, *overrides],
            {
                "data": {"dataset": str(tiny_csv), "smiles_column": "smi", "targets": [target]},
                "split": {"method": "random", "sizes": [0.6, 0.2, 0.2]},
            },
        )
        prepared = prepare(cfg.data, cfg.split)
        write_prepared(prepared, cfg.split, out)
        featurizer = GraphFeaturizer(cfg.features.atoms)
        mols = prepared.molecules
        table, _ = featurize_smiles(
            mols.column("row").to_pylist(), mols.column("smiles").to_pylist(), featurizer
        )
        write_table(table, out / "features" / "part-0.parquet")
        write_json(featurizer.spec(), out / "features.json")
        features = FeatureSet(out / "features", featurizer.spec(), None)
        return RunContext(cfg, out, prepared.info, features, prepared.splits)

    return make


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory) -> Path:
    """A tiny random BERT + tokenizer in a temp folder (see tests/tiny_encoder.py)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "tiny_encoder", Path(__file__).parent / "tiny_encoder.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build_tiny_encoder(tmp_path_factory.mktemp("encoder") / "bert")


# `make test` runs the suite on two pytest-xdist workers (`-n 2`): most tests wait on Ray and
# subprocesses about a quarter of the time. Each test file goes to one worker as a whole (its
# module fixtures are made once), and the files that share the smoke run (`bbbp_smoke`) go
# together, first (the longest share), so it is made once. (xdist's own `loadgroup` cannot do
# this under pytest 9.)
SHARED_SCOPES = {"test_run_all.py": "smoke run", "test_job_submit.py": "smoke run"}


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: Path(item.nodeid.split("::", 1)[0]).name not in SHARED_SCOPES)


def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class ByFile(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return SHARED_SCOPES.get(Path(path).name, path)

    return ByFile(config, log)
