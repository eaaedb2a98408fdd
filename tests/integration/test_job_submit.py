"""`ray job submit --working-dir .` against a head started here on 127.0.0.1, as on a cluster."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from .conftest import ROOT, SMOKE, load_json

RAY = str(Path(sys.executable).parent / "ray")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def head():
    """A Ray head on 127.0.0.1 with 2 CPUs and a dashboard (the job server); stopped after."""
    port, dash = _free_port(), _free_port()
    temp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # Ray's socket paths must stay < 108 bytes
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",  # jobs run this venv
        "RAY_TRAIN_HEALTH_CHECK_INTERVAL_S": "0.25",
        "RAY_TRAIN_ENABLE_PREEMPTION_WATCHER": "0",
        # Ray 2.60 heads require a token; the CLI calls below present the same one.
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN": secrets.token_hex(32),
    }
    subprocess.run(
        [RAY, "start", "--head", "--node-ip-address=127.0.0.1", f"--port={port}",
         "--num-cpus=2", "--include-dashboard=true", "--dashboard-host=127.0.0.1",
         f"--dashboard-port={dash}", f"--temp-dir={temp}", "--disable-usage-stats"],
        check=True, env=env, capture_output=True, timeout=180,
    )  # fmt: skip
    try:
        yield f"http://127.0.0.1:{dash}", env
    finally:
        subprocess.run([RAY, "stop", "--force"], env=env, capture_output=True, timeout=120)
        shutil.rmtree(temp, ignore_errors=True)


def test_ray_job_submit_runs_the_smoke_pipeline(head, tmp_path):
    address, env = head
    out = tmp_path / "run"
    cmd = [
        RAY, "job", "submit", f"--address={address}", f"--working-dir={ROOT}", "--no-wait",
        "--", "python", "jobs/run_all.py", "--config", str(SMOKE.relative_to(ROOT)),
        "--set", "run.roles=[gnn,mlp,student]", "--set", "run.seeds=[0]", "--out", str(out),
    ]  # fmt: skip
    submitted = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
    assert submitted.returncode == 0, submitted.stderr[-3000:]
    job_id = next(
        w.strip("'") for w in submitted.stdout.split() if w.strip("'").startswith("raysubmit_")
    )
    status, deadline = "", time.time() + 420
    while time.time() < deadline:
        status = subprocess.run(
            [RAY, "job", "status", f"--address={address}", job_id],
            env=env, capture_output=True, text=True, timeout=60,
        ).stdout.lower()  # fmt: skip
        if any(s in status for s in ("succeeded", "failed", "stopped")):
            break
        time.sleep(3)
    logs = subprocess.run(
        [RAY, "job", "logs", f"--address={address}", job_id],
        env=env, capture_output=True, text=True, timeout=60,
    ).stdout  # fmt: skip
    assert "succeeded" in status and "failed" not in status, f"{status}\n{logs[-4000:]}"
    metrics = load_json(out / "metrics.json")
    assert set(metrics["models"]) == {"gnn", "mlp", "student"} and metrics["seeds"] == [0]
    assert (out / "report.md").exists() and (out / "student" / "seed_0").is_dir()
    assert "gnn" in logs  # the job's own output reached the job server
