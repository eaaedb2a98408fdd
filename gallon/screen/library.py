"""Open a molecule library as a Ray Dataset of (row, id, smiles); write the scored stream back.

Formats: CSV, Parquet (a file or a folder of files) and .smi ("SMILES [id]" per line), CSV and
.smi optionally gzipped. Every input row keeps its identity: `row` is its 0-based position
among its file's data rows, as pandas numbers them (a CSV's header and blank lines are not rows;
in .smi every line is one, a blank line included, which then scores as an empty SMILES with its
error), and for a folder of Parquet files `file` names the file. So predictions join back to
the input with or without an id column; the id column, when given, is carried through as a
string (null when absent).

The reader is a Ray Data datasource of gallon's: Ray's own readers number no rows. Each file is
one read task that streams it (.smi and Parquet in blocks of `BLOCK_ROWS` rows, CSV in blocks of
`CSV_BLOCK_BYTES`: a large file is never held whole) and reads only the SMILES and id columns.
In a folder, files and folders whose names start with "." or "_" are not read (Spark's
`_temporary`, `.ipynb_checkpoints`), as Ray's and pyarrow's readers skip them.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from gallon.errors import InputError, first_line

BLOCK_ROWS = 8192  # rows per block read from .smi and Parquet
CSV_BLOCK_BYTES = 1 << 22  # a CSV is read in blocks of this size (pyarrow counts bytes)


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


def _block(start: int, file: str | None, ids: pa.Array, smiles: pa.Array) -> pa.Table:
    import pyarrow.compute as pc

    n = len(smiles)
    cols = {"row": pa.array(range(start, start + n), pa.int64())}
    if file is not None:
        cols["file"] = pa.array([file] * n, pa.string())
    cols["id"] = pc.cast(ids, pa.string()) if ids is not None else pa.nulls(n, pa.string())
    cols["smiles"] = pc.fill_null(pc.cast(smiles, pa.string()), "")
    return pa.table(cols)


def smi_blocks(path: Path, file: str | None = None) -> Iterator[pa.Table]:
    """'SMILES [id]' lines → blocks of (row, id, smiles); the id is the rest of the line."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    ids: list[str | None] = []
    smiles: list[str] = []
    start = 0
    # a BOM or a stray non-UTF-8 byte must not kill the read: the row then fails to parse
    with opener(path, "rt", encoding="utf-8-sig", errors="replace") as handle:
        for line in handle:
            parts = line.split(maxsplit=1)
            smiles.append(parts[0] if parts else "")
            ids.append(parts[1].strip() if len(parts) > 1 else None)
            if len(smiles) == BLOCK_ROWS:
                yield _block(start, file, pa.array(ids, pa.string()), pa.array(smiles))
                start, ids, smiles = start + len(smiles), [], []
    if smiles or start == 0:
        yield _block(start, file, pa.array(ids, pa.string()), pa.array(smiles, pa.string()))


def csv_blocks(path: Path, smiles: str, ident: str | None, file: str | None = None):
    """A CSV (gzipped or not), streamed, only its SMILES and id columns read, both as text."""
    import pyarrow.csv as pacsv

    wanted = [smiles, *([ident] if ident else [])]
    start, empty = 0, True
    try:  # pyarrow reads the first block on opening: a malformed early line fails there
        reader = pacsv.open_csv(
            pa.input_stream(str(path), compression="detect"),
            read_options=pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),  # quoted multi-line names
            convert_options=pacsv.ConvertOptions(
                include_columns=wanted, column_types={c: pa.string() for c in wanted}
            ),
        )
        for batch in reader:
            empty = False
            ids = batch.column(ident) if ident else None
            yield _block(start, file, ids, batch.column(smiles))
            start += batch.num_rows
    except pa.ArrowInvalid as err:  # a malformed line: say where, as one sentence
        raise InputError(
            f"library {path} cannot be read (block from data row {start}): {first_line(err)}."
        ) from None
    if empty:
        yield _block(0, file, None, pa.array([], pa.string()))


def parquet_blocks(path: Path, smiles: str, ident: str | None, file: str | None = None):
    import pyarrow.parquet as pq

    wanted = [smiles, *([ident] if ident else [])]
    start = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=BLOCK_ROWS, columns=wanted):
        yield _block(start, file, batch.column(ident) if ident else None, batch.column(smiles))
        start += batch.num_rows


