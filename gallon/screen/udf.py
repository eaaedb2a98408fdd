"""The Ray Data class UDF around the scorer; light to import, so the driver that hands the class
to Ray never loads torch or RDKit (only the workers that construct it do)."""

from __future__ import annotations

import ctypes

import pyarrow as pa

# Molecules per batch: 2048 ran no faster on 2 cores and each worker's peak PSS was ~150 MB
# higher; 512 saved ~100 MB more but cost 5 % throughput (100k molecules, docs/benchmarks.md).
BATCH_SIZE = 1024


def _trimmer():
    """glibc's malloc_trim, or None elsewhere (macOS, musl)."""
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def row_identity(batch: pa.Table) -> list[str]:
    """The library columns that identify an input row (`row`, and `file` for several files)."""
    return [c for c in ("row", "file") if c in batch.column_names]


class ScreenBatch:
    """Library batches (row, [file], id, smiles) → the same rows with predictions and error."""

    def __init__(
        self,
        model: str,
        threads: int = 1,
        precision: str = "fp32",
        standardize: bool = False,
        counter: object = None,
    ) -> None:
        from gallon.screen.predict import Scorer

        self.scorer = Scorer.from_path(model, threads, precision, standardize)
        self.trim = _trimmer()
        self.counter = counter  # a RowCounter actor (gallon.screen.progress) or None

    def __call__(self, batch: pa.Table) -> pa.Table:
        scored = self.scorer.score(
            batch.column("id").to_pylist(), batch.column("smiles").to_pylist()
        )
        out = pa.table(
            {**{c: batch.column(c) for c in row_identity(batch)},
             **{c: scored.column(c) for c in scored.column_names}}
        )  # fmt: skip
        if self.trim is not None:
            # A batch creates and frees thousands of RDKit molecules and glibc keeps the freed
            # pages: scoring 40k molecules in one process peaked at 624 MB PSS without the trim
            # and 422 MB with it.
            self.trim(0)
        if self.counter is not None:  # fire and forget: the progress bar polls the sum
            self.counter.add.remote(out.num_rows)
        return out
