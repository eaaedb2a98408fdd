import json
import shutil
import subprocess
import sys

import pytest

from gallon.artifacts import FEATURIZER, HPARAMS, describe_model, load_model
from gallon.errors import InputError
from gallon.roles import ROLES
from gallon.train.loop import fit_local
from gallon.train.stage import train_role


def test_seed_folders_load_as_ensemble_without_pickle(tiny_run, monkeypatch):
    ctx = tiny_run(overrides=("run.seeds=[0,1]",))
    for seed in (0, 1):
        train_role(ROLES["mlp"], seed, ctx, fit_local)
    import torch

    def no_pickle(*a, **k):
        raise AssertionError("artifacts must not be unpickled")

    monkeypatch.setattr(torch, "load", no_pickle)
    members = load_model(ctx.out / "mlp")
    assert [m.hparams["seed"] for m in members] == [0, 1]
    pred, _ = members[1].predict(["CCO"])
    assert pred.shape == (1, 1)


def test_mismatched_members_and_missing_model(tiny_run, tmp_path):
    ctx = tiny_run()
    train_role(ROLES["mlp"], 0, ctx, fit_local)
    mixed = tmp_path / "mixed"
    shutil.copytree(ctx.out / "mlp" / "seed_0", mixed / "a")
    shutil.copytree(ctx.out / "mlp" / "seed_0", mixed / "b")
    hp = json.loads((mixed / "b" / HPARAMS).read_text())
    hp["targets"] = ["other"]
    (mixed / "b" / HPARAMS).write_text(json.dumps(hp))
    with pytest.raises(InputError, match="different targets"):
        load_model(mixed)
    with pytest.raises(InputError, match="no model found"):
        load_model(tmp_path / "empty")


def test_describe_model_checks_members_without_importing_torch(tiny_run, tmp_path):
    ctx = tiny_run()
    train_role(ROLES["mlp"], 0, ctx, fit_local)
    code = (
        "import sys; from gallon.artifacts import describe_model; "
        f"m = describe_model({str(ctx.out / 'mlp')!r}); "
        "assert m[0]['model']['name'] == 'atom_mlp'; "
        "assert 'torch' not in sys.modules, 'the screening driver must stay light'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    mixed = tmp_path / "mixed"
    shutil.copytree(ctx.out / "mlp" / "seed_0", mixed / "a")
    shutil.copytree(ctx.out / "mlp" / "seed_0", mixed / "b")
    spec = json.loads((mixed / "b" / FEATURIZER).read_text())
    spec["atoms"]["name"] = "pyg"
    (mixed / "b" / FEATURIZER).write_text(json.dumps(spec))
    with pytest.raises(InputError, match="different featurizers"):
        describe_model(mixed)
