import json

import numpy as np
import pyarrow.parquet as pq
import pytest
from rdkit import Chem

from gallon.artifacts import load_model
from gallon.errors import InputError
from gallon.roles import ROLES, training_order
from gallon.screen.export import export_onnx
from gallon.screen.predict import Scorer
from gallon.train.loop import fit_local
from gallon.train.stage import train_role

LIBRARY = ["CCO", "not-a-smiles", "", "c1ccccc1O", "[Na+].[Cl-]", "CC(=O)O"]


def _trained(ctx, *roles):
    """Train `roles` for the run's seeds in the order a run does (teachers of every seed
    before the students that distil from their mean)."""
    for role, seed in training_order(ctx.cfg, [ROLES[r] for r in roles]):
        train_role(role, seed, ctx, fit_local)


def test_rows_in_equal_rows_out_with_reasons_and_ensemble_spread(tiny_run):
    ctx = tiny_run(overrides=("run.seeds=[0,1]",))
    _trained(ctx, "gnn", "student")
    scorer = Scorer.from_path(ctx.out / "student")
    table = scorer.score([f"id{i}" for i in range(len(LIBRARY))], LIBRARY).to_pydict()
    assert table["id"] == [f"id{i}" for i in range(len(LIBRARY))] and table["smiles"] == LIBRARY
    assert [e is None for e in table["error"]] == [True, False, False, True, True, True]
    assert table["error"][2] == "empty SMILES"
    ok = [v for v, e in zip(table["active"], table["error"]) if e is None]
    assert all(0 <= v <= 1 for v in ok) and table["active"][1] is None
    assert all(s >= 0 for s, e in zip(table["active_std"], table["error"]) if e is None)
    # the mean over members equals the members' own predictions averaged
    members = load_model(ctx.out / "student")
    each = np.stack([m.predict(["CCO"])[0] for m in members])
    assert np.isclose(table["active"][0], each.mean())


def test_gnn_teacher_scores_as_training_predicted(tiny_run):
    """Screening featurises fresh molecules; training predicted from its stored features: the
    same numbers (bonds included), in input order."""
    ctx = tiny_run()
    train_role(ROLES["gnn"], 0, ctx, fit_local)
    (member,) = load_model(ctx.out / "gnn")
    trained = pq.read_table(ctx.predictions_path("gnn", 0)).to_pydict()
    mols = pq.read_table(ctx.out / "molecules.parquet").to_pydict()
    smiles = dict(zip(mols["row"], mols["smiles"]))
    rows = trained["row"][::-1]  # another order than training's
    table = Scorer([member]).score([None] * len(rows), [smiles[r] for r in rows]).to_pydict()
    want = [p[0] for p in trained["prediction"][::-1]]
    assert np.allclose(table["active"], want, atol=1e-5, rtol=0)
    assert "active_std" not in table
    with pytest.raises(InputError, match="graph-free students only"):
        Scorer([member], precision="bf16")


def test_standardize_scores_the_parent_and_says_what_it_scored(tiny_run):
    ctx = tiny_run("logs")
    train_role(ROLES["mlp"], 0, ctx, fit_local)
    plain = Scorer.from_path(ctx.out / "mlp").score([None] * 2, ["CC(=O)[O-].[Na+]", "CC(=O)O"])
    std = Scorer.from_path(ctx.out / "mlp", standardize=True)
    out = std.score([None] * 2, ["CC(=O)[O-].[Na+]", "CC(=O)O"]).to_pydict()
    assert out["scored_smiles"] == ["CC(=O)O", "CC(=O)O"]
    # the same parent, scored at two places of one float32 batch
    assert out["logs"][0] == pytest.approx(out["logs"][1], rel=1e-6)
    # the salt scored as given differs
    assert plain.column("logs")[0].as_py() != pytest.approx(out["logs"][0], rel=1e-4)
    assert "scored_smiles" not in plain.column_names


