import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import roc_auc_score

from gallon.artifacts import load_model
from gallon.testing import faults

from .conftest import ROOT, SMOKE, load_json, run_ok

ROLES = ("lm", "gnn", "mlp", "student")

pytestmark = pytest.mark.integration

RUN_FILES = [
    "run.log",
    "config.yaml",
    "splits.json",
    "errors.parquet",
    "molecules.parquet",
    "metrics.json",
    "report.md",
    "features.json",
    "figures/learning_curves.png",
    "figures/test_predictions.png",
    "figures/comparison.png",
]


def test_bbbp_run_folder(bbbp_smoke):
    for name in RUN_FILES:
        assert (bbbp_smoke / name).is_file(), name
    m = load_json(bbbp_smoke / "metrics.json")
    assert {
        "dataset",
        "task",
        "metric",
        "split",
        "n_molecules",
        "n_rejected",
        "seeds",
        "models",
    } <= set(m)
    assert (m["dataset"], m["task"], m["metric"], m["split"]) == (
        "bbbp",
        "classification",
        "roc_auc",
        "scaffold",
    )
    assert m["seeds"] == [0] and m["n_molecules"] == 300
    assert m["n_rejected"] == 11  # the BBBP SMILES RDKit cannot sanitise, each with a reason
    errors = pq.read_table(bbbp_smoke / "errors.parquet").to_pydict()
    assert len(errors["row"]) == 11 and all(
        r.startswith("invalid molecule") for r in errors["reason"]
    )
    mols = pq.read_table(bbbp_smoke / "molecules.parquet").to_pydict()
    label = dict(zip(mols["row"], (y[0] for y in mols["y"])))
    for role in ROLES:
        entry = m["models"][role]
        for split in ("val", "test"):
            assert set(entry[split]) == {"mean", "std", "per_seed"}
            for seed, reported in zip(m["seeds"], entry[split]["per_seed"]):
                # the reported metric is the one the written predictions give
                path = bbbp_smoke / "predictions" / role / f"seed_{seed}.parquet"
                p = pq.read_table(path, columns=["row", "split", "prediction"]).to_pydict()
                at = [i for i, name in enumerate(p["split"]) if name == split]
                y = [label[p["row"][i]] for i in at]
                score = roc_auc_score(y, [p["prediction"][i][0] for i in at])
                assert score == pytest.approx(reported)
    report = (bbbp_smoke / "report.md").read_text()
    assert "| student |" in report and "11 rows were rejected" in report
    assert "## Explanations" in report
    hp = load_json(bbbp_smoke / "student" / "seed_0" / "hparams.json")
    assert hp["teachers"] == {"gnn": 1.0, "lm": 0.1}  # both teachers distilled (default α, β)
    stats = load_json(bbbp_smoke / "explain_stats.json")
    assert stats["molecules"] == 300 and stats["failed"] == 0
    splits = load_json(bbbp_smoke / "splits.json")
    assert sum(len(splits[s]) for s in ("train", "val", "test")) == 300


def test_the_terminal_shows_progress_and_run_log_keeps_the_details(bbbp_smoke):
    """Without -v (and not on a terminal): one line per finished step, no per-epoch lines and
    none of Ray's or Ray Data's own lines; run.log has every stage's lines, ray.log the
    workers' (relayed by Ray) and Ray's own. (vLLM's lines: test_explain.py.)"""
    shown = (bbbp_smoke.parent / "terminal.txt").read_text()
    done = [line for line in shown.splitlines() if line.startswith("gallon: ")]
    steps = ["features", "explanations", "transfer set"] + [
        f"{role} seed 0" for role in ("lm", "gnn", "mlp", "student")
    ]
    assert [line.split(" done in ")[0].removeprefix("gallon: ") for line in done] == steps
    assert done[-1].startswith("gallon: student seed 0 done") and "[7/7]" in done[-1]
    assert "epoch 1/" not in shown and "Execution plan" not in shown
    assert "pid=" not in shown and "core_worker" not in shown
    log = (bbbp_smoke / "run.log").read_text()
    assert "gnn seed 0: val roc_auc" in log and "transfer set:" in log
    assert "ray.log" in log  # says where the rest went
    relayed = (bbbp_smoke / "ray.log").read_text()
    assert "RayTrainWorker pid=" in relayed and "epoch 1/" in relayed  # the workers' lines
    assert "\x1b[36m(" not in relayed  # the workers' prefixes without colour codes


def test_student_artifact_loads_alone_and_reproduces_predictions(bbbp_smoke):
    members = load_model(bbbp_smoke / "student")  # one per seed (several: test_artifacts.py)
    assert len(members) == 1
    preds = pq.read_table(bbbp_smoke / "predictions" / "student" / "seed_0.parquet").to_pydict()
    mols = pq.read_table(bbbp_smoke / "molecules.parquet").to_pydict()
    smiles = dict(zip(mols["row"], mols["smiles"]))
    ours, _ = members[0].predict([smiles[r] for r in preds["row"][:50]])
    assert np.allclose(ours, np.asarray(preds["prediction"][:50]), atol=1e-5)


