import numpy as np
import pyarrow.parquet as pq
import pytest
import torch

from gallon.roles import ROLES
from gallon.train.loop import LocalSession, epoch_positions, fit_local, run_loop
from gallon.train.stage import train_role


def test_same_seed_same_weights(tiny_run):
    ctx = tiny_run()
    spec = ROLES["gnn"].spec(ctx, 0)
    a, b = fit_local(spec), fit_local(spec)
    assert all(torch.equal(a.best_state[k], b.best_state[k]) for k in a.best_state)
    assert len(a.summary["history"]) == len(b.summary["history"])
    assert all(
        x[k] == y[k]
        for x, y in zip(a.summary["history"], b.summary["history"])
        for k in x
        if k != "seconds"
    )
    c = fit_local({**spec, "seed": 1})
    assert not all(torch.equal(a.best_state[k], c.best_state[k]) for k in a.best_state)


@pytest.mark.parametrize("ema", [0.0, 0.9])
def test_resume_continues_exactly(tiny_run, ema):
    ctx = tiny_run(overrides=(f"student.train.ema={ema}",))
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


def test_weight_averaging_changes_what_validation_sees_not_what_training_does(tiny_run):
    spec = ROLES["mlp"].spec(tiny_run(), 0)
    train = {**spec["train"], "patience": 100}
    plain = fit_local({**spec, "train": {**train, "ema": 0.0}})
    averaged = fit_local({**spec, "train": {**train, "ema": 0.9}})
    losses = lambda fit, key: [h[key] for h in fit.summary["history"]]
    assert losses(plain, "train_loss") == losses(averaged, "train_loss")
    assert not np.allclose(losses(plain, "val_loss"), losses(averaged, "val_loss"))
    weights = list(averaged.best_state)
    assert weights == list(plain.best_state)  # saved like the model: same keys, loads alike
    assert not all(torch.equal(plain.best_state[k], averaged.best_state[k]) for k in weights)


def test_early_stopping(tiny_run):
    ctx = tiny_run(overrides=("gnn.train.epochs=50", "gnn.train.patience=2", "gnn.train.lr=0.5"))
    summary = fit_local(ROLES["gnn"].spec(ctx, 0)).summary
    assert summary["epochs_run"] < 50
    assert summary["epochs_run"] - summary["best_epoch"] == 2


def test_a_run_restored_after_its_early_stop_trains_no_further_epoch(tiny_run):
    ctx = tiny_run(overrides=("gnn.train.epochs=50", "gnn.train.patience=2", "gnn.train.lr=0.5"))
    spec = {**ROLES["gnn"].spec(ctx, 0), "name": "m"}
    first = LocalSession()
    done = run_loop(spec, first)
    assert done["epochs_run"] < 50  # it stopped early, and saved that checkpoint
    again = LocalSession()
    again.saved = first.saved
    summary = run_loop(spec, again)
    assert summary["epochs_run"] == done["epochs_run"]
    assert summary["history"] == done["history"]
    assert summary["best_epoch"] == done["best_epoch"]


@pytest.mark.parametrize("role", ["gnn", "mlp"])
def test_a_learnable_target_beats_a_constant_predictor(tiny_run, role):
    # heavy-atom count (3-11): summed atom features learn it; predicting the training mean
    # cannot (held-out RMSE of the constant predictor: 1.58; fourteen training molecules)
    ctx = tiny_run(
        "heavy",
        (
            "run.reuse=false",
            "gnn.train.epochs=60",
            "student.train.epochs=60",
            "gnn.train.lr=0.01",
            "student.train.lr=0.01",
            "gnn.pool=sum",
            "student.pool=sum",
            "student.head_hidden=0",
            "gnn.train.patience=60",
            "student.train.patience=60",
        ),
    )
    train_role(ROLES[role], 0, ctx, fit_local)
    mols = pq.read_table(ctx.out / "molecules.parquet").to_pydict()
    label = {r: y[0] for r, y in zip(mols["row"], mols["y"])}
    pred = pq.read_table(ctx.predictions_path(role, 0)).to_pydict()
    predicted = {r: p[0] for r, p in zip(pred["row"], pred["prediction"])}
    held = [r for s in ("val", "test") for r in ctx.splits[s]]
    mean = np.mean([label[r] for r in ctx.splits["train"]])
    rmse = lambda guess: float(np.sqrt(np.mean([(guess(r) - label[r]) ** 2 for r in held])))
    model, constant = rmse(predicted.get), rmse(lambda r: mean)
    assert model < 0.75 * constant, (model, constant)  # an untrained model scores ≈ 1.0×


@pytest.mark.parametrize("select", ["metric", "loss"])
def test_the_kept_epoch_is_the_best_of_what_selects(tiny_run, select):
    """train.select=metric keeps the best validation ROC-AUC; loss keeps the lowest validation
    loss (chemprop's rule); either way best_value is the metric at the kept epoch."""
    ctx = tiny_run(overrides=("gnn.train.epochs=8", "gnn.train.patience=8",
                              f"gnn.train.select={select}"))  # fmt: skip
    summary = fit_local(ROLES["gnn"].spec(ctx, 0)).summary
    history = summary["history"]
    aucs, losses = [h["val_roc_auc"] for h in history], [h["val_loss"] for h in history]
    kept = int(np.argmax(aucs)) if select == "metric" else int(np.argmin(losses))
    assert summary["best_epoch"] == kept + 1 and summary["best_value"] == aucs[kept]


def test_each_epoch_draws_its_own_transfer_molecules():
    index = {"train": np.arange(5), "transfer": np.arange(5, 105)}
    assert np.array_equal(epoch_positions(index, 0, 0, 3), np.arange(105))  # 0: all of them
    assert np.array_equal(epoch_positions(index, 500, 0, 3), np.arange(105))  # more than there are
    drawn = [epoch_positions(index, 10, 0, epoch) for epoch in range(3)]
    for d in drawn:  # every labelled molecule, ten distinct transfer ones
        assert len(d) == 15 and np.array_equal(d[:5], index["train"])
        assert len(set(d[5:])) == 10 and set(d[5:]) <= set(index["transfer"])
    assert not np.array_equal(drawn[0], drawn[1])  # a fresh draw per epoch
    assert np.array_equal(drawn[1], epoch_positions(index, 10, 0, 1))  # and a seeded one
    assert not np.array_equal(drawn[1], epoch_positions(index, 10, 1, 1))
    assert np.array_equal(epoch_positions({"train": np.arange(4)}, 10, 0, 0), np.arange(4))


def test_ensemble_members_train_exactly_as_they_would_alone(tiny_run):
    """Each member has its own loss: without dropout (the only random draw while training),
    the first member of two ends with the weights of a single model of the same seed."""
    ctx = tiny_run(overrides=("student.dropout=0.0", "student.train.epochs=1", "student.members=1"))
    spec = ROLES["mlp"].spec(ctx, 0)
    single = fit_local(spec).best_state
    pair = fit_local({**spec, "model": {**spec["model"], "members": 2}})
    assert pair.summary["epochs_run"] == 1
    first = {k.removeprefix("members.0."): v for k, v in pair.best_state.items()}
    assert all(torch.equal(single[k], first[k]) for k in single)
    second = {k.removeprefix("members.1."): v for k, v in pair.best_state.items()}
    assert not all(torch.equal(single[k], second[k]) for k in single)
