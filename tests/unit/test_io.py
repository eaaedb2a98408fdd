import pyarrow as pa
import pytest

from gallon.errors import InputError
from gallon.io import read_json, read_table, write_json, write_table


def test_read_table_names_missing_columns(tmp_path):
    path = write_table(pa.table({"row": [1], "smiles": ["C"]}), tmp_path / "t.parquet")
    assert read_table(path, ("row",)).num_rows == 1
    with pytest.raises(InputError, match=r"lacks column\(s\) y, x; it has row, smiles"):
        read_table(path, ("row", "y", "x"))
    with pytest.raises(InputError, match="does not exist"):
        read_table(tmp_path / "nope.parquet")


def test_atomic_writes_leave_no_temp_files(tmp_path):
    write_json({"a": 1}, tmp_path / "x.json")
    write_table(pa.table({"a": [1]}), tmp_path / "x.parquet")
    assert read_json(tmp_path / "x.json") == {"a": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.json", "x.parquet"]


def test_copy_run_parts_copies_files_and_folders_and_skips_missing(tmp_path):
    from gallon.io import copy_run_parts

    src = tmp_path / "run"
    (src / "features").mkdir(parents=True)
    (src / "features" / "part-0.parquet").write_bytes(b"x")
    (src / "config.yaml").write_text("a: 1\n")
    copy_run_parts(src, tmp_path / "copy", ("features", "config.yaml", "absent.json"))
    assert (tmp_path / "copy" / "features" / "part-0.parquet").read_bytes() == b"x"
    assert (tmp_path / "copy" / "config.yaml").read_text() == "a: 1\n"
    assert not (tmp_path / "copy" / "absent.json").exists()
