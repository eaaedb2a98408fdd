"""Open a molecule library as a Ray Dataset of (id, smiles): CSV, Parquet (file or folder) or .smi;
write the scored stream back as Parquet shards.

Gzipped CSV and .smi files work too. The id column is optional and carried through untouched
(null when absent), so output rows can be joined back to the input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from gallon.errors import InputError

LIBRARY_COLUMNS = ("id", "smiles")


def library_kind(path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    if path.is_dir() or name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith(".csv"):
        return "csv"
    if name.endswith((".smi", ".smiles", ".txt")):
        return "smi"
    raise InputError(
        f"library {path} must be .csv, .parquet (file or folder) or .smi (optionally .gz)."
    )


def smi_lines(batch: pa.Table) -> pa.Table:
    """'SMILES [id]' lines → (id, smiles); a blank line becomes an empty SMILES (an error row)."""
    ids, smiles = [], []
    for line in batch.column("text").to_pylist():
        parts = (line or "").split(maxsplit=1)
        smiles.append(parts[0] if parts else "")
        ids.append(parts[1].strip() if len(parts) > 1 else None)
    return pa.table({"id": pa.array(ids, pa.string()), "smiles": pa.array(smiles, pa.string())})


def select_columns(batch: pa.Table, smiles: str, ident: str | None) -> pa.Table:
    text = pc.fill_null(pc.cast(batch.column(smiles), pa.string()), "")
    ids = pc.cast(batch.column(ident), pa.string()) if ident else pa.nulls(len(batch), pa.string())
    return pa.table({"id": ids, "smiles": text})


def library_rows(batch: pa.Table, kind: str, smiles: str, ident: str | None) -> pa.Table:
    """A raw batch as read from the library → (id, smiles); the arguments are what
    `open_library` returned beside the dataset. Scorers call it on their own batches, which
    saves a separate selection stage (a worker process of its own)."""
    return smi_lines(batch) if kind == "smi" else select_columns(batch, smiles, ident)


# Reading and writing are light next to scoring; they reserve no CPU so that scoring actors
# holding every CPU cannot starve them (which would stall the stream). A task that reserves no
# CPU is not limited by CPUs either: Ray Data then ran one per block at once, each in its own
# worker process (~120 MB), and a million-molecule screen peaked at 6.4 GB PSS. Their
# concurrency is therefore capped, at one such task per four scoring workers.
LIGHT = {"num_cpus": 0}


def light_tasks(workers: int) -> int:
    """How many light tasks (reads, writes) may run at once beside `workers` scorers."""
    return max(1, -(-workers // 4))


def open_library(
    path: str | Path,
    smiles_column: str = "smiles",
    id_column: str | None = None,
    workers: int = 1,
) -> tuple[Any, dict[str, Any]]:
    """The library as a Ray Dataset of raw batches, and the keyword arguments of
    `library_rows` that turn each batch into string columns `id` and `smiles`."""
    import ray

    tasks = light_tasks(workers)
    path = Path(path).expanduser()
    if not path.exists():
        raise InputError(f"library {path} does not exist.")
    kind = library_kind(path)
    if kind == "smi":
        ds = ray.data.read_text(str(path), concurrency=tasks, ray_remote_args=LIGHT)
        return ds, {"kind": kind, "smiles": "text", "ident": None}
    if kind == "parquet":
        # Ray 2.60's default Parquet path lists files in a task that reserves a whole CPU and
        # cannot be told otherwise; with every CPU held by scoring actors it never runs and the
        # stream stalls (seen on 2 CPUs). The V1 path reads with the light arguments below.
        ray.data.DataContext.get_current().use_datasource_v2 = False
    reader = ray.data.read_parquet if kind == "parquet" else ray.data.read_csv
    ds = reader(str(path), concurrency=tasks, ray_remote_args=LIGHT)
    columns = ds.schema().names
    if smiles_column not in columns:
        raise InputError(
            f"library {path} has no column '{smiles_column}'; it has {', '.join(columns)} "
            "(use --smiles-column)."
        )
    if id_column and id_column not in columns:
        raise InputError(f"library {path} has no id column '{id_column}'.")
    if kind == "parquet":  # read only the columns scored
        wanted = [smiles_column, *([id_column] if id_column else [])]
        ds = reader(str(path), columns=wanted, concurrency=tasks, ray_remote_args=LIGHT)
    return ds, {"kind": kind, "smiles": smiles_column, "ident": id_column}


def write_predictions(ds, output: str | Path, workers: int = 1) -> None:
    """Stream `ds` into Parquet shards under `output`, with the light tasks' cap."""
    ds.write_parquet(str(output), concurrency=light_tasks(workers), ray_remote_args=LIGHT)
