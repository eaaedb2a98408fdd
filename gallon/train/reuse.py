"""Reuse of trained models across runs: identical inputs, config and code give the same model.

Training is deterministic on CPU (same seed → same weights, tested), so a model whose spec,
input files and gallon source are byte-identical to an earlier one need not be trained again.
The key hashes the spec with every input path replaced by its content hash, plus the source of
the gallon package; the entry holds the predictions, the model folder and the run summary.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

PACKAGE = Path(__file__).resolve().parents[1]


def _hash_table(path: Path) -> str:
    """Hash of a Parquet file or folder's *data* (rows sorted by `row`): shard names and block
    boundaries of a Ray Data write differ between identical runs, the data does not."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    if "row" in table.column_names:
        table = table.sort_by("row")
    table = table.combine_chunks().replace_schema_metadata(None)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()


def _hash_path(path: Path) -> str:
    if path.suffix == ".parquet" or (path.is_dir() and any(path.glob("*.parquet"))):
        return _hash_table(path)
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        digest.update(f.name.encode())
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


@lru_cache(maxsize=1)
def code_version() -> str:
    """Hash of the gallon package source (a code change invalidates every entry)."""
    digest = hashlib.sha256()
    for f in sorted(PACKAGE.rglob("*.py")):
        digest.update(f.relative_to(PACKAGE).as_posix().encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()


def _content(value: Any) -> Any:
    """Replace existing file/folder paths inside a spec by their content hashes."""
    if isinstance(value, dict):
        return {k: _content(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_content(v) for v in value]
    if isinstance(value, str) and os.sep in value and Path(value).exists():
        return "sha256:" + _hash_path(Path(value))
    return value


def spec_key(spec: dict[str, Any]) -> str:
    blob = json.dumps([_content(spec), code_version()], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


class ModelStore:
    """Folder of finished models: <root>/<key>/{predictions.parquet, model/, run.json}."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def get(self, key: str) -> Path | None:
        entry = self.root / key
        return entry if (entry / "run.json").is_file() else None

    def put(self, key: str, predictions: Path, model_dir: Path, run: dict[str, Any]) -> None:
        """Copy a finished model in; written to a temporary folder and renamed (atomic)."""
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=self.root, prefix=f".{key}."))
        try:
            shutil.copy2(predictions, tmp / "predictions.parquet")
            shutil.copytree(model_dir, tmp / "model")
            (tmp / "run.json").write_text(json.dumps(run))
            if not (self.root / key).exists():
                os.replace(tmp, self.root / key)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def restore(self, entry: Path, predictions: Path, model_dir: Path) -> dict[str, Any]:
        predictions.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(entry / "predictions.parquet", predictions)
        if model_dir.exists():
            shutil.rmtree(model_dir)
        shutil.copytree(entry / "model", model_dir)
        return json.loads((entry / "run.json").read_text())
