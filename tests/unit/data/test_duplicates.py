"""A molecule listed twice with different labels is never trained on silently."""

import numpy as np
import pyarrow as pa
import pytest

from gallon.config.schema import DataConfig, SplitConfig
from gallon.data.duplicates import conflicting_groups, resolve_duplicates
from gallon.data.prepare import prepare


def _molecules(smiles, y):
    return pa.table(
        {
            "row": pa.array(range(len(smiles)), pa.int64()),
            "smiles": smiles,
            "y": pa.array([[v] if np.isscalar(v) else v for v in y], pa.list_(pa.float64())),
        }
    )


def test_contradictory_classification_labels_go_to_the_errors_table():
    mols = _molecules(["CCO", "c1ccccc1", "CCO", "CCN", "CCN"], [1.0, 0.0, 0.0, 1.0, 1.0])
    kept, errors, warnings = resolve_duplicates(mols, "classification", "drop")
    assert kept.column("row").to_pylist() == [1, 3, 4]  # CCN agrees with itself: kept
    assert errors.column("row").to_pylist() == [0, 2] and len(warnings) == 0
    reason = errors.column("reason")[0].as_py()
    assert "row 0: 1" in reason and "row 2: 0" in reason
    assert set(errors.column("stage").to_pylist()) == {"duplicates"}


def test_keep_trains_on_them_and_lists_them_as_warnings():
    mols = _molecules(["CCO", "c1ccccc1", "CCO"], [1.0, 0.0, 0.0])
    kept, errors, warnings = resolve_duplicates(mols, "classification", "keep")
    assert kept.num_rows == 3 and len(errors) == 0
    assert warnings.column("row").to_pylist() == [0, 2]


def test_regression_replicates_are_kept_and_listed():
    mols = _molecules(["CCO", "CCO", "CCC"], [-1.64, -1.74, 0.3])
    kept, errors, warnings = resolve_duplicates(mols, "regression", "drop")
    assert kept.num_rows == 3 and len(errors) == 0
    assert "replicate measurements" in warnings.column("reason")[0].as_py()


def test_missing_labels_do_not_count_as_a_conflict():
    y = np.array([[1.0, np.nan], [1.0, 0.0], [np.nan, 1.0]])
    assert conflicting_groups(["C", "C", "C"], y) == [[0, 1, 2]]  # target 2: 0 vs 1
    assert conflicting_groups(["C", "C"], y[:2]) == []


@pytest.mark.parametrize(("policy", "dropped"), [("drop", 20), ("keep", 0)])
def test_bbbp_contradictions(policy, dropped):
    kept = prepare(DataConfig(dataset="bbbp", conflicting_labels=policy), SplitConfig())
    rows = {r for split in kept.splits.values() for r in split}
    duplicates = kept.errors.filter(pa.compute.equal(kept.errors.column("stage"), "duplicates"))
    assert len(duplicates) == dropped and not rows & set(duplicates.column("row").to_pylist())
    assert len(kept.warnings) == 20 - dropped
    assert 100 not in rows or policy == "keep"  # aspirin: row 100 says 0, row 1007 says 1
