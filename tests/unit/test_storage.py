"""Storage: the same operations on a local folder and on a pyarrow.fs URI (file://)."""

import pyarrow as pa
import pytest

from gallon.errors import ConfigError
from gallon.explain.cache import ExplanationCache
from gallon.io import read_table
from gallon.storage import Storage, is_uri


@pytest.fixture(params=["path", "uri"])
def location(request, tmp_path) -> str:
    folder = tmp_path / "shared"
    return str(folder) if request.param == "path" else f"file://{folder}"


def test_write_list_read_delete(location):
    store = Storage(location)
    table = pa.table({"row": [1, 2], "y": [0.5, 1.5]})
    store.write_table(table, "a", "part-1.parquet")
    store.write_table(table, "a", "part-2.parquet")
    assert store.list("a", prefix="part-") == ["part-1.parquet", "part-2.parquet"]
    assert store.read_table("a", "part-1.parquet").equals(table)
    assert read_table(store.uri("a", "part-2.parquet"), ("row", "y")).equals(table)
    assert [n for n in store.list("a") if n.endswith(".tmp")] == []  # nothing half-written
    store.delete("a", "part-1.parquet")
    assert store.list("a") == ["part-2.parquet"] and not store.exists("a", "part-1.parquet")


def test_publish_copies_a_local_folder(location, tmp_path):
    local = tmp_path / "run"
    (local / "predictions" / "gnn").mkdir(parents=True)
    (local / "metrics.json").write_text("{}")
    pa.parquet.write_table(pa.table({"x": [1]}), local / "predictions" / "gnn" / "seed_0.parquet")
    uri = Storage(location).publish(local, "run")
    assert is_uri(uri) == is_uri(location)
    assert read_table(f"{uri}/predictions/gnn/seed_0.parquet", ("x",)).num_rows == 1
    assert Storage(location).exists("run", "metrics.json")


def test_explanation_cache_on_shared_storage(location):
    from gallon.explain.cache import CACHE_SCHEMA

    cache = ExplanationCache(f"{location}/explanations")
    row = {name: None for name in CACHE_SCHEMA.names}
    ok = {**row, "key": "k1", "smiles": "CCO", "explanation": "ethanol", "created": 1.0}
    failed = {**row, "key": "k2", "smiles": "CCN", "error": "timeout", "created": 1.0}
    cache.append(pa.Table.from_pylist([ok, failed], schema=CACHE_SCHEMA))
    assert ExplanationCache(f"{location}/explanations").successful_keys() == {"k1"}


def test_missing_file_on_storage_names_it(location):
    with pytest.raises(Exception, match="does not exist"):
        read_table(f"{Storage(location).uri('nothing.parquet')}")


def test_unknown_scheme_is_one_sentence():
    with pytest.raises(ConfigError, match="not a usable location"):
        Storage("nosuchfs://bucket/x")
