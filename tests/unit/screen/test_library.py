"""The library readers: every input row keeps its position, whatever the format."""

import gzip

import pandas as pd
import pyarrow as pa
import pytest

from gallon.errors import InputError
from gallon.screen import library
from gallon.screen.library import (
    check_columns,
    csv_blocks,
    library_files,
    parquet_blocks,
    smi_blocks,
)


def _all(blocks) -> dict:
    return pa.concat_tables(list(blocks)).to_pydict()


def test_smi_lines_keep_their_line_numbers_blank_lines_included(tmp_path):
    path = tmp_path / "lib.smi.gz"
    with gzip.open(path, "wt") as f:
        f.write("CCO mol-1\nc1ccccc1\n\nCCN  name with spaces\n")
    assert _all(smi_blocks(path)) == {
        "row": [0, 1, 2, 3],
        "id": ["mol-1", None, None, "name with spaces"],
        "smiles": ["CCO", "c1ccccc1", "", "CCN"],
    }


def test_csv_rows_are_numbered_across_blocks_and_ids_read_as_text(tmp_path, monkeypatch):
    monkeypatch.setattr(library, "CSV_BLOCK_BYTES", 4096)
    n = 10_000  # ~30 blocks
    frame = pd.DataFrame({"smi": ["CCO"] * n, "cid": range(n), "other": [1.5] * n})
    frame.loc[5, "smi"] = None
    path = tmp_path / "lib.csv"
    frame.to_csv(path, index=False)
    blocks = list(csv_blocks(path, "smi", "cid"))
    assert len(blocks) > 10
    got = _all(blocks)
    assert got["row"] == list(range(n)) and got["id"] == [str(i) for i in range(n)]
    assert got["smiles"][5] == "" and set(got) == {"row", "id", "smiles"}
    assert _all(csv_blocks(path, "smi", None))["id"] == [None] * n


def test_parquet_files_are_numbered_per_file(tmp_path, monkeypatch):
    monkeypatch.setattr(library, "BLOCK_ROWS", 4)
    folder = tmp_path / "lib"
    folder.mkdir()
    for k in (0, 1):
        pd.DataFrame({"smiles": ["C"] * 10}).to_parquet(folder / f"part-{k}.parquet")
    (folder / "_SUCCESS").write_text("")  # another tool's marker is not a library file
    kind, files = library_files(folder)
    assert kind == "parquet" and [f.name for f in files] == ["part-0.parquet", "part-1.parquet"]
    got = _all(parquet_blocks(files[1], "smiles", None, "part-1.parquet"))
    assert got["row"] == list(range(10)) and set(got["file"]) == {"part-1.parquet"}


def test_missing_columns_are_named(tmp_path):
    path = tmp_path / "lib.csv"
    path.write_text("SMILES,name\nCCO,a\n")
    with pytest.raises(InputError, match="no column 'smiles'; it has SMILES, name"):
        check_columns(path, "csv", "smiles", None)
    with pytest.raises(InputError, match="no id column 'cid'"):
        check_columns(path, "csv", "SMILES", "cid")
    with pytest.raises(InputError, match="does not exist"):
        library_files(tmp_path / "nothing.csv")


def test_a_folder_skips_hidden_and_staging_files_and_names_rows_by_file(tmp_path):
    folder = tmp_path / "lib"
    (folder / "_temporary" / "0").mkdir(parents=True)
    (folder / ".ipynb_checkpoints").mkdir()
    pd.DataFrame({"smiles": ["C"] * 3}).to_parquet(folder / "part-0.parquet")
    pd.DataFrame({"smiles": ["C"] * 3}).to_parquet(folder / "_temporary" / "0" / "part-0.parquet")
    pd.DataFrame({"smiles": ["C"] * 3}).to_parquet(folder / ".ipynb_checkpoints" / "x.parquet")
    _, files = library_files(folder)
    assert files == [folder / "part-0.parquet"]  # no row is read twice


def test_smi_with_a_bom_and_a_stray_byte_still_reads_every_line(tmp_path):
    path = tmp_path / "lib.smi"
    path.write_bytes(b"\xef\xbb\xbfCCO a\nCCN caf\xe9\nCCC\n")
    got = _all(smi_blocks(path))
    assert got["row"] == [0, 1, 2] and got["smiles"] == ["CCO", "CCN", "CCC"]
    assert got["id"][1].startswith("caf")


def test_unreadable_csv_is_one_sentence(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="cannot be read"):
        check_columns(empty, "csv", "smiles", None)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("smiles,name\nCCO,a\nCCN,b,extra\n")
    with pytest.raises(InputError, match=r"cannot be read \(block from data row"):
        _all(csv_blocks(ragged, "smiles", "name"))
