import numpy as np
import pandas as pd
import pytest

from gallon.config import DataConfig, SplitConfig
from gallon.data.loading import clean_molecules, read_dataset
from gallon.data.prepare import prepare, write_prepared
from gallon.errors import InputError


def load(**kw):
    info, df = read_dataset(DataConfig(**kw))
    return info, clean_molecules(info, df)


def test_bundled_dataset_registry_entry():
    info, df = read_dataset(DataConfig(dataset="bbbp"))
    assert (info.task, info.metric, info.targets, info.smiles_column) == (
        "classification",
        "roc_auc",
        ("p_np",),
        "smiles",
    )
    assert len(df) == 2050


def test_bundled_esol_strips_whitespace_and_canonicalises():
    info, (mols, errors) = load(dataset="esol")
    assert info.task == "regression" and len(errors) == 0
    smiles = mols.column("smiles").to_pylist()
    assert not any(s != s.strip() for s in smiles)
    assert len(mols) == 1128


def test_user_csv_with_bad_rows_records_each(write_csv):
    path = write_csv(
        "u.csv",
        smi=["CCO", "C1CC", "", "c1ccccc1", "CC(C)(C)(C)(C)C", "OCC"],
        y=[1, 0, 1, None, 0, 0],
    )
    info, (mols, errors) = load(dataset=str(path), smiles_column="smi", targets=("y",))
    assert info.task == "classification"  # inferred from 0/1 labels
    assert mols.column("row").to_pylist() == [0, 5]
    assert mols.column("smiles").to_pylist() == ["CCO", "CCO"]  # canonical form of "OCC"
    reasons = dict(zip(errors.column("row").to_pylist(), errors.column("reason").to_pylist()))
    assert reasons[1].startswith("SMILES syntax error")
    assert reasons[2] == "empty SMILES"
    assert reasons[3] == "no label for any target"
    assert reasons[4].startswith("invalid molecule:") and "valence" in reasons[4].lower()
    assert set(errors.column("stage").to_pylist()) == {"load"}


def test_multitask_missing_labels_are_kept_as_nan(write_csv):
    path = write_csv(
        "m.csv", smiles=["CCO", "CCN", "CCC", "CCCl"], a=[1, 0, None, 1], b=[None, 1, 0, 0]
    )
    _, (mols, errors) = load(dataset=str(path), targets=("a", "b"), task="classification")
    y = np.array(mols.column("y").to_pylist())
    assert y.shape == (4, 2) and np.isnan(y[0, 1]) and np.isnan(y[2, 0]) and len(errors) == 0


def test_parquet_input(tmp_path):
    path = tmp_path / "d.parquet"
    pd.DataFrame({"smiles": ["CCO", "CCN", "CCC"], "v": [0.1, 0.2, 0.5]}).to_parquet(path)
    info, (mols, _) = load(dataset=str(path), targets=("v",))
    assert info.task == "regression" and len(mols) == 3


@pytest.mark.parametrize(
    "columns, kwargs, message",
    [
        (None, {"dataset": "/nonexistent/file.csv", "targets": ("y",)}, "does not exist"),
        (None, {"dataset": "nosuchdataset"}, "unknown dataset 'nosuchdataset'"),
        ({"smi": ["CCO"], "y": [1]}, {"targets": ("y",)}, "has no 'smiles' column"),
        ({"smiles": ["CCO"], "y": [1]}, {"targets": ("z",)}, "has no column(s) 'z'"),
        (
            {"smiles": ["CCO", "CCN"], "y": ["1", "high"]},
            {"targets": ("y",)},
            "non-numeric values, e.g. 'high'",
        ),
        (
            {"smiles": ["CCO", "CCN"], "y": [1, 1]},
            {"targets": ("y",), "task": "classification"},
            "single class",
        ),
        (
            {"smiles": ["CCO", "CCN"], "y": [0, 2]},
            {"targets": ("y",), "task": "classification"},
            "0/1 labels",
        ),
        ({"smiles": ["C1CC", "xx"], "y": [0, 1]}, {"targets": ("y",)}, "no usable molecules"),
        ({"smiles": [], "y": []}, {"targets": ("y",)}, "has no rows"),
        (
            {"smiles": ["CCO", "CCN"], "y": [2.0, 2.0]},
            {"targets": ("y",), "task": "regression"},
            "is constant",
        ),
        ({"smiles": ["CCO"], "y": [1]}, {}, "needs --targets"),
    ],
)
def test_bad_inputs_raise_one_sentence(write_csv, columns, kwargs, message):
    if columns is not None:
        kwargs = {"dataset": str(write_csv("bad.csv", **columns)), **kwargs}
    with pytest.raises(InputError) as err:
        load(**kwargs)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_unreadable_file(tmp_path):
    path = tmp_path / "x.parquet"
    path.write_text("not parquet")
    with pytest.raises(InputError, match="cannot be read"):
        load(dataset=str(path), targets=("y",))


def test_subset_is_seeded_and_sorted(tiny_csv):
    cfg = DataConfig(dataset=str(tiny_csv), smiles_column="smi", targets=("active",), subset=10)
    a = prepare(cfg, SplitConfig(method="random", seed=0))
    b = prepare(cfg, SplitConfig(method="random", seed=0))
    rows = a.molecules.column("row").to_pylist()
    assert len(rows) == 10 and rows == sorted(rows) == b.molecules.column("row").to_pylist()
    assert a.splits == b.splits


def test_prepare_reports_empty_split(tiny_csv):
    cfg = DataConfig(dataset=str(tiny_csv), smiles_column="smi", targets=("logs",), subset=3)
    with pytest.raises(InputError, match="split is empty"):
        prepare(cfg, SplitConfig(method="scaffold"))


def test_an_empty_scaffold_split_names_the_method_that_works(tiny_csv):
    cfg = DataConfig(dataset=str(tiny_csv), smiles_column="smi", targets=("logs",), subset=3)
    with pytest.raises(InputError, match="split.method=random"):
        prepare(cfg, SplitConfig(method="scaffold"))


def test_a_handful_of_molecules_needs_no_split(tiny_csv, tmp_path):
    cfg = DataConfig(dataset=str(tiny_csv), smiles_column="smi", targets=("logs",), subset=6)
    prepared = prepare(cfg, None)
    assert prepared.molecules.num_rows == 6 and prepared.splits == {}
    write_prepared(prepared, None, tmp_path)
    assert (tmp_path / "molecules.parquet").is_file() and not (tmp_path / "splits.json").exists()
