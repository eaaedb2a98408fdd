"""What distillation is for: the student moves towards its teacher, test labels never matter,
and the transfer set never holds a validation or test molecule or scaffold."""

import dataclasses

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import torch

from gallon.config.loader import from_dict
from gallon.config.schema import Config
from gallon.data.splits import scaffold_of
from gallon.data.transfer import brics_analogues, transfer_pool
from gallon.roles import ROLES
from gallon.train.loop import LocalSession, fit_local, run_loop
from gallon.train.stage import train_role
from gallon.train.tasks import get_task, predict

TINY = ("run.reuse=false", "student.train.epochs=30", "gnn.train.epochs=30")


def _with(ctx, **distill):
    cfg = from_dict(Config, {"distill": distill}, base=ctx.cfg)
    return dataclasses.replace(ctx, cfg=cfg, _data={})


def _last_outputs(ctx, role):
    """Outputs of the weights after the last epoch (the best-validation ones would hide the
    pull: validation scores against the labels, which the teacher here contradicts)."""
    spec = {**role.spec(ctx, 0), "name": "s"}
    session = LocalSession()
    run_loop(spec, session)
    task = get_task(spec["kind"])
    model = task.build_model(spec)
    weights = {k[len("model.") :]: v for k, v in session.saved["module"].items()}
    model.load_state_dict({k: v for k, v in weights.items() if k in model.state_dict()})
    out, _ = predict(task, model, ctx.dataset(spec))
    return out


def test_a_strong_teacher_term_pulls_the_student_towards_the_teacher(tiny_run):
    ctx = tiny_run("logs", TINY)
    train_role(ROLES["gnn"], 0, ctx, fitter=fit_local)
    # a teacher that disagrees with the labels: 3 standard deviations above every molecule's
    path = ctx.predictions_path("gnn", 0)
    table = pq.read_table(path)
    teacher = np.full((table.num_rows, 1), 3.0)
    pq.write_table(table.set_column(2, "output", pa.array(teacher.tolist())), path)
    gaps = {}
    for alpha in (0.0, 10.0):
        run = _with(ctx, alpha=alpha, kind="label")
        gaps[alpha] = float(np.abs(_last_outputs(run, ROLES["student"]) - teacher).mean())
    assert gaps[10.0] < 0.5 * gaps[0.0]


def test_test_labels_cannot_influence_training(tiny_run):
    ctx = tiny_run("logs", TINY)
    spec = ROLES["mlp"].spec(ctx, 0)
    first = fit_local(spec)
    # the same run with every test label replaced by NaN
    path = ctx.out / "molecules.parquet"
    table = pq.read_table(path)
    test = set(ctx.splits["test"])
    y = [
        [float("nan")] if r in test else v
        for r, v in zip(table["row"].to_pylist(), table["y"].to_pylist())
    ]
    pq.write_table(table.set_column(2, "y", pa.array(y, pa.list_(pa.float64()))), path)
    second = fit_local(spec)
    assert all(torch.equal(first.best_state[k], second.best_state[k]) for k in first.best_state)
    curve = lambda r: [e["val_rmse"] for e in r.summary["history"]]  # noqa: E731
    assert curve(first) == curve(second)


def test_transfer_set_holds_no_held_out_molecule_or_scaffold():
    own = ["c1ccccc1O", "CCO", "C1CCCCC1"]
    held_out = ["c1ccccc1O", "C1CCCCC1"]  # benzene and cyclohexane scaffolds are barred
    candidates = ["Oc1ccccc1", "c1ccccc1N", "CCCO", "C1CCCCC1N", "c1ccncc1", "CCO", "C1CCOC1"]
    pool = transfer_pool(own, held_out, 100, 0, candidates)
    assert set(pool) == {"CCCO", "c1ccncc1", "C1CCOC1"}
    barred = {scaffold_of(s) for s in held_out}
    assert not {scaffold_of(s) for s in pool} & barred
    assert not set(pool) & set(own)
    assert transfer_pool(own, held_out, 2, 0, candidates) == transfer_pool(
        own, held_out, 2, 0, candidates
    )


