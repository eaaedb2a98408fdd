"""Run a command and sample the memory of its whole process tree (driver, raylet, Ray workers).

RSS summed over processes counts every shared page (object-store mappings, shared libraries)
once per process that maps it, so it overstates what the command holds; PSS (proportional set
size, Linux) splits each shared page among the processes sharing it, and its sum is the honest
total. Both are recorded, with the largest single process, at each sample and at the peak.
"""

from __future__ import annotations

import contextlib
import csv
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

MB = 2**20


@dataclass
class Measured:
    seconds: float
    peak_rss_mb: float  # the process tree's summed RSS at its peak
    peak_pss_mb: float  # the process tree's summed PSS at its peak (0 where Linux gives none)
    peak_process_mb: float  # the largest single process's RSS at any time
    returncode: int
    timeline: list[tuple[float, float, float, int]] = field(default_factory=list)
    """(seconds since start, tree RSS MB, tree PSS MB, processes) per sample."""
    at_peak: list[tuple[str, float]] = field(default_factory=list)
    """(process title, PSS MB) of every process at the sample with the highest summed PSS."""


def tree(proc: psutil.Process) -> list[psutil.Process]:
    """The process and all its descendants (empty once it has exited)."""
    try:
        return [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _title(p: psutil.Process) -> str:
    """What a process is: Ray sets titles such as 'ray::MapWorker(MapBatches(ScreenBatch))'."""
    cmd = p.cmdline()
    if not cmd:
        return p.name()
    words = [Path(cmd[0]).name, *cmd[1:]] if not cmd[0].startswith("ray::") else cmd
    return " ".join(words)[:80]


def sample_tree(
    root: psutil.Process, processes: list | None = None
) -> tuple[float, float, float, int]:
    """(summed RSS MB, summed PSS MB, largest RSS MB, processes) of the tree under `root`;
    appends (title, PSS MB) per process to `processes` when given."""
    rss, pss, largest, n = 0.0, 0.0, 0.0, 0
    for p in tree(root):
        with contextlib.suppress(psutil.Error):
            info = p.memory_full_info()
            rss += info.rss / MB
            pss += getattr(info, "pss", 0) / MB
            largest = max(largest, info.rss / MB)
            n += 1
            if processes is not None:
                processes.append((_title(p), round(getattr(info, "pss", 0) / MB)))
    return rss, pss, largest, n


def run_measured(cmd: list[str], log: Path, interval: float = 0.5) -> Measured:
    """Run `cmd` (stdout+stderr to `log`), sampling its process tree every `interval` s."""
    log.parent.mkdir(parents=True, exist_ok=True)
    timeline: list[tuple[float, float, float, int]] = []
    peaks = [0.0, 0.0, 0.0]
    at_peak: list[tuple[str, float]] = []
    stop = threading.Event()
    with open(log, "w") as sink:
        started = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT)
        root = psutil.Process(child.pid)

        def sample() -> None:
            while not stop.is_set():
                processes: list[tuple[str, float]] = []
                rss, pss, largest, n = sample_tree(root, processes)
                if n:
                    if pss >= peaks[1]:
                        at_peak[:] = sorted(processes, key=lambda t: -t[1])
                    timeline.append((round(time.perf_counter() - started, 1), rss, pss, n))
                    peaks[:] = [max(peaks[0], rss), max(peaks[1], pss), max(peaks[2], largest)]
                stop.wait(interval)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        code = child.wait()
        seconds = time.perf_counter() - started
        stop.set()
        thread.join()
    return Measured(
        round(seconds, 1),
        round(peaks[0]),
        round(peaks[1]),
        round(peaks[2]),
        code,
        timeline,
        at_peak,
    )


def write_timeline(measured: Measured, path: Path) -> None:
    """The samples as CSV: seconds, rss_mb, pss_mb, processes."""
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["seconds", "rss_mb", "pss_mb", "processes"])
        out.writerows((t, round(r), round(p), n) for t, r, p, n in measured.timeline)
