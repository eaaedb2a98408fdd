"""`distill.teacher_seeds: mean`: the student distils from the mean of every teacher seed.

Each teacher seed writes its raw outputs per molecule (`predictions/<teacher>/seed_<s>.parquet`)
and, for a graph teacher, on the transfer set (`predictions/transfer/<teacher>/seed_<s>.parquet`).
`mean_outputs` averages such tables row by row into one file of the same layout, which the
students then read as their teacher's: regression outputs in scaled target units, logits for
classification (a mean of logits, the geometric mean of the odds). Only outputs are averaged:
separately trained teachers' embeddings share no space, so a representation term keeps the
embedding of the student's own seed's teacher (`embedding_from`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from gallon.errors import InputError
from gallon.io import read_table, write_table


def mean_outputs(paths: list[Path], dest: Path, embedding_from: Path | None = None) -> Path:
    """Average the `output` lists of `paths` (tables with `row` and `output`) row by row; write
    `dest` with `row`, `output` (N, T) and `embedding`: `embedding_from`'s (a predictions table
    of the same molecules), or empty. The tables must score the same molecules."""
    tables = [read_table(p, ("row", "output")).sort_by("row") for p in paths]
    rows = tables[0].column("row")
    for path, table in zip(paths[1:], tables[1:]):
        if not table.column("row").equals(rows):
            raise InputError(f"{path} scores other molecules than {paths[0]}; cannot average.")
    outputs = [np.asarray(t.column("output").to_pylist(), dtype=np.float64) for t in tables]
    mean = np.mean(outputs, axis=0).astype(np.float32)
    embedding = pa.array([[]] * len(mean), pa.list_(pa.float32()))
    if embedding_from is not None:
        own = read_table(embedding_from, ("row", "embedding")).sort_by("row")
        if not own.column("row").equals(rows):
            raise InputError(f"{embedding_from} scores other molecules than {paths[0]}.")
        embedding = own.column("embedding")
    table = pa.table(
        {
            "row": rows,
            "output": pa.array(mean.tolist(), pa.list_(pa.float32())),
            "embedding": embedding,
        }
    )
    write_table(table, dest)
    return dest
