"""Stage hand-off helpers: Parquet tables with declared columns, atomic writes, JSON.

Every stage reads its inputs through `read_table(path, required=...)`, which names the file and
the missing columns instead of failing later with a KeyError.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from gallon.errors import InputError


def require_columns(table: pa.Table, required: Iterable[str], what: str) -> None:
    """Raise InputError naming every column of `required` that `table` lacks."""
    missing = [c for c in required if c not in table.column_names]
    if missing:
        raise InputError(
            f"{what} lacks column(s) {', '.join(missing)}; it has {', '.join(table.column_names)}."
        )


def read_table(path: str | Path, required: Iterable[str] = ()) -> pa.Table:
    """Read a Parquet file or folder (a local path or a pyarrow.fs URI on shared storage) and
    check that it has the `required` columns."""
    from gallon.storage import Storage, is_uri

    if is_uri(path):
        store = Storage(path)
        exists, read = store.exists(), lambda: store.read_table()
    else:
        path = Path(path)
        exists, read = path.exists(), lambda: pq.read_table(path)
    if not exists:
        raise InputError(
            f"expected stage output {path} does not exist; run the stage that writes it."
        )
    table = read()
    require_columns(table, required, str(path))
    return table


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[str]:
    """A temporary file beside `path` that replaces it when the block ends without an error:
    readers never see a half-written file, and a failed write leaves nothing behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_table(table: pa.Table, path: str | Path) -> Path:
    """Write `table` to `path` atomically (zstd Parquet)."""
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    return Path(path)


def write_text(text: str, path: str | Path) -> Path:
    """Write text atomically."""
    with atomic_path(path) as tmp, open(tmp, "w") as fh:
        fh.write(text)
    return Path(path)


def write_json(obj: Any, path: str | Path) -> Path:
    return write_text(json.dumps(obj, indent=2, sort_keys=False) + "\n", path)


def cache_root() -> Path:
    """gallon's cache (converted models, explanations, reusable trained models)."""
    return Path(os.environ.get("GALLON_CACHE", Path.home() / ".cache" / "gallon")).expanduser()


def read_json(path: str | Path) -> Any:
    path = Path(path)
    if not path.exists():
        raise InputError(f"expected file {path} does not exist.")
    return json.loads(path.read_text())


def copy_run_parts(src: Path, dest: Path, names: Iterable[str]) -> None:
    """Copy the named files and folders of run folder `src` into `dest` (created); names that
    `src` lacks are skipped. For experiments that retrain part of a finished run elsewhere."""
    import shutil

    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        if (src / name).is_dir():
            shutil.copytree(src / name, dest / name)
        elif (src / name).exists():
            shutil.copy2(src / name, dest / name)
