import numpy as np
import pyarrow as pa
import pytest
import torch
from rdkit import Chem

from gallon.artifacts import load_model
from gallon.errors import InputError
from gallon.roles import ROLES
from gallon.screen.export import export_torchscript
from gallon.screen.library import library_rows
from gallon.screen.predict import Scorer
from gallon.train.loop import fit_local
from gallon.train.stage import train_role

LIBRARY = ["CCO", "not-a-smiles", "", "c1ccccc1O", "[Na+].[Cl-]", "CC(=O)O"]


def _trained(ctx, *roles):
    for seed in (0, 1):
        for role in roles:
            train_role(ROLES[role], seed, ctx, fit_local)


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


def test_gnn_teacher_scores_through_the_same_path(tiny_run):
    ctx = tiny_run()
    train_role(ROLES["gnn"], 0, ctx, fit_local)
    (member,) = load_model(ctx.out / "gnn")
    table = Scorer([member]).score([None] * 3, ["CCO", "c1ccncc1", "C1CC"]).to_pydict()
    assert np.allclose(table["active"][:2], member.predict(["CCO", "c1ccncc1"])[0][:, 0], atol=1e-6)
    assert "active_std" not in table
    with pytest.raises(InputError, match="graph-free students only"):
        Scorer([member], precision="bf16")


def test_library_rows():
    text = pa.table({"text": ["CCO mol-1", "c1ccccc1", "", "CCN  name with spaces"]})
    lines = library_rows(text, kind="smi", smiles="text", ident=None)
    assert lines.to_pydict() == {
        "id": ["mol-1", None, None, "name with spaces"],
        "smiles": ["CCO", "c1ccccc1", "", "CCN"],
    }
    table = pa.table({"smi": ["CCO", None], "cid": [7, 8], "other": [1.0, 2.0]})
    sel = library_rows(table, kind="csv", smiles="smi", ident="cid")
    assert sel.to_pydict() == {"id": ["7", "8"], "smiles": ["CCO", ""]}


def test_torchscript_export_matches(tiny_run, tmp_path):
    ctx = tiny_run("logs")
    train_role(ROLES["mlp"], 0, ctx, fit_local)
    (member,) = load_model(ctx.out / "mlp")
    module = torch.jit.load(str(export_torchscript(member, tmp_path / "export")))
    smiles = ["CCO", "c1ccccc1C(=O)O", "CCCl"]
    xs = [member.featurizer.atoms(Chem.MolFromSmiles(s)) for s in smiles]
    x = torch.from_numpy(np.concatenate(xs))
    batch = torch.from_numpy(np.repeat(np.arange(3), [len(a) for a in xs]))
    with torch.no_grad():
        ours = module(x, batch).numpy()
    assert np.allclose(ours, member.predict(smiles)[0], atol=1e-5)
    assert (tmp_path / "export" / "featurizer.json").is_file()