def test_esol_regression_run_through_the_gallon_command_from_another_folder(tmp_path):
    """`gallon run` as an installed command, from a folder outside the checkout (the packaged
    defaults, no repository file but the --config given), on a regression set."""
    elsewhere = tmp_path / "somewhere"
    elsewhere.mkdir()
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "gallon"), "run", "--config", str(SMOKE),
         "--dataset", "esol", "--seeds", "0", "--set", "run.roles=[gnn,student]",
         "--out", "esol"],
        cwd=elsewhere, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = elsewhere / "esol"
    m = load_json(out / "metrics.json")
    assert (m["task"], m["metric"], m["n_rejected"]) == ("regression", "rmse", 0)
    for role in ("gnn", "student"):
        assert set(m["models"][role]["extra"]["test"]) == {"mae", "r2"}
        assert list(m["models"][role]["per_task"]["test"]) == m["targets"]  # every target
    assert "student" in proc.stdout and "rmse" in proc.stdout
    assert "conflicting_labels: drop" in (out / "config.yaml").read_text()  # packaged default


def test_warm_rerun_reuses_every_model(bbbp_smoke, smoke_args, tmp_path):
    out = tmp_path / "warm"
    proc = run_ok(
        "run_all.py", *smoke_args, "--set", "gnn.train.num_workers=2", "--out", str(out), "-v"
    )
    log = (out / "run.log").read_text()  # every driver line, with or without -v
    assert log.count("reused the model") == 4
    assert "Started training worker group" not in proc.stdout + proc.stderr  # -v: Ray's too
    a, b = load_json(bbbp_smoke / "metrics.json"), load_json(out / "metrics.json")
    assert a["models"] == b["models"]
    assert load_model(out / "student")[0].hparams == load_model(bbbp_smoke / "student")[0].hparams


def test_a_killed_run_resumes_its_model_from_the_checkpoint(bbbp_smoke, smoke_args, tmp_path):
    """run_all is killed (SIGKILL to it and its local Ray) while the GNN trains with 2 DDP
    workers, after its epoch-2 checkpoint; the same command again resumes that model there, and
    its metrics equal the uninterrupted run's. (A failure inside a run — a lost node — is
    tests/integration/test_job_submit.py's.)"""
    out = tmp_path / "killed"
    args = [*smoke_args, "--set", "gnn.train.num_workers=2", "--set", "run.roles=[gnn]",
            "--set", "run.seeds=[0]", "--set", "run.reuse=false", "--out", str(out)]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1", faults.PAUSE_ENV: "gnn_seed0:2:300"}
    first = subprocess.Popen(
        [sys.executable, str(ROOT / "jobs" / "run_all.py"), *args], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    marker = faults.marker_folder(str(out / "checkpoints")) / "gnn_seed0" / "pause_injected"
    deadline = time.time() + 400
    while time.time() < deadline and not marker.exists() and first.poll() is None:
        time.sleep(0.5)
    assert marker.exists(), "the GNN never reached its epoch-2 pause"
    time.sleep(3)  # Ray Train's controller records the reported checkpoint (polls every 0.25 s)
    os.killpg(first.pid, signal.SIGKILL)  # the driver and the local Ray it started
    first.wait(timeout=60)
    run_ok("run_all.py", *args)
    history = load_json(out / "gnn" / "seed_0" / "history.json")
    assert history["resumed_from"] == [2] and history["epochs_run"] == 4
    a, b = load_json(bbbp_smoke / "metrics.json"), load_json(out / "metrics.json")
    for split in ("val", "test"):  # the uninterrupted run
        assert a["models"]["gnn"][split]["per_seed"][0] == pytest.approx(
            b["models"]["gnn"][split]["per_seed"][0], abs=1e-9
        )


def test_a_smiles_only_lm_teacher_asks_no_llm(smoke_args, tmp_path):
    """`lm.text: smiles`: the explanation source is never touched (a missing explanations file
    would fail the run), and the LM teacher trains on the SMILES lines."""
    out = tmp_path / "run"
    run_ok(
        "run_all.py",
        *smoke_args,
        *("--set", "run.roles=[lm]", "--set", "lm.text=smiles"),
        *("--set", "explain.backend=file", "--set", f"explain.file={tmp_path / 'none.csv'}"),
        *("--out", str(out)),
    )
    explanations = pq.read_table(out / "explanations.parquet").to_pydict()
    assert len(explanations["row"]) == 300 and set(explanations["explanation"]) == {None}
    assert not (out / "explain_stats.json").exists()
    assert "no LLM was asked" in (out / "report.md").read_text()
    assert load_json(out / "metrics.json")["models"]["lm"]["val"]["per_seed"]
