import json

import numpy as np
import pyarrow.parquet as pq

from gallon.artifacts import load_model
from gallon.roles import ROLES
from gallon.train.data import PREDICTION_COLUMNS
from gallon.train.loop import fit_local
from gallon.train.stage import train_role


def test_roles_write_predictions_artifacts_and_distil(tiny_run):
    for target in ("active", "logs"):
        ctx = tiny_run(target)
        runs = [train_role(ROLES[role], 0, ctx, fit_local) for role in ("gnn", "mlp", "student")]
        assert [r.role for r in runs] == ["gnn", "mlp", "student"]
        for role in ("gnn", "mlp", "student"):
            table = pq.read_table(ctx.predictions_path(role, 0))
            assert tuple(table.column_names) == PREDICTION_COLUMNS
            assert sorted(table.column("split").to_pylist()) == sorted(
                ["train"] * len(ctx.splits["train"])
                + ["val"] * len(ctx.splits["val"])
                + ["test"] * len(ctx.splits["test"])
            )
        hp = json.loads((ctx.out / "student" / "seed_0" / "hparams.json").read_text())
        assert hp["teachers"] == {"gnn": ctx.cfg.distill.alpha} and hp["targets"] == [target]
        assert set(runs[2].metrics) == {"train", "val", "test"}


def test_artifact_reloads_and_predicts_like_the_run(tiny_run):
    ctx = tiny_run("logs")
    train_role(ROLES["mlp"], 0, ctx, fit_local)
    (member,) = load_model(ctx.out / "mlp")
    table = pq.read_table(ctx.predictions_path("mlp", 0)).to_pydict()
    mols = pq.read_table(ctx.out / "molecules.parquet").to_pydict()
    smiles = dict(zip(mols["row"], mols["smiles"]))
    pred, why = member.predict([smiles[r] for r in table["row"]] + ["not a smiles"])
    assert np.allclose(pred[:-1], np.asarray(table["prediction"]), atol=1e-5)
    assert np.isnan(pred[-1]).all() and why[-1].startswith("SMILES syntax error")
    assert member.task == "regression" and member.targets == ["logs"]


def test_identical_inputs_reuse_the_trained_model(tiny_run, tmp_path):
    ctx = tiny_run(overrides=(f"run.cache_dir={tmp_path / 'store'}",))
    first = train_role(ROLES["gnn"], 0, ctx, fit_local)

    def must_not_train(*args, **kwargs):
        raise AssertionError("a model with identical inputs was trained again")

    again = train_role(ROLES["gnn"], 0, ctx, must_not_train)
    assert again.metrics == first.metrics and again.parameters == first.parameters
    assert (ctx.out / "gnn" / "seed_0" / "model.safetensors").is_file()
    # any change to the config or the inputs trains anew
    changed = tiny_run(overrides=(f"run.cache_dir={tmp_path / 'store'}", "gnn.dropout=0.2"))
    calls = []
    train_role(ROLES["gnn"], 0, changed, lambda *a: calls.append(1) or fit_local(*a))
    assert calls == [1]