def test_brics_analogues_are_new_valid_molecules_and_leak_free_after_the_filter():
    from rdkit import Chem

    train = ["CCOc1ccccc1C(=O)NC1CC1", "Clc1ccc(OCC(=O)O)cc1", "CN(C)CCc1c[nH]c2ccccc12"]
    made = brics_analogues(train, 30, seed=0)
    assert len(made) == len(set(made)) >= 10
    assert set(made) - {Chem.CanonSmiles(s) for s in train}  # new molecules, not the inputs
    sizes = [Chem.MolFromSmiles(s).GetNumHeavyAtoms() for s in train]
    for s in made:  # canonical, valid, and within the training molecules' size range
        mol = Chem.MolFromSmiles(s)
        assert mol is not None and Chem.MolToSmiles(mol) == s
        assert min(sizes) <= mol.GetNumHeavyAtoms() <= max(sizes)
    assert brics_analogues(train, 30, seed=0) == made
    assert brics_analogues(train, 30, seed=1) != made
    held_out = ["c1ccccc1OC", "C1CC1N"]  # the benzene and cyclopropane scaffolds are barred
    pool = transfer_pool(train, held_out, 100, 0, made)
    assert pool and not {scaffold_of(s) for s in pool} & {scaffold_of(s) for s in held_out}
    assert brics_analogues([], 5) == [] and brics_analogues(["CCO"], 5) == []  # no fragments


def test_similar_transfer_pool_takes_the_nearest_leak_free_candidates():
    own = ["CCCCO", "c1ccccc1O"]
    held_out = ["c1ccccc1O"]  # the benzene scaffold is barred
    candidates = ["c1ccc2ccccc2c1", "CCCCCO", "c1ccccc1CCCCO", "C1CCNCC1", "CCCCCCO", "CCCCO"]
    pool = transfer_pool(own, held_out, 2, 0, candidates, near=["CCCCO"])
    assert pool == ["CCCCCO", "CCCCCCO"]  # the alcohols, most similar first; benzenes barred
    # whatever the seed, the nearest are chosen; a random draw would not always take them
    assert all(transfer_pool(own, held_out, 2, s, candidates, near=["CCCCO"]) == pool
               for s in range(5))  # fmt: skip
    assert not {scaffold_of(s) for s in pool} & {scaffold_of(s) for s in held_out}


def test_graph_free_models_read_their_own_features(tiny_run):
    """A student on `features.student_atoms` trains, predicts and saves with those features,
    while the GNN keeps the run's; nothing of the transfer set reaches the predictions."""
    from gallon.features.graphs import GraphFeaturizer, featurize_smiles
    from gallon.features.stage import FeatureSet
    from gallon.io import read_json, write_json, write_table

    ctx = tiny_run("logs", (*TINY, "features.student_atoms=rich_morgan"))
    featurizer = GraphFeaturizer("rich_morgan")
    mols = pq.read_table(ctx.out / "molecules.parquet")
    table, _ = featurize_smiles(mols["row"].to_pylist(), mols["smiles"].to_pylist(), featurizer)
    folder = ctx.out / "student_features"
    write_table(table, folder / "features" / "part-0.parquet")
    write_json(featurizer.spec(), folder / "features.json")
    ctx = dataclasses.replace(
        ctx, student_features=FeatureSet(folder / "features", featurizer.spec(), None)
    )
    gnn = train_role(ROLES["gnn"], 0, ctx, fitter=fit_local)
    student = train_role(ROLES["student"], 0, ctx, fitter=fit_local)
    assert ROLES["student"].spec(ctx, 0)["model"]["id_columns"] == 3
    assert ROLES["gnn"].spec(ctx, 0)["model"]["id_columns"] == 0
    saved = read_json(ctx.out / "student" / "seed_0" / "featurizer.json")
    assert saved["atoms"]["name"] == "morgan" and saved["atoms"]["dense"] == "rich"
    rows = pq.read_table(ctx.predictions_path("student", 0))["row"].to_pylist()
    assert sorted(rows) == sorted(mols["row"].to_pylist())
    assert set(gnn.metrics) == set(student.metrics) == {"train", "val", "test"}
