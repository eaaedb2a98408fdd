"""The installed `gallon` command, run as a user would: from a folder outside the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .conftest import load_json

GALLON = Path(sys.executable).parent / "gallon"


def test_gallon_run_works_from_any_directory(tmp_path):
    elsewhere = tmp_path / "somewhere"
    elsewhere.mkdir()
    proc = subprocess.run(
        [str(GALLON), "run", "--dataset", "esol", "--seeds", "0",
         "--set", "data.subset=80", "--set", "run.roles=[mlp]",
         "--set", "student.train.epochs=2", "--set", "student.hidden=16",
         "--set", "run.reuse=false", "--out", "out"],
        cwd=elsewhere, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    m = load_json(elsewhere / "out" / "metrics.json")
    assert m["dataset"] == "esol" and set(m["models"]) == {"mlp"} and m["n_molecules"] == 80
    config = (elsewhere / "out" / "config.yaml").read_text()
    assert "transfer: 10000" in config  # the packaged defaults, not a file of the checkout
