"""Fault injection for gallon's integration tests: crashes and interrupts on request.

Each hook is built on the driver from an environment variable and is `None` (or empty) when the
variable is unset, which is always the case outside tests; library code only calls what it is
handed. The variables:

- `GALLON_INJECT_PAUSE="<model>:<epoch>:<seconds>"` (e.g. `gnn_seed0:2:120`): that model's
  Ray Train worker sleeps once after reporting the epoch (its checkpoint is on storage), so a
  test can take its node away or kill the run, and check that training resumes from there.
- `GALLON_INJECT_CRASH="explain:<n>"`: the explain stage's process exits hard after writing n
  batches to the cache, as a killed process would.
- `GALLON_INJECT_SWEEP_STOP=<n>`: a Tune callback sends the sweep's process SIGINT after n trials
  ended, as Ctrl-C would.
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

CRASH_ENV = "GALLON_INJECT_CRASH"
PAUSE_ENV = "GALLON_INJECT_PAUSE"
STOP_ENV = "GALLON_INJECT_SWEEP_STOP"


@dataclass(frozen=True)
class WorkerPause:
    """Sleep once, on rank 0, after `epoch` is reported."""

    epoch: int
    seconds: float
    marker: str

    def __call__(self, rank: int, epoch: int) -> None:
        marker = Path(self.marker)
        if rank == 0 and epoch == self.epoch and not marker.exists():
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(str(epoch))
            time.sleep(self.seconds)


def marker_folder(storage: str) -> Path:
    """Where the once-only markers go: the checkpoint folder, or for a URI a local folder
    named after it (a worker on another node of the same machine sees it too)."""
    if "://" not in storage:
        return Path(storage)
    return (
        Path(tempfile.gettempdir()) / "gallon-faults" / hashlib.sha1(storage.encode()).hexdigest()
    )


def worker_pause(name: str, storage: str) -> WorkerPause | None:
    """The pause requested for model `name`, if any (storage: its checkpoints' folder or URI)."""
    markers = marker_folder(str(storage))
    target, _, rest = os.environ.get(PAUSE_ENV, "").partition(":")
    if target and target == name:
        epoch, _, seconds = rest.partition(":")
        return WorkerPause(int(epoch), float(seconds), str(markers / name / "pause_injected"))
    return None


def explain_exit() -> Callable[[int], None] | None:
    """A hook `after(written_batches)` that exits the process hard at the requested count."""
    target, _, count = os.environ.get(CRASH_ENV, "").partition(":")
    if target != "explain":
        return None

    def after(written: int) -> None:
        if written >= int(count):
            os._exit(1)  # as if killed: only the batches already written survive

    return after


def sweep_interrupts() -> list:
    """Tune callbacks that interrupt the sweep after the requested number of trials."""
    n = int(os.environ.get(STOP_ENV) or 0)
    if not n:
        return []
    from ray.tune import Callback

    class InterruptAfter(Callback):
        ended = 0

        def on_trial_complete(self, iteration, trials, trial, **info):
            self.ended += 1
            if self.ended == n:
                logger.warning("%s: interrupting the sweep after %d trials", STOP_ENV, n)
                os.kill(os.getpid(), signal.SIGINT)

    return [InterruptAfter()]
