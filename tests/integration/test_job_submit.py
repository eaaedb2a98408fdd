"""`ray job submit --working-dir .` against a head started here on 127.0.0.1, as on a cluster."""

from __future__ import annotations

import contextlib
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


def _stop_head(temp: str) -> None:
    """Stop only the Ray processes of the head started here (`ray stop` would also kill any other
    Ray on the machine): they all carry its temp dir on their command line."""
    import psutil

    ours = []
    for proc in psutil.process_iter(["cmdline"]):
        if any(temp in arg for arg in proc.info["cmdline"] or []):
            ours += [proc, *proc.children(recursive=True)]
    for proc in ours:
        with contextlib.suppress(psutil.Error):
            proc.terminate()
    _, alive = psutil.wait_procs(ours, timeout=20)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()


@pytest.fixture
def head():
    """A Ray head on 127.0.0.1 with 2 CPUs and a dashboard (the job server); stopped after."""
    temp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # Ray's socket paths must stay < 108 bytes
    ports = {
        name: _free_port()
        for name in (
            "port",
            "dashboard-port",
            "dashboard-agent-listen-port",
            "dashboard-agent-grpc-port",
            "metrics-export-port",
            "runtime-env-agent-port",
            "node-manager-port",
            "object-manager-port",
            "ray-client-server-port",
        )
    }  # free ports only: another Ray on this machine keeps its defaults
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",  # jobs run this venv
        "RAY_TRAIN_HEALTH_CHECK_INTERVAL_S": "0.25",
        "RAY_TRAIN_ENABLE_PREEMPTION_WATCHER": "0",
        # Ray 2.60 heads require a token; the CLI calls below present the same one.
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN": secrets.token_hex(32),
    }
    try:
        subprocess.run(
            [RAY, "start", "--head", "--node-ip-address=127.0.0.1", "--num-cpus=2",
             "--include-dashboard=true", "--dashboard-host=127.0.0.1", f"--temp-dir={temp}",
             "--disable-usage-stats", *(f"--{k}={v}" for k, v in ports.items())],
            check=True, env=env, capture_output=True, timeout=180,
        )  # fmt: skip
        yield f"http://127.0.0.1:{ports['dashboard-port']}", env
    finally:
        _stop_head(temp)
        shutil.rmtree(temp, ignore_errors=True)


def test_ray_job_submit_runs_the_smoke_pipeline(head, tmp_path):
    """Submitted as on a cluster, with shared storage given as a pyarrow.fs URI (file://)."""
    address, env = head
    out, shared = tmp_path / "run", tmp_path / "shared"
    cmd = [
        RAY, "job", "submit", f"--address={address}", f"--working-dir={ROOT}", "--no-wait",
        "--", "python", "jobs/run_all.py", "--config", str(SMOKE.relative_to(ROOT)),
        "--set", "run.roles=[gnn,mlp,student]", "--set", "run.seeds=[0]", "--out", str(out),
        "--set", f"run.storage=file://{shared}",
        "--set", "run.reuse=false",  # train here even if another test stored these models
    ]  # fmt: skip
    for _ in range(30):  # the head's job agent may still be starting (busy 2-CPU machine)
        submitted = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
        if submitted.returncode == 0 or "try again later" not in submitted.stderr:
            break
        time.sleep(3)
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
    published = shared / "run"  # workers read their inputs from here; the run folder is copied
    assert load_json(published / "metrics.json") == metrics
    assert (published / "features").is_dir() and (published / "report.md").exists()
    assert (published / "predictions" / "gnn" / "seed_0.parquet").exists()
    assert any((published / "checkpoints" / "gnn_seed0").glob("checkpoint_*"))  # Ray Train's
    assert not (out / "checkpoints").exists()
