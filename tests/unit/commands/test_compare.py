"""The chemprop comparison's plumbing, with a stand-in `chemprop` executable (no chemprop needed):
the exported files, the validation scores and --validation-only."""

import json
import stat
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gallon.commands import compare

# Predicts 0.5 for every molecule; `train` also logs that it ran (to count trainings).
FAKE = """#!{python}
import pathlib, sys
import pandas as pd
args = sys.argv[1:]
opt = lambda flag: args[args.index(flag) + 1]
if args[0] == "train":
    out = pathlib.Path(opt("-o")) / "model_0"
    out.mkdir(parents=True)
    (out / "best.pt").write_bytes(b"")
    data, splits = pd.read_csv(opt("-i")), pd.read_json(opt("--splits-file"))
    test = data.iloc[splits["test"][0]].assign(y=0.5)
    test.to_csv(out / "test_predictions.csv", index=False)
    with open(pathlib.Path(opt("-o")).parent / "trainings.log", "a") as log:
        log.write("train\\n")
else:
    pd.read_csv(opt("-i")).assign(y=0.5).to_csv(opt("-o"), index=False)
"""


@pytest.fixture
def run(tmp_path):
    """A finished run folder: 10 molecules of a regression CSV, rows 2 and 5 rejected."""
    source = tmp_path / "input.csv"
    smiles = ["C", "CC", "C1", "CCC", "CCO", "bad", "CCN", "c1ccccc1", "CO", "CCCl"]
    pd.DataFrame({"mol": [f" {s}" for s in smiles], "y": np.arange(10.0)}).to_csv(source)
    folder = tmp_path / "run"
    folder.mkdir()
    rows = [0, 1, 3, 4, 6, 7, 8, 9]
    labels = [[float(r)] for r in rows]
    pq.write_table(pa.table({"row": rows, "y": labels}), folder / "molecules.parquet")
    splits = {"train": [0, 1, 3, 4], "val": [6, 8], "test": [7, 9]}
    (folder / "splits.json").write_text(json.dumps(splits))
    info = {"name": "toy", "source": str(source), "smiles_column": "mol", "targets": ["y"]}
    info |= {"task": "regression", "metric": "rmse"}
    (folder / "dataset.json").write_text(json.dumps(info))
    fake = tmp_path / "chemprop"
    fake.write_text(FAKE.format(python=sys.executable))
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return folder, fake


def test_validation_and_test_are_scored_on_their_own_molecules(run):
    folder, fake = run
    summary = compare.compare(folder, [0, 1], fake)
    val = pd.read_csv(folder / "chemprop" / "val.csv")
    assert val["smiles"].tolist() == ["CCN", "CO"]  # as written in the input, trimmed
    assert val["y"].tolist() == [6.0, 8.0]
    # predictions of 0.5 everywhere: RMSE by hand on each split's labels
    assert summary["val"]["per_seed"] == pytest.approx([np.sqrt((5.5**2 + 7.5**2) / 2)] * 2)
    assert summary["test"]["per_seed"] == pytest.approx([np.sqrt((6.5**2 + 8.5**2) / 2)] * 2)


def test_validation_only_scores_the_models_left_without_training(run):
    folder, fake = run
    compare.compare(folder, [0], fake)
    summary_path = folder / "chemprop" / "summary.json"
    earlier = json.loads(summary_path.read_text())
    del earlier["val"]
    summary_path.write_text(json.dumps(earlier))
    summary = compare.add_validation(folder, [0], fake)
    assert (folder / "chemprop" / "trainings.log").read_text() == "train\n"  # no second training
    assert summary["test"] == earlier["test"]
    assert summary["val"]["per_seed"] == pytest.approx([np.sqrt((5.5**2 + 7.5**2) / 2)])
    assert json.loads(summary_path.read_text())["val"] == summary["val"]


def test_validation_only_needs_an_earlier_comparison(run):
    folder, fake = run
    with pytest.raises(FileNotFoundError, match="run the comparison first"):
        compare.add_validation(folder, [0], fake)


def test_a_seed_finished_earlier_on_the_same_inputs_is_reused(run):
    folder, fake = run
    first = compare.compare(folder, [0], fake)
    again = compare.compare(folder, [0, 1], fake)  # seed 0 reused, seed 1 trained
    log = folder / "chemprop" / "trainings.log"
    assert log.read_text() == "train\n" * 2
    assert again["test"]["per_seed"][0] == first["test"]["per_seed"][0]
    assert again["train_seconds"]["per_seed"][0] == first["train_seconds"]["per_seed"][0]


def test_a_changed_split_or_an_unfinished_seed_trains_again_keeping_the_old_folder(run):
    folder, fake = run
    compare.compare(folder, [0], fake)
    splits = json.loads((folder / "splits.json").read_text())
    splits["train"], splits["val"] = [0, 1, 3, 6], [4, 8]
    (folder / "splits.json").write_text(json.dumps(splits))
    compare.compare(folder, [0], fake)
    out = folder / "chemprop"
    assert (out / "trainings.log").read_text() == "train\n" * 2
    (earlier,) = out.glob("seed_0.earlier-*")  # moved aside, not deleted
    assert (earlier / "model_0" / "best.pt").is_file()
    (out / "seed_0" / "gallon_trained.json").unlink()  # as if stopped before the marker
    compare.compare(folder, [0], fake)
    assert (out / "trainings.log").read_text() == "train\n" * 3
