"""Screening progress: molecules scored so far, molecules/s and time left, on a terminal.

The scoring actors add each finished batch's size to a `RowCounter` (a Ray actor with no CPU);
the driver polls it from a thread and draws a tqdm bar while Ray Data streams the library into
Parquet. The bar's total comes from `count_rows` before scoring starts: exact for Parquet (file
metadata) and .smi (one row per line), an estimate for CSV (lines less the header; a quoted
multi-line value counts twice). Off under `-q` and when stderr is not a terminal (a log, `ray
job submit`): the summary's counts are the record there.
"""

from __future__ import annotations

import gzip
import threading
from pathlib import Path
from typing import Any, Protocol, TextIO

POLL_SECONDS = 0.5


class Counter(Protocol):
    def total(self) -> int: ...


class RowCounter:
    """Molecules scored so far, summed over every actor (the body of a Ray actor)."""

    def __init__(self) -> None:
        self.n = 0

    def add(self, n: int) -> None:
        self.n += n

    def total(self) -> int:
        return self.n


class RemoteCounter:
    """A `RowCounter` actor seen from the driver: `handle` goes to the scoring actors."""

    def __init__(self) -> None:
        import ray

        self.handle = ray.remote(num_cpus=0)(RowCounter).remote()

    def total(self) -> int:
        import ray

        return ray.get(self.handle.total.remote())


def _lines(path: Path) -> int:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    n, last = 0, b"\n"
    with opener(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            n += chunk.count(b"\n")
            last = chunk[-1:]
    return n + (last != b"\n")  # a last line without its newline is a line too


def count_rows(kind: str, files: list[Path]) -> int:
    """Rows the library will yield: exact for Parquet and .smi, an estimate for CSV."""
    if kind == "parquet":
        import pyarrow.parquet as pq

        return sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    if kind == "smi":
        return sum(_lines(f) for f in files)
    return sum(max(_lines(f) - 1, 0) for f in files)


class ScreenProgress:
    """Context manager: a tqdm bar of `counter.total()` against `total`, redrawn every
    `POLL_SECONDS` from a thread, closed (with a last update) on exit. Disabled: nothing."""

    def __init__(
        self, total: int | None, counter: Counter | None, stream: TextIO, enabled: bool
    ) -> None:
        self.total, self.counter, self.stream = total, counter, stream
        self.enabled = enabled and counter is not None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.bar: Any = None

    def _update(self) -> None:
        # only on news: an update of 0 would decay the shown rate while the last shards write
        scored = self.counter.total() - self.bar.n
        if scored > 0:
            self.bar.update(scored)

    def _poll(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            self._update()

    def __enter__(self) -> ScreenProgress:
        if self.enabled:
            from tqdm import tqdm

            self.bar = tqdm(
                total=self.total, unit=" mol", unit_scale=True, file=self.stream,
                desc="screening", dynamic_ncols=True, mininterval=POLL_SECONDS,
            )  # fmt: skip
            self._thread = threading.Thread(target=self._poll, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.enabled:
            return
        self._stop.set()
        self._thread.join()
        if exc[0] is None:
            self._update()
        self.bar.close()
