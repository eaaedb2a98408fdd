"""jobs/screen.py on a real local Ray: rows in = rows out, sharding, input formats."""

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import threading

import numpy as np
import pandas as pd
import pyarrow.dataset as pads
import pytest

from gallon.roles import ROLES
from gallon.screen.predict import Scorer
from gallon.train.loop import fit_local
from gallon.train.stage import train_role

from .conftest import ROOT, load_json, run_job, run_ok

pytestmark = pytest.mark.integration


def _library(n: int = 300) -> pd.DataFrame:
    base = ["CCO", "c1ccccc1O", "CC(=O)O", "CCN", "c1ccncc1", "ClCC", "OCC(O)CO", "CC(C)O"]
    smiles = [base[i % len(base)] + "C" * (i % 5) for i in range(n)]
    smiles[10], smiles[25], smiles[35] = "C1CC", "", "not a smiles"
    return pd.DataFrame({"compound": [f"c{i}" for i in range(n)], "smiles": smiles})


def _read(out):
    return pads.dataset(str(out), format="parquet").to_table().to_pandas()


def _on_a_terminal(script: str, *args: str) -> tuple[int, str]:
    """Run jobs/<script> with its stderr on a pseudo-terminal, as a user at a shell sees it;
    returns the exit status and what the terminal received."""
    master, slave = pty.openpty()
    # a terminal of 100 × 30, as a shell's (a fresh pty is 0 × 0: tqdm would draw nothing)
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    received: list[bytes] = []

    def drain() -> None:  # read while it runs: a full pty buffer would block the job
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the job closed its end
                return
            if not chunk:
                return
            received.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    proc = subprocess.run(
        [sys.executable, str(ROOT / "jobs" / script), *args],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=slave, timeout=600,
    )  # fmt: skip
    os.close(slave)
    reader.join(10)
    os.close(master)
    return proc.returncode, b"".join(received).decode(errors="replace")


def test_sharded_gz_csv_rows_in_equal_rows_out_and_match_one_process(tiny_run, tmp_path):
    ctx = tiny_run(overrides=("run.seeds=[0,1]",))
    for seed in (0, 1):
        train_role(ROLES["mlp"], seed, ctx, fit_local)
    lib = _library()
    path = tmp_path / "lib.csv.gz"
    lib.to_csv(path, index=False, compression="gzip")
    out = tmp_path / "preds"
    code, shown = _on_a_terminal(
        "screen.py",
        "--model",
        str(ctx.out / "mlp"),
        "--input",
        str(path),
        "--id-column",
        "compound",
        "--output",
        str(out),
        "--batch-size",
        "32",
        "--workers",
        "2",
    )
    assert code == 0, shown[-3000:]
    # the progress bar: both actors' batches counted, against the library's 300 rows
    assert "screening" in shown and "300/300" in shown and "mol/s" in shown
    # and nothing of Ray's: its own lines and the actors' went to the output's _ray.log
    assert "Started a local Ray" not in shown and "core_worker" not in shown
    assert "core_worker" in (out / "_ray.log").read_text()
    got = _read(out)
    summary = load_json(out / "_summary.json")
    assert len(got) == len(lib) == summary["rows"] and summary["errors"] == 3
    assert sorted(got["compound" if "compound" in got else "id"]) == sorted(lib["compound"])
    bad = got[got["error"].notna()].sort_values("id")
    assert bad["id"].tolist() == ["c10", "c25", "c35"] and bad["active"].isna().all()
    ref = (
        Scorer.from_path(ctx.out / "mlp")
        .score(lib["compound"].tolist(), lib["smiles"].fillna("").tolist())
        .to_pandas()
    )
    merged = got.merge(ref, on="id", suffixes=("", "_ref"))
    assert len(merged) == len(lib)
    assert np.allclose(merged["active"], merged["active_ref"], equal_nan=True, atol=1e-6)
    assert np.allclose(merged["active_std"], merged["active_std_ref"], equal_nan=True, atol=1e-6)


