"""Bad input and bad configuration: exit code 2, one sentence on stderr, no traceback, no Ray."""

import pandas as pd
import pytest

from .conftest import run_job

pytestmark = pytest.mark.integration


def _csv(tmp_path, name, **cols):
    path = tmp_path / name
    pd.DataFrame(cols).to_csv(path, index=False)
    return str(path)


CASES = {
    "missing file": (
        lambda t: ["--dataset", str(t / "nope.csv"), "--targets", "y"],
        "does not exist",
    ),
    "missing column": (
        lambda t: ["--dataset", _csv(t, "a.csv", smiles=["CCO"], y=[1]), "--targets", "label"],
        "has no column(s) 'label'",
    ),
    "non-numeric labels": (
        lambda t: [
            "--dataset",
            _csv(t, "b.csv", smiles=["CCO", "CCN"], y=["0", "x"]),
            "--targets",
            "y",
        ],
        "non-numeric values",
    ),
    "single class": (
        lambda t: [
            "--dataset",
            _csv(t, "c.csv", smiles=["CCO", "CCN"], y=[1, 1]),
            "--targets",
            "y",
            "--task",
            "classification",
        ],
        "single class",
    ),
    "empty dataset": (
        lambda t: ["--dataset", _csv(t, "d.csv", smiles=[], y=[]), "--targets", "y"],
        "has no rows",
    ),
    "unknown key": (lambda t: ["--set", "gnn.hiden=3"], "unknown config key 'gnn.hiden'"),
    "wrong type": (lambda t: ["--set", "distill.alpha=lots"], "must be a number"),
    "unknown model": (
        lambda t: ["--set", "gnn.model=transformer", "--set", "data.subset=50"],
        "names unknown 'transformer'",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_exits_2_with_one_sentence(case, tmp_path):
    make_args, message = CASES[case]
    proc = run_job("run_all.py", *make_args(tmp_path), "--out", str(tmp_path / "run"), timeout=120)
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = [line for line in proc.stderr.strip().splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and message in lines[0]
    assert "Traceback" not in proc.stderr