def test_onnx_export_of_every_seed_reproduces_the_python_predictions(tiny_run, tmp_path):
    """Environment-id embeddings included (rich_morgan features): each seed's ONNX model in
    onnxruntime gives that seed's predictions from the training path, to 1e-5."""
    import onnxruntime

    ctx = tiny_run(overrides=("run.seeds=[0,1]", "features.atoms=rich_morgan"))
    for seed in (0, 1):
        train_role(ROLES["mlp"], seed, ctx, fit_local)
    members = load_model(ctx.out / "mlp")
    paths = export_onnx(members, tmp_path / "export")
    assert [p.name for p in paths] == ["seed_0.onnx", "seed_1.onnx"]
    smiles = ["CCO", "c1ccccc1C(=O)O", "CCCl", "C[C@H](N)C(=O)O", "[NH4+].[Cl-]", "c1cc[nH]c1"]
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    x = members[0].featurizer.atoms.many(mols)
    sizes = np.array([m.GetNumAtoms() for m in mols], dtype=np.int64)
    assert members[0].featurizer.atoms.id_columns > 0 and np.any(x[:, -1] > 0)
    outputs = []
    for member, path in zip(members, paths):
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        (got,) = session.run(None, {"x": x, "sizes": sizes})
        assert np.allclose(got, member.predict(smiles)[0], atol=1e-5, rtol=0)
        outputs.append(got)
    assert not np.allclose(outputs[0], outputs[1])  # two seeds, two models
    manifest = json.loads((tmp_path / "export" / "export.json").read_text())
    assert [m["file"] for m in manifest["models"]] == ["seed_0.onnx", "seed_1.onnx"]
    assert (tmp_path / "export" / "featurizer.json").is_file()


def test_export_refuses_a_gnn(tiny_run, tmp_path):
    ctx = tiny_run("logs")
    train_role(ROLES["gnn"], 0, ctx, fit_local)
    with pytest.raises(InputError, match="graph-free"):
        export_onnx(load_model(ctx.out / "gnn"), tmp_path / "export")


def test_a_molecule_the_featurizer_rejects_is_an_error_row(tiny_run, monkeypatch):
    ctx = tiny_run("logs")
    train_role(ROLES["mlp"], 0, ctx, fit_local)
    scorer = Scorer.from_path(ctx.out / "mlp")
    real = scorer.featurizer.atoms.many

    def many(mols):
        if any(m.GetNumAtoms() == 7 for m in mols):  # phenol
            raise RuntimeError("cannot type this atom")
        return real(mols)

    monkeypatch.setattr(scorer.featurizer.atoms, "many", many)
    table = scorer.score([None] * 3, ["CCO", "c1ccccc1O", "CC(=O)O"]).to_pydict()
    assert table["error"] == [
        None,
        "featurization failed: RuntimeError: cannot type this atom",
        None,
    ]
    assert table["logs"][1] is None and None not in (table["logs"][0], table["logs"][2])


def test_an_ensemble_student_screens_and_exports_as_its_members_mean(tiny_run, tmp_path):
    import onnxruntime

    ctx = tiny_run(overrides=("student.members=2", "features.atoms=rich_morgan"))
    train_role(ROLES["mlp"], 0, ctx, fit_local)
    (member,) = load_model(ctx.out / "mlp")
    smiles = ["CCO", "c1ccccc1C(=O)O", "CCCl", "[NH4+].[Cl-]"]
    want = member.predict(smiles)[0]  # the module as trained: its members' mean
    folded = Scorer([member]).score([None] * 4, smiles).to_pydict()["active"]
    assert np.allclose(folded, want[:, 0], atol=1e-5, rtol=0)
    (path,) = export_onnx([member], tmp_path / "export")
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    x = member.featurizer.atoms.many(mols)
    sizes = np.array([m.GetNumAtoms() for m in mols], dtype=np.int64)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"x": x, "sizes": sizes})
    assert np.allclose(got, want, atol=1e-5, rtol=0)