def test_smi_and_parquet_folder_inputs(tiny_run, tmp_path):
    ctx = tiny_run("logs")
    train_role(ROLES["mlp"], 0, ctx, fit_local)
    lib = _library(40)
    smi = tmp_path / "lib.smi"
    smi.write_text("".join(f"{s} {c}\n" for s, c in zip(lib["smiles"], lib["compound"])))
    proc = run_ok(
        "screen.py",
        "--model",
        str(ctx.out / "mlp" / "seed_0"),
        "--input",
        str(smi),
        "--output",
        str(tmp_path / "a"),
        "--workers",
        "1",
        "--csv",
    )
    assert "mol/s" not in proc.stderr  # no terminal, no bar: the summary is the record
    folder = tmp_path / "parquet"
    folder.mkdir()
    lib.iloc[:20].to_parquet(folder / "part-0.parquet")
    lib.iloc[20:].to_parquet(folder / "part-1.parquet")
    run_ok(
        "screen.py",
        "--model",
        str(ctx.out / "mlp" / "seed_0"),
        "--input",
        str(folder),
        "--id-column",
        "compound",
        "--output",
        str(tmp_path / "b"),
    )
    a, b = _read(tmp_path / "a"), _read(tmp_path / "b")
    assert len(a) == len(b) == 40
    # no id column: each output row names its input line, so predictions join back
    assert sorted(a["row"]) == list(range(40)) and a["id"].isna().sum() == 1
    by_row = a.set_index("row")
    assert by_row.loc[3, "smiles"] == lib["smiles"][3] and by_row.loc[7, "id"] == "c7"
    csv = pd.read_csv(tmp_path / "a" / "_predictions.csv")
    assert csv["row"].tolist() == list(range(40))  # input order
    assert np.allclose(csv["logs"], by_row.loc[csv["row"], "logs"], equal_nan=True)
    # a folder of Parquet files: (file, row) identifies the input row
    assert sorted(zip(b["file"], b["row"])) == [
        (f"part-{k}.parquet", i) for k in (0, 1) for i in range(20)
    ]
    merged = a.merge(b, on="id")
    # In .smi the first whitespace-separated field is the SMILES: the blank SMILES line has no id
    # and "not a smiles c35" reads as SMILES "not" with id "a smiles c35"; the other 38 agree.
    assert len(merged) == 38 and np.allclose(merged["logs_x"], merged["logs_y"], equal_nan=True)
    assert b["error"].notna().sum() == 3 and a["error"].notna().sum() == 3


def test_bad_libraries_end_with_one_sentence_and_keep_the_previous_output(tiny_run, tmp_path):
    """A malformed line deep in a CSV fails inside a Ray read task: still exit 2 and one
    sentence. A wrong --smiles-column is refused before the previous output is replaced."""
    ctx = tiny_run("logs")
    train_role(ROLES["mlp"], 0, ctx, fit_local)
    previous = tmp_path / "preds"
    previous.mkdir()
    (previous / "_summary.json").write_text("{}")
    (previous / "part-0.parquet").write_bytes(b"from an earlier screen")
    good = tmp_path / "good.csv"
    _library(40).to_csv(good, index=False)
    base = ["--model", str(ctx.out / "mlp"), "--output", str(previous)]
    proc = run_job("screen.py", *base, "--input", str(good), "--smiles-column", "SMILES")
    assert proc.returncode == 2 and "has no column 'SMILES'" in proc.stderr
    assert (previous / "part-0.parquet").read_bytes() == b"from an earlier screen"
    bad = tmp_path / "bad.csv"
    rows = "".join(f"c{i},CCO{'C' * (i % 7)}\n" for i in range(6000))  # past the header check
    bad.write_text("compound,smiles\n" + rows + "c6000,CCO,extra\n")
    proc = run_job("screen.py", *base, "--input", str(bad), "--output", str(tmp_path / "b"))
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert len(errors) == 1 and "cannot be read (block from data row" in errors[0], proc.stderr[
        -3000:
    ]
    assert "Traceback" not in proc.stderr
