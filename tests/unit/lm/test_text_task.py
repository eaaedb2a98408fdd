import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch

from gallon.errors import ConfigError
from gallon.io import write_table
from gallon.lm.encoder import TextRegressor, cpu_has_bf16, use_bf16
from gallon.lm.text_task import TextTask, make_text
from gallon.roles import ROLES
from gallon.train.loop import fit_local
from gallon.train.stage import train_role
from gallon.train.tasks import predict


def _with_explanations(ctx, missing: int = 2):
    """Write explanations.parquet for the run (a few molecules without an explanation)."""
    mols = pq.read_table(ctx.out / "molecules.parquet").to_pydict()
    text = [
        None if i < missing else "the molecule is polar with an acid group"
        for i in range(len(mols["row"]))
    ]
    write_table(
        pa.table({"row": mols["row"], "smiles": mols["smiles"], "explanation": text}),
        ctx.out / "explanations.parquet",
    )


def test_text_is_the_papers_format():
    assert make_text("CCO", "It is polar.", True) == "The original SMILES string: CCO\nIt is polar."
    assert make_text("CCO", "It is polar.", False) == "The original SMILES string: CCO\n"
    assert make_text("CCO", None, True) == "The original SMILES string: CCO\n"


def test_dynamic_padding(tiny_run, tiny_encoder):
    ctx = tiny_run(overrides=(f"lm.encoder={tiny_encoder}",))
    _with_explanations(ctx)
    task = TextTask()
    spec = ROLES["lm"].spec(ctx, 0)
    data = task.load(spec)
    order = np.arange(len(data.rows))
    (first, *_) = list(task.batches(data, order[:4], 4))
    lengths = [len(data.ids[i]) for i in order[:4]]
    assert first.input_ids.shape == (4, max(lengths))
    assert first.attention_mask.sum(1).tolist() == lengths


def test_lm_teacher_trains_and_writes_teacher_outputs(tiny_run, tiny_encoder):
    for target in ("active", "logs"):
        ctx = tiny_run(
            target,
            overrides=(
                f"lm.encoder={tiny_encoder}",
                "lm.train.epochs=3",
                "lm.train.batch_size=8",
                "lm.train.lr=0.001",
                "run.roles=[lm,gnn,mlp,student]",
                "distill.beta=1",
            ),
        )
        _with_explanations(ctx)
        run = train_role(ROLES["lm"], 0, ctx, fit_local)
        assert run.summary["epochs_run"] >= 1 and set(run.metrics) == {"train", "val", "test"}
        preds = pq.read_table(ctx.predictions_path("lm", 0)).to_pydict()
        assert len(preds["row"]) == 24 and len(preds["embedding"][0]) == 32  # tiny hidden size
        folder = ctx.out / "lm" / "seed_0"
        assert json.loads((folder / "hparams.json").read_text())["model"]["encoder"] == str(
            tiny_encoder
        )
        assert (folder / "tokenizer.json").is_file() and (folder / "model.safetensors").is_file()
        # the student now distils from both teachers
        train_role(ROLES["gnn"], 0, ctx, fit_local)
        student = train_role(ROLES["student"], 0, ctx, fit_local)
        hp = json.loads((ctx.out / "student" / "seed_0" / "hparams.json").read_text())
        assert hp["teachers"] == {"gnn": ctx.cfg.distill.alpha, "lm": 1.0}
        # the student's LM targets are the LM teacher's outputs for the same rows
        lm_pred = pq.read_table(ctx.predictions_path("lm", 0)).to_pydict()
        assert sorted(lm_pred["row"]) == sorted(
            ctx.splits["train"] + ctx.splits["val"] + ctx.splits["test"]
        )
        assert student.metrics["test"].keys() == run.metrics["test"].keys()


def test_label_smoothing_in_spec_for_classification_only(tiny_run, tiny_encoder):
    spec_c = ROLES["lm"].spec(tiny_run("active", (f"lm.encoder={tiny_encoder}",)), 0)
    spec_r = ROLES["lm"].spec(tiny_run("logs", (f"lm.encoder={tiny_encoder}",)), 0)
    assert spec_c["label_smoothing"] == 0.1 and spec_r["label_smoothing"] == 0.0


def test_predict_runs_texts_by_length_and_keeps_row_order(tiny_run, tiny_encoder):
    ctx = tiny_run(overrides=(f"lm.encoder={tiny_encoder}",))
    _with_explanations(ctx, missing=8)  # two lengths of text: with and without an explanation
    task = TextTask()
    spec = ROLES["lm"].spec(ctx, 0)
    data = task.load(spec)
    order = np.random.default_rng(0).permutation(len(data.rows))
    assert len(set(task.lengths(data, order).tolist())) > 1
    model = task.build_model({**spec, "model": {**spec["model"], "precision": "fp32"}})
    out, h = predict(task, model, data, order, batch_size=4)
    for j in (0, 5, len(order) - 1):  # one molecule alone gives the same row
        one, h1 = predict(task, model, data, order[j : j + 1], batch_size=1)
        np.testing.assert_allclose(out[j], one[0], atol=1e-5)
        np.testing.assert_allclose(h[j], h1[0], atol=1e-5)


