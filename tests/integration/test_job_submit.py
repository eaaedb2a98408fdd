"""`ray job submit --working-dir .` against a two-node cluster started here on 127.0.0.1: a
worker node lost mid-run, and the same metrics as on a local Ray."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from gallon.storage import Storage
from gallon.testing import faults

from .conftest import ROOT, SMOKE, load_json

RAY = str(Path(sys.executable).parent / "ray")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop_head(temp: str, kill: bool = False) -> None:
    """Stop only the Ray processes of the node started here with this temp dir (`ray stop` would
    also stop any other Ray on the machine): they all carry it on their command line. `kill`:
    SIGKILL at once, as a node lost to a crash or a preemption."""
    import psutil

    ours = []
    for proc in psutil.process_iter(["cmdline"]):
        if any(temp in arg for arg in proc.info["cmdline"] or []):
            ours += [proc, *proc.children(recursive=True)]
    for proc in ours:
        with contextlib.suppress(psutil.Error):
            proc.kill() if kill else proc.terminate()
    _, alive = psutil.wait_procs(ours, timeout=5)  # then SIGKILL: a test cluster keeps nothing
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()


NODE_PORTS = (
    "node-manager-port",
    "object-manager-port",
    "metrics-export-port",
    "dashboard-agent-listen-port",
    "dashboard-agent-grpc-port",
    "runtime-env-agent-port",
)


class Cluster:
    """A Ray head on 127.0.0.1 with no CPUs of its own, plus worker nodes that do all the work:
    the job's tasks and Ray Train workers run on another node than its driver, as on a cluster.
    Each node has its own temp dir, so its processes can be found (and killed) by it."""

    def __init__(self) -> None:
        self.temps: list[str] = []
        self.env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",  # jobs run this venv
            "RAY_TRAIN_HEALTH_CHECK_INTERVAL_S": "0.25",
            "RAY_TRAIN_ENABLE_PREEMPTION_WATCHER": "0",
            # the head notices the killed node after 3 failed checks 0.5 s apart instead of 5
            # checks 3 s apart; a check of a live but busy node still waits its 10 s timeout
            "RAY_health_check_period_ms": "500",
            "RAY_health_check_failure_threshold": "3",
            # Ray 2.60 heads require a token; the CLI calls below present the same one.
            "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN": secrets.token_hex(32),
        }
        self.gcs = ""
        self.address = ""

    def _start(self, *args: str) -> str:
        temp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # socket paths must stay < 108 bytes
        self.temps.append(temp)
        ports = [f"--{k}={_free_port()}" for k in NODE_PORTS]  # another Ray keeps its defaults
        subprocess.run(
            [RAY, "start", "--node-ip-address=127.0.0.1", f"--temp-dir={temp}",
             "--disable-usage-stats", *ports, *args],
            check=True, env=self.env, capture_output=True, timeout=180,
        )  # fmt: skip
        return temp

    def start_head(self) -> None:
        port, dashboard, client = _free_port(), _free_port(), _free_port()
        self._start("--head", f"--port={port}", "--num-cpus=0", "--include-dashboard=true",
                    "--dashboard-host=127.0.0.1", f"--dashboard-port={dashboard}",
                    f"--ray-client-server-port={client}")  # fmt: skip
        self.gcs, self.address = f"127.0.0.1:{port}", f"http://127.0.0.1:{dashboard}"

    def start_worker(self) -> str:
        return self._start(f"--address={self.gcs}", "--num-cpus=2")

    def kill_node(self, temp: str) -> None:
        _stop_head(temp, kill=True)

    def stop(self) -> None:
        for temp in reversed(self.temps):
            _stop_head(temp)
            shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster():
    nodes = Cluster()
    try:
        nodes.start_head()
        nodes.start_worker()
        yield nodes
    finally:
        nodes.stop()


def _submit(cluster: Cluster, smoke_args: list[str], out: Path, shared: Path, env: dict) -> str:
    """run_all as the smoke run of test_run_all.py's `bbbp_smoke` (same config, seed 0, the GNN
    on 2 DDP workers), minus the MLP, submitted from the uploaded working dir."""
    args = list(smoke_args)
    args[args.index(str(SMOKE))] = str(SMOKE.relative_to(ROOT))  # read from the working dir
    cmd = [
        RAY, "job", "submit", f"--address={cluster.address}", f"--working-dir={ROOT}",
        "--no-wait", "--runtime-env-json", json.dumps({"env_vars": env}),
        "--", "python", "jobs/run_all.py", *args, "--set", "gnn.train.num_workers=2",
        "--set", "run.roles=[lm,gnn,student]", "--set", "run.seeds=[0]", "--out", str(out),
        "--set", f"run.storage=file://{shared}",
        "--set", "run.reuse=false",  # train here even if another test stored these models
    ]  # fmt: skip
    for _ in range(30):  # the head's job agent may still be starting (busy 2-CPU machine)
        submitted = subprocess.run(
            cmd, env=cluster.env, capture_output=True, text=True, timeout=180
        )
        if submitted.returncode == 0 or "try again later" not in submitted.stderr:
            break
        time.sleep(3)
    assert submitted.returncode == 0, submitted.stderr[-3000:]
    return next(
        w.strip("'") for w in submitted.stdout.split() if w.strip("'").startswith("raysubmit_")
    )


def _wait(cluster: Cluster, job_id: str, timeout: float = 600) -> tuple[str, str]:
    status, deadline = "", time.time() + timeout
    while time.time() < deadline:
        status = subprocess.run(
            [RAY, "job", "status", f"--address={cluster.address}", job_id],
            env=cluster.env, capture_output=True, text=True, timeout=60,
        ).stdout.lower()  # fmt: skip
        if any(s in status for s in ("succeeded", "failed", "stopped")):
            break
        time.sleep(3)
    logs = subprocess.run(
        [RAY, "job", "logs", f"--address={cluster.address}", job_id],
        env=cluster.env, capture_output=True, text=True, timeout=60,
    ).stdout  # fmt: skip
    return status, logs


@pytest.fixture(scope="module")
def disturbed(bbbp_smoke, cluster, smoke_args, tmp_path_factory):
    """The job, with its worker node killed while the GNN trains (paused after its epoch-2
    checkpoint, so the kill cannot miss it); a fresh node joins and the job resumes from shared
    storage. (`bbbp_smoke`, the undisturbed reference, is made first, on its own local Ray,
    before this cluster exists.)"""
    root = tmp_path_factory.mktemp("submit")
    out, shared = root / "run", root / "shared"
    job_id = _submit(cluster, smoke_args, out, shared, {faults.PAUSE_ENV: "gnn_seed0:2:120"})
    # The pause's marker is written only after Ray Train accepted the epoch-2 report, so the
    # checkpoint is registered; a checkpoint folder alone can appear before that (CI lost the
    # race once: the kill came first and the restarted run began from scratch).
    storage = Storage(f"file://{shared}").uri("run", "checkpoints")  # as the job's RunContext
    marker = faults.marker_folder(storage) / "gnn_seed0" / "pause_injected"
    deadline = time.time() + 420
    while time.time() < deadline and not marker.exists():
        time.sleep(0.5)
    assert marker.exists(), "the GNN never reached its epoch-2 pause"
    time.sleep(3)  # Ray Train's controller polls workers every 0.25 s here: let it record it
    assert any((shared / "run" / "checkpoints" / "gnn_seed0").glob("checkpoint_*"))
    victim = next(t for t in cluster.temps[1:] if Path(t).exists())
    cluster.kill_node(victim)
    shutil.rmtree(victim, ignore_errors=True)
    cluster.temps.remove(victim)
    cluster.start_worker()
    status, logs = _wait(cluster, job_id)
    assert "succeeded" in status and "failed" not in status, f"{status}\n{logs[-4000:]}"
    return out, shared, logs


def test_ray_job_submit_runs_the_smoke_pipeline_on_another_node(disturbed):
    """Submitted as on a cluster (the head has no CPUs: every task and training worker runs on
    a worker node), with shared storage given as a pyarrow.fs URI (file://)."""
    out, shared, logs = disturbed
    metrics = load_json(out / "metrics.json")
    assert set(metrics["models"]) == {"lm", "gnn", "student"} and metrics["seeds"] == [0]
    assert (out / "report.md").exists() and (out / "student" / "seed_0").is_dir()
    assert "gnn" in logs  # the job's own output reached the job server
    published = shared / "run"  # workers read their inputs from here; the run folder is copied
    assert load_json(published / "metrics.json") == metrics
    assert (published / "features").is_dir() and (published / "report.md").exists()
    assert (published / "predictions" / "gnn" / "seed_0.parquet").exists()
    assert any((published / "checkpoints" / "gnn_seed0").glob("checkpoint_*"))  # Ray Train's
    assert not (out / "checkpoints").exists()


def test_losing_the_worker_node_mid_run_changes_no_metric(disturbed, bbbp_smoke):
    """The resumed job ends with the predictions (to the bit) and metrics of the same models
    trained undisturbed on a local Ray (seed 0 of the smoke run): the GNN that resumed and the
    student distilled from it."""
    out, _, _ = disturbed
    assert load_json(out / "gnn" / "seed_0" / "history.json")["resumed_from"]  # it did resume
    expected = load_json(bbbp_smoke / "metrics.json")["models"]
    got = load_json(out / "metrics.json")["models"]
    for role in ("lm", "gnn", "student"):
        for split in ("val", "test"):
            assert got[role][split]["per_seed"][0] == pytest.approx(
                expected[role][split]["per_seed"][0], abs=1e-9
            ), role
        # to the bit: outputs that differ in the last bit (the drivers' thread counts once made
        # them) send a student distilled from them elsewhere only now and then
        got_out, want_out = (
            pq.read_table(run / "predictions" / role / "seed_0.parquet")
            for run in (out, bbbp_smoke)
        )
        assert got_out.equals(want_out), role
