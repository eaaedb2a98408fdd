"""The Ray Data class UDF around the scorer; light to import, so the driver that hands the class
to Ray never loads torch or RDKit (only the workers that construct it do)."""

from __future__ import annotations

import ctypes

import pyarrow as pa

from gallon.screen.library import library_rows

# Molecules per batch: 2048 ran no faster on 2 cores and each worker's peak PSS was ~150 MB
# higher; 512 saved ~100 MB more but cost 5 % throughput (100k molecules, docs/benchmarks.md).
BATCH_SIZE = 1024


def _trimmer():
    """glibc's malloc_trim, or None elsewhere (macOS, musl)."""
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


class ScreenBatch:
    """Library batches → predictions (+ error) batches, one output row per input row."""

    def __init__(
        self, model: str, columns: dict, threads: int = 1, precision: str = "fp32"
    ) -> None:
        """`columns`: what `open_library` returned beside the dataset."""
        from gallon.screen.predict import Scorer

        self.scorer = Scorer.from_path(model, threads, precision)
        self.columns = columns
        self.trim = _trimmer()

    def __call__(self, batch: pa.Table) -> pa.Table:
        rows = library_rows(batch, **self.columns)
        out = self.scorer.score(rows.column("id").to_pylist(), rows.column("smiles").to_pylist())
        if self.trim is not None:
            # A batch creates and frees thousands of RDKit molecules and glibc keeps the freed
            # pages: scoring 40k molecules in one process peaked at 624 MB PSS without the trim
            # and 422 MB with it.
            self.trim(0)
        return out
