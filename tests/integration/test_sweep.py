"""jobs/sweep.py on tiny data: 3 trials on 2 CPUs, an interrupt, --resume, and best.yaml as
run_all's --params."""

from __future__ import annotations

import csv

import yaml

from gallon.cli import base_parser, config_from_args

from .conftest import SMOKE, load_json, run_job, run_ok

NO_LLM = "run.roles=[gnn,student]"  # the student and its teacher: the MLP adds nothing here


def _trial_lengths(tune_dir) -> dict[str, int]:
    """Reported epochs per trial folder (result.json has one line per report)."""
    return {p.parent.name: len(p.read_text().splitlines()) for p in tune_dir.glob("*/result.json")}


def test_interrupted_sweep_resumes_to_the_requested_trials_and_best_yaml_loads(tmp_path):
    out = tmp_path / "sweep-run"
    base = ["--config", str(SMOKE), "--set", NO_LLM, "--set", "run.seeds=[0]", "--out", str(out)]
    args = [*base, "--trials", "3", "--set", "sweep.max_concurrent_trials=1"]
    first = run_job("sweep.py", *args, env={"GALLON_INJECT_SWEEP_STOP": "2"})
    assert first.returncode == 130, first.stderr[-3000:]
    assert "--resume" in first.stdout
    done_before = {
        name: n
        for name, n in _trial_lengths(out / "sweep" / "tune").items()
        if n == 4  # the smoke student runs 4 epochs; these trials had ended
    }
    assert len(done_before) >= 2

    run_ok("sweep.py", *args, "--resume")
    with open(out / "sweep" / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3 and len({r["trial_id"] for r in rows}) == 3
    assert all(r["status"] == "finished" for r in rows)
    after = _trial_lengths(out / "sweep" / "tune")
    assert all(after[name] == n for name, n in done_before.items())  # not trained again
    vals = [float(r["best_val"]) for r in rows]
    assert vals == sorted(vals, reverse=True)  # ranked on validation ROC-AUC, best first

    best = yaml.safe_load((out / "sweep" / "best.yaml").read_text())
    assert set(best) <= {"student", "distill"} and "beta" not in best.get("distill", {})
    metrics = load_json(out / "metrics.json")
    assert {"student", "student_tuned"} <= set(metrics["models"])
    assert metrics["sweep"]["trials"] == 3
    assert "## Sweep" in (out / "report.md").read_text()

    # best.yaml as run_all's --params (the tuned student itself trained above: student_tuned)
    args = base_parser("run").parse_args(
        ["--config", str(SMOKE), "--params", str(out / "sweep" / "best.yaml")]
    )
    used = config_from_args(args)
    assert used.student.hidden == best["student"]["hidden"]
    assert used.distill.kind == best["distill"]["kind"]
    assert used.data.subset == 300  # --params merges over --config, it does not replace
