import json

import numpy as np
import pyarrow.parquet as pq
import pytest

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
        # distill.alpha left unset: the task type's default reaches the worker
        assert hp["teachers"] == {"gnn": {"active": 1.0, "logs": 3.0}[target]}
        assert hp["targets"] == [target]
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


def test_each_seed_distils_from_the_teacher_of_the_same_seed(tiny_run):
    """With `distill.teacher_seeds: own`, seed s of the student reads seed s of its teacher:
    the outputs a worker loads for graph i are that teacher's predictions for row i."""
    from gallon.train.stage import graph_spec
    from gallon.train.tasks import get_task

    ctx = tiny_run("logs", overrides=("distill.teacher_seeds=own",))
    for seed in (0, 1):
        train_role(ROLES["gnn"], seed, ctx, fit_local)
    for seed in (0, 1):
        spec = graph_spec(ROLES["student"], ctx, seed)
        assert spec["seed"] == seed
        assert spec["data"]["teachers"] == {"gnn": str(ctx.predictions_path("gnn", seed))}
        teacher = pq.read_table(ctx.predictions_path("gnn", seed)).to_pydict()
        want = dict(zip(teacher["row"], teacher["output"]))
        data = get_task("graph").load(spec)  # what the worker loads
        expected = np.asarray([want[int(r)] for r in data.rows])
        assert np.allclose(data.per_molecule["t_gnn_out"].numpy(), expected)
    first, second = (pq.read_table(ctx.predictions_path("gnn", s)) for s in (0, 1))
    assert first.column("output").to_pylist() != second.column("output").to_pylist()


def test_teacher_seed_mean_is_what_every_student_seed_reads(tiny_run):
    """`distill.teacher_seeds: mean`: each student seed loads the mean of all teacher seeds'
    outputs, row by row (and its own seed's teacher embedding, for representation terms), and
    the teachers of every seed train before the first student."""
    from gallon.roles import training_order
    from gallon.train.stage import graph_spec
    from gallon.train.tasks import get_task

    ctx = tiny_run("logs", overrides=("distill.teacher_seeds=mean", "run.seeds=[0,1]"))
    order = [(role.name, seed) for role, seed in training_order(ctx.cfg)]
    assert order == [("gnn", 0), ("gnn", 1), ("mlp", 0), ("student", 0), ("mlp", 1),
                     ("student", 1)]  # fmt: skip
    for seed in (0, 1):
        train_role(ROLES["gnn"], seed, ctx, fit_local)
    tables = [pq.read_table(ctx.predictions_path("gnn", s)).to_pydict() for s in (0, 1)]
    by_row = [dict(zip(t["row"], t["output"])) for t in tables]
    for seed in (0, 1):
        data = get_task("graph").load(graph_spec(ROLES["student"], ctx, seed))
        expected = [np.mean([b[int(r)] for b in by_row], axis=0) for r in data.rows]
        assert np.allclose(data.per_molecule["t_gnn_out"].numpy(), expected, atol=1e-6)
        mean = pq.read_table(
            ctx.predictions_path("gnn", seed).with_name(f"mean_seed_{seed}.parquet")
        )
        own = pq.read_table(ctx.predictions_path("gnn", seed)).sort_by("row")
        assert mean.column("embedding").to_pylist() == own.column("embedding").to_pylist()


@pytest.mark.parametrize("trust", ["label_range", "all"])
def test_transfer_molecules_teach_only_within_the_training_labels_range(tiny_run, tmp_path, trust):
    """`distill.transfer_trust: label_range`: a transfer molecule whose teacher output lies
    outside the training labels' range (standardised) neither teaches nor trains; `all` keeps
    every one."""
    import pyarrow as pa

    from gallon.io import read_table, write_table
    from gallon.train.stage import graph_spec
    from gallon.train.tasks import get_task

    ctx = tiny_run("logs")
    train_role(ROLES["gnn"], 0, ctx, fit_local)
    spec = graph_spec(ROLES["student"], ctx, 0)
    features = read_table(spec["data"]["features"])
    write_table(features, tmp_path / "transfer" / "part-0.parquet")  # the same molecules again
    rows = features.column("row").to_pylist()
    outputs = [[0.0] if i % 2 else [100.0] for i in range(len(rows))]  # every other one: far out
    scores = tmp_path / "scores.parquet"
    write_table(pa.table({"row": rows, "output": outputs}), scores)
    transfer = {"features": str(tmp_path / "transfer"), "teachers": {"gnn": str(scores)}}
    spec["data"]["transfer"] = {**transfer, "per_epoch": 0, "trust": trust}
    data = get_task("graph").load(spec)
    n_own = len(rows)
    kept = data.index["transfer"] - n_own  # positions in the transfer table
    expected = (
        [i for i in range(len(rows)) if i % 2] if trust == "label_range" else list(range(len(rows)))
    )
    assert kept.tolist() == expected
    taught = data.per_molecule["t_gnn_mask"][n_own:, 0].numpy()
    assert taught.tolist() == [float(i % 2 or trust == "all") for i in range(len(rows))]


def test_the_driver_predicts_at_the_roles_thread_count_whatever_its_own(tiny_run, monkeypatch):
    """The last bit of a CPU sum depends on torch's thread count, and a student distilled from a
    teacher's outputs inherits it: a `ray job` driver (OMP_NUM_THREADS=1 from Ray) and a local
    one (every core) trained different students from the same teacher. The driver predicts at
    the thread count the role trained with, and keeps its own afterwards."""
    import torch

    from gallon.train import tasks

    seen = []
    real = tasks._predict
    monkeypatch.setattr(
        tasks, "_predict", lambda *a: seen.append(torch.get_num_threads()) or real(*a)
    )

    def fit_elsewhere(*args):  # a Ray Train worker is another process: the driver's count stays
        result = fit_local(*args)
        torch.set_num_threads(1)
        seen.clear()
        return result

    ctx = tiny_run("logs", overrides=("gnn.train.cpus_per_worker=2",))
    before = torch.get_num_threads()
    try:
        train_role(ROLES["gnn"], 0, ctx, fit_elsewhere)
        assert seen == [2] and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
