"""The explanation cache: Parquet shards in one folder, one shard per completed batch.

Rows are keyed by `prompts.cache_key` (canonical SMILES, template version, model, sampling).
Each batch is written atomically (temporary file, then rename), so a killed run loses at most
the batches in flight and never leaves a half-written shard that reads as complete. A failed call
is stored with its error, counted, and asked again on the next run; a success is never asked again.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from gallon.storage import Storage

CACHE_SCHEMA = pa.schema(
    [
        pa.field("key", pa.string()),
        pa.field("smiles", pa.string()),
        pa.field("model", pa.string()),
        pa.field("template", pa.string()),
        pa.field("modalities", pa.string()),
        pa.field("explanation", pa.string()),
        pa.field("prompt_tokens", pa.int64()),
        pa.field("output_tokens", pa.int64()),
        pa.field("finish_reason", pa.string()),
        pa.field("error", pa.string()),
        pa.field("created", pa.float64()),
    ]
)
COMPACT_AFTER = 256  # shards; reading many small files gets slow


class ExplanationCache:
    """The cache in a local folder or shared storage (a `pyarrow.fs` URI, e.g. s3://…)."""

    def __init__(self, folder: str | Path) -> None:
        self.store = Storage(folder)
        self.store.makedirs()

    def shards(self) -> list[str]:
        return self.store.list(prefix="part-", suffix=".parquet")

    def append(self, table: pa.Table) -> str:
        """Write one batch of results as a new shard (atomic)."""
        table = table.cast(CACHE_SCHEMA)
        name = f"part-{time.time_ns()}-{uuid.uuid4().hex[:8]}.parquet"
        return self.store.write_table(table, name)

    def read(self) -> pa.Table:
        """Every stored row, the latest row per key: a success beats any failure."""
        shards = self.shards()
        if not shards:
            return CACHE_SCHEMA.empty_table()
        table = pa.concat_tables([self.store.read_table(p).cast(CACHE_SCHEMA) for p in shards])
        ok = pc.is_null(table.column("error")).cast(pa.int8())
        table = table.append_column("_ok", ok)
        table = table.sort_by(
            [("key", "ascending"), ("_ok", "descending"), ("created", "descending")]
        )
        keys = table.column("key").to_pylist()
        first = [i for i, k in enumerate(keys) if i == 0 or k != keys[i - 1]]
        return table.take(first).drop_columns(["_ok"])

    def successful_keys(self) -> set[str]:
        table = self.read()
        return set(table.filter(pc.is_null(table.column("error"))).column("key").to_pylist())

    def compact(self) -> None:
        """Merge the shards into one when there are many (the merged file is written first)."""
        shards = self.shards()
        if len(shards) < COMPACT_AFTER:
            return
        self.append(self.read())
        for name in shards:
            self.store.delete(name)