def test_precision_choices(tiny_encoder):
    cpu = torch.device("cpu")
    assert use_bf16("bf16", cpu) and not use_bf16("fp32", cpu)
    assert use_bf16("auto", torch.device("cuda"))
    assert use_bf16("auto", cpu) == cpu_has_bf16()
    torch.manual_seed(0)
    model = TextRegressor(str(tiny_encoder), 1, precision="fp32").eval()
    ids = torch.randint(5, 90, (3, 7))
    mask = torch.ones_like(ids)
    with torch.no_grad():
        full, _ = model(ids, mask)
        model.precision = "bf16"
        half, h = model(ids, mask)
    assert h.dtype == torch.float32  # pooling and head stay fp32
    np.testing.assert_allclose(half.numpy(), full.numpy(), atol=0.05)
    with pytest.raises(ConfigError, match="lm.precision"):
        TextRegressor(str(tiny_encoder), 1, precision="fp16")


@pytest.mark.parametrize("policy", ["smiles", "skip"])
def test_a_molecule_without_explanation_follows_the_configured_policy(
    tiny_run, tiny_encoder, policy
):
    ctx = tiny_run(overrides=(f"lm.encoder={tiny_encoder}", f"lm.missing_explanation={policy}"))
    _with_explanations(ctx, missing=8)
    data = TextTask().load(ROLES["lm"].spec(ctx, 0))
    unexplained = set(range(8))  # positions of the molecules whose LLM call failed
    train = set(data.index["train"].tolist())
    if policy == "skip":
        assert not train & unexplained
    else:
        assert train & unexplained  # read from their SMILES line alone
    for split in ("val", "test"):  # validation and test stay whole either way
        assert len(data.index[split]) == len(ctx.splits[split])


def test_lm_subset_trains_on_its_sample_and_students_distil_only_there(tiny_run, tiny_encoder):
    from gallon.data.prepare import prepare
    from gallon.errors import InputError
    from gallon.pipeline import _lm_molecules
    from gallon.train.data import load_graph_set
    from gallon.train.graph_task import GraphTask

    ctx = tiny_run(
        "logs",
        overrides=(
            f"lm.encoder={tiny_encoder}",
            "lm.subset=6",
            "lm.train.epochs=1",
            "run.roles=[lm,gnn,student_lm]",
        ),
    )
    molecules = _lm_molecules(ctx.cfg, prepare(ctx.cfg.data, ctx.cfg.split))
    sample = molecules.column("row").to_pylist()
    held = set(ctx.splits["val"]) | set(ctx.splits["test"])
    trained = sorted(set(sample) - held)
    assert len(trained) == 6 and set(trained) < set(ctx.splits["train"]) and held <= set(sample)
    n = len(sample)
    write_table(  # what the explain stage writes: the sample's molecules only
        pa.table({"row": sample, "smiles": molecules.column("smiles"), "explanation": ["p"] * n}),
        ctx.out / "explanations.parquet",
    )
    run = train_role(ROLES["lm"], 0, ctx, fit_local)
    preds = pq.read_table(ctx.predictions_path("lm", 0)).to_pydict()
    assert sorted(preds["row"]) == sorted(sample)
    lm_data = TextTask().load(ROLES["lm"].spec(ctx, 0))  # what its metrics are computed on
    assert sorted(lm_data.rows[lm_data.index["train"]].tolist()) == trained
    for name in ("val", "test"):  # scored on the same molecules as every other role
        assert sorted(lm_data.rows[lm_data.index[name]].tolist()) == sorted(ctx.splits[name])
    assert set(run.metrics) == {"train", "val", "test"}
    # its targets are scaled with the whole training split's labels: the students' units
    mols = pq.read_table(ctx.out / "molecules.parquet").to_pydict()
    labels = dict(zip(mols["row"], mols["y"]))
    full = np.asarray([labels[r] for r in ctx.splits["train"]], dtype=float)
    assert np.allclose(lm_data.y_mean, np.nanmean(full, 0))
    assert not np.allclose(lm_data.y_mean, np.nanmean(lm_data.y[lm_data.index["train"]], 0))

    spec = ROLES["student_lm"].spec(ctx, 0)
    assert spec["data"]["partial"] == ["lm"]
    data = GraphTask().load(spec)
    known = data.per_molecule["t_lm_mask"][:, 0].numpy()
    assert known.tolist() == [float(r in set(sample)) for r in data.rows]
    assert data.per_molecule["t_lm_hmask"][:, 0].tolist() == known.tolist()
    assert np.all(data.per_molecule["t_lm_out"].numpy()[known == 0] == 0)
    train_role(ROLES["student_lm"], 0, ctx, fit_local)  # trains with the term masked elsewhere
    # without `partial` a teacher that lacks molecules is an input error, not a silent mask
    d = spec["data"]
    with pytest.raises(InputError, match="lack"):
        load_graph_set(
            d["features"],
            d["molecules"],
            d["splits"],
            d["atom_dim"],
            d["bond_dim"],
            "regression",
            d["teachers"],
        )
