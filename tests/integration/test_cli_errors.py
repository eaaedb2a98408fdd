"""Bad input and bad configuration: exit code 2, one sentence on stderr, no traceback, no Ray.

The cases call run_all's `main` in this process (each would otherwise pay a Python start-up for
a check that ends before Ray); one case runs the script itself, for the exit status."""

import logging

import pandas as pd
import pytest

from gallon import cli
from gallon.commands import run as run_all

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


@pytest.fixture
def own_logging():
    """Take gallon's log handlers off the root logger after an in-process job (they write to
    this test's captured stderr, which pytest closes)."""
    yield
    root = logging.getLogger()
    for key in list(cli._HANDLERS):
        handler = cli._HANDLERS.pop(key)
        root.removeHandler(handler)
        handler.close()


@pytest.mark.parametrize("case", CASES)
def test_bad_input_exits_2_with_one_sentence(case, tmp_path, capsys, own_logging):
    import ray

    make_args, message = CASES[case]
    code = run_all.main([*make_args(tmp_path), "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 2, err[-2000:]
    lines = [line for line in err.strip().splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and message in lines[0]
    assert "Traceback" not in err
    assert not ray.is_initialized()  # it ended before Ray started


def test_the_script_exits_2_with_the_sentence(tmp_path):
    proc = run_job("run_all.py", "--set", "gnn.hiden=3", "--out", str(tmp_path / "run"))
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = [line for line in proc.stderr.strip().splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "unknown config key 'gnn.hiden'" in lines[0]
    assert "Traceback" not in proc.stderr
