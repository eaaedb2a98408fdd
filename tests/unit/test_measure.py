import sys

from gallon.measure import run_measured, write_timeline


def test_measures_the_whole_process_tree(tmp_path):
    # a parent that starts a child holding 200 MB: the child's memory counts
    code = (
        "import subprocess, sys; subprocess.run([sys.executable, '-c', "
        '\'import time; x = bytearray(200 * 2**20); x[::4096] = b"1" * len(x[::4096]); '
        "time.sleep(1.5)']); sys.exit(3)"
    )
    m = run_measured([sys.executable, "-c", code], tmp_path / "log.txt", interval=0.1)
    assert m.returncode == 3
    assert m.peak_rss_mb >= 200 and m.peak_process_mb >= 200
    assert 150 <= m.peak_pss_mb <= m.peak_rss_mb
    assert max(n for *_, n in m.timeline) == 2
    assert len(m.at_peak) == 2 and m.at_peak[0][1] >= 150  # the child, largest first
    assert "bytearray" in m.at_peak[0][0]
    write_timeline(m, tmp_path / "t.csv")
    lines = (tmp_path / "t.csv").read_text().splitlines()
    assert lines[0] == "seconds,rss_mb,pss_mb,processes" and len(lines) == len(m.timeline) + 1
