"""Screening progress: the row count behind the bar's total, and the bar itself."""

import gzip
import io

import pyarrow as pa
import pyarrow.parquet as pq

from gallon.screen import progress
from gallon.screen.progress import RowCounter, ScreenProgress, count_rows


def test_count_rows_per_format(tmp_path):
    csv = tmp_path / "lib.csv.gz"
    with gzip.open(csv, "wt") as f:
        f.write("smiles,id\nCCO,a\nCCN,b\nc1ccccc1,c\n")
    smi = tmp_path / "lib.smi"
    smi.write_text("CCO a\n\nCCN")  # a blank line is a row; the last line has no newline
    folder = tmp_path / "parts"
    folder.mkdir()
    for i, n in enumerate((4, 6)):
        pq.write_table(pa.table({"smiles": ["C"] * n}), folder / f"p{i}.parquet")
    assert count_rows("csv", [csv]) == 3
    assert count_rows("smi", [smi]) == 3
    assert count_rows("parquet", sorted(folder.glob("*.parquet"))) == 10


class Growing:
    """A counter whose total grows by 100 per poll, up to 1,000 rows."""

    def __init__(self) -> None:
        self.n = 0

    def total(self) -> int:
        self.n = min(self.n + 100, 1000)
        return self.n


def test_the_bar_counts_to_the_scored_total_and_rate(monkeypatch):
    monkeypatch.setattr(progress, "POLL_SECONDS", 0.01)
    stream = io.StringIO()
    counter = Growing()
    with ScreenProgress(1000, counter, stream, enabled=True) as shown:
        while counter.n < 1000:
            pass
    text = stream.getvalue()
    assert shown.bar.n == 1000 and "1.00k/1.00k" in text and "mol/s" in text
    assert "screening" in text


def test_disabled_it_writes_nothing_and_asks_no_counter():
    stream = io.StringIO()
    with ScreenProgress(10, None, stream, enabled=True) as shown:  # no counter: off
        pass
    with ScreenProgress(10, Growing(), stream, enabled=False):
        pass
    assert stream.getvalue() == "" and shown.bar is None


def test_row_counter_sums_what_the_actors_add():
    counter = RowCounter()
    for n in (32, 32, 7):
        counter.add(n)
    assert counter.total() == 71
