"""Integration tests run the real entry scripts in subprocesses, each on its own local Ray."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "jobs" / "configs" / "smoke.yaml"


def run_job(script: str, *args: str, env: dict[str, str] | None = None, timeout: int = 600):
    """Run jobs/<script> with the venv's Python; returns the CompletedProcess."""
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    try:
        return subprocess.run(
            [sys.executable, str(ROOT / "jobs" / script), *args],
            cwd=ROOT,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:  # show where it stalled, not just that it did
        out = (
            (exc.stdout or b"").decode(errors="replace")
            if isinstance(exc.stdout, bytes)
            else (exc.stdout or "")
        )
        err = (
            (exc.stderr or b"").decode(errors="replace")
            if isinstance(exc.stderr, bytes)
            else (exc.stderr or "")
        )
        pytest.fail(f"{script} timed out after {timeout}s:\n{out[-4000:]}\n{err[-6000:]}")


def run_ok(script: str, *args: str, **kw) -> subprocess.CompletedProcess:
    proc = run_job(script, *args, **kw)
    assert proc.returncode == 0, f"{script} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return proc


def load_json(path: Path):
    return json.loads(path.read_text())


TINY_SMILES = [
    "CCO",
    "c1ccccc1O",
    "CC(=O)O",
    "CCN",
    "C1CC",
    "c1ccncc1",
    "CCCl",
    "OCC(O)CO",
    "CC(C)O",
    "c1ccccc1C(=O)O",
    "CCOC(=O)C",
    "CNC",
]  # row 4 does not parse
EAGER = "explain.engine_kwargs={enforce_eager: true, max_model_len: 2048}"


@pytest.fixture(scope="session")
def tiny_llm(tmp_path_factory) -> Path:
    from .tiny_llm import build_tiny_llm

    return build_tiny_llm(tmp_path_factory.mktemp("tiny_llm") / "model")


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory) -> Path:
    import pandas as pd

    path = tmp_path_factory.mktemp("data") / "tiny.csv"
    pd.DataFrame({"smiles": TINY_SMILES, "y": [i % 2 for i in range(len(TINY_SMILES))]}).to_csv(
        path, index=False
    )
    return path


def explain_args(dataset: Path, out: Path, cache: Path, *extra: str) -> list[str]:
    return [
        "--dataset",
        str(dataset),
        "--targets",
        "y",
        "--out",
        str(out),
        "--set",
        f"explain.cache_dir={cache}",
        "--set",
        "explain.max_tokens=8",
        "--set",
        "explain.batch_size=2",
        *extra,
    ]


@pytest.fixture(scope="session")
def smoke_args(tiny_encoder, tmp_path_factory) -> list[str]:
    """The smoke config with the tiny encoder and RDKit's descriptions as the explanations:
    the whole method in minutes. vLLM's own path (engines in Ray Data, a served endpoint) is
    tests/integration/test_explain.py's; the stage code after the backend is the same."""
    cache = tmp_path_factory.mktemp("explain_cache")
    return [
        "--config",
        str(SMOKE),
        "--set",
        "explain.backend=rdkit",
        "--set",
        f"explain.cache_dir={cache}",
        "--set",
        f"lm.encoder={tiny_encoder}",
    ]


@pytest.fixture(scope="session")
def bbbp_smoke(smoke_args, tmp_path_factory) -> Path:
    """The whole pipeline on a BBBP subset (seed 0); the GNN trains with 2 DDP workers."""
    out = tmp_path_factory.mktemp("bbbp") / "run"
    proc = run_ok("run_all.py", *smoke_args, "--set", "gnn.train.num_workers=2", "--out", str(out))
    (out.parent / "terminal.txt").write_text(proc.stdout + proc.stderr)  # what the user saw
    return out
