import pytest
import torch

from gallon.roles import ROLES
from gallon.train.loop import LocalSession, fit_local, run_loop


def test_same_seed_same_weights(tiny_run):
    ctx = tiny_run()
    spec = ROLES["gnn"].spec(ctx, 0)
    a, b = fit_local(spec), fit_local(spec)
    assert all(torch.equal(a.best_state[k], b.best_state[k]) for k in a.best_state)
    assert a.summary["history"] == b.summary["history"] or all(
        x[k] == y[k]
        for x, y in zip(a.summary["history"], b.summary["history"])
        for k in x
        if k != "seconds"
    )
    c = fit_local({**spec, "seed": 1})
    assert not all(torch.equal(a.best_state[k], c.best_state[k]) for k in a.best_state)


def test_resume_continues_exactly(tiny_run):
    ctx = tiny_run()
    spec = ROLES["mlp"].spec(ctx, 0)
    full = LocalSession()
    full_summary = run_loop({**spec, "name": "m"}, full)

    class CrashAfter(LocalSession):
        def report(self, metrics, state):
            super().report(metrics, state)
            if metrics["epoch"] == 3:
                raise RuntimeError("crash")

    crashed = CrashAfter()
    with pytest.raises(RuntimeError):
        run_loop({**spec, "name": "m"}, crashed)
    assert crashed.saved["epoch"] == 2  # last checkpoint (checkpoint_every=2) before the crash
    resumed = LocalSession()
    resumed.saved = crashed.saved
    summary = run_loop({**spec, "name": "m"}, resumed)
    assert summary["resumed_from"] == [2]
    assert summary["epochs_run"] == full_summary["epochs_run"]
    strip = lambda h: [{k: v for k, v in e.items() if k != "seconds"} for e in h]
    assert strip(summary["history"]) == strip(full_summary["history"])
    assert all(
        torch.equal(resumed.saved["best_state"][k], full.saved["best_state"][k])
        for k in full.saved["best_state"]
    )


def test_early_stopping(tiny_run):
    ctx = tiny_run(overrides=("gnn.train.epochs=50", "gnn.train.patience=2", "gnn.train.lr=0.5"))
    summary = fit_local(ROLES["gnn"].spec(ctx, 0)).summary
    assert summary["epochs_run"] < 50
    assert summary["epochs_run"] - summary["best_epoch"] == 2