def _columns(path: Path, kind: str) -> list[str]:
    if kind == "parquet":
        import pyarrow.parquet as pq

        try:
            return pq.read_schema(path).names
        except (pa.ArrowInvalid, OSError) as err:
            raise InputError(f"library {path} cannot be read: {first_line(err)}.") from None
    import pyarrow.csv as pacsv

    try:
        reader = pacsv.open_csv(
            pa.input_stream(str(path), compression="detect"),
            read_options=pacsv.ReadOptions(block_size=1 << 16),
        )
    except (pa.ArrowInvalid, OSError) as err:
        raise InputError(f"library {path} cannot be read: {first_line(err)}.") from None
    return reader.schema.names


def library_files(path: Path) -> tuple[str, list[Path]]:
    """The library's kind and its files (a folder: its Parquet files, sorted)."""
    if not path.exists():
        raise InputError(f"library {path} does not exist.")
    kind = library_kind(path)
    if not path.is_dir():
        return kind, [path]
    files = sorted(
        p
        for p in path.rglob("*")
        if p.is_file()
        and p.name.lower().endswith((".parquet", ".pq"))
        and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)
    )
    if not files:
        raise InputError(f"library folder {path} holds no .parquet files.")
    return kind, files


def check_columns(path: Path, kind: str, smiles: str, ident: str | None) -> None:
    if kind == "smi":
        return
    columns = _columns(path, kind)
    if smiles not in columns:
        raise InputError(
            f"library {path} has no column '{smiles}'; it has {', '.join(columns)} "
            "(use --smiles-column)."
        )
    if ident and ident not in columns:
        raise InputError(f"library {path} has no id column '{ident}'.")


def check_library(
    path: str | Path, smiles_column: str = "smiles", id_column: str | None = None
) -> tuple[str, list[Path]]:
    """The library's kind and files, after checking that each has the named columns (before Ray,
    and before a previous output is replaced)."""
    path = Path(path).expanduser().resolve()
    kind, files = library_files(path)
    for f in files[:1] if kind == "csv" else files:
        check_columns(f, kind, smiles_column, id_column)
    return kind, files


def _datasource(kind: str, files: list[Path], root: Path, smiles: str, ident: str | None):
    from ray.data.block import BlockMetadata
    from ray.data.datasource import Datasource, ReadTask

    several = root.is_dir()  # a folder's rows are named by file, however many it holds

    class NumberedLibrary(Datasource):
        def estimate_inmemory_data_size(self) -> int | None:
            return sum(f.stat().st_size for f in files)

        def get_read_tasks(
            self, parallelism: int, per_task_row_limit: int | None = None, **_: Any
        ) -> list[ReadTask]:
            tasks = []
            for f in files:
                name = str(f.relative_to(root)) if several else None

                def read(f: Path = f, name: str | None = name) -> Iterator[pa.Table]:
                    if kind == "smi":
                        yield from smi_blocks(f, name)
                    elif kind == "csv":
                        yield from csv_blocks(f, smiles, ident, name)
                    else:
                        yield from parquet_blocks(f, smiles, ident, name)

                meta = BlockMetadata(
                    num_rows=None, size_bytes=f.stat().st_size, exec_stats=None,
                    input_files=(str(f),),
                )  # fmt: skip
                tasks.append(ReadTask(read, meta, per_task_row_limit=per_task_row_limit))
            return tasks

    return NumberedLibrary()


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
    checked: tuple[str, list[Path]] | None = None,
):
    """The library as a Ray Dataset with columns row (int64), file (a folder of Parquet files
    only), id and smiles (strings); wrong paths and missing columns fail in `check_library`,
    before reading (`checked`: its result, when the caller has it already)."""
    import ray

    path = Path(path).expanduser().resolve()
    kind, files = checked or check_library(path, smiles_column, id_column)
    source = _datasource(kind, files, path, smiles_column, id_column)
    return ray.data.read_datasource(source, concurrency=light_tasks(workers), **LIGHT)


def write_predictions(ds, output: str | Path, workers: int = 1) -> None:
    """Stream `ds` into Parquet shards under `output`, with the light tasks' cap."""
    ds.write_parquet(str(output), concurrency=light_tasks(workers), ray_remote_args=LIGHT)
