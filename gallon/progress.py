"""One progress display for a run: its steps (features, explanations, each role × seed), the
elapsed time and how long is left, on stderr.

How long is left comes from a prior cost per step (epochs × molecules × a per-role rate measured
on 2 CPU cores, `SECONDS_PER_ITEM`) corrected by the steps that finished: once a role's first
seed is done, its other seeds are expected to take as long, and roles not yet run are scaled by
how far the finished steps were from their priors. On a terminal it is a tqdm bar refreshed every
second; elsewhere (a log, `ray job submit`) one line per finished step.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TextIO

# Prior seconds per (molecule × epoch) of each step kind on 2 cores, from the quickstart run
# measured here (ESOL, docs/benchmarks.md; explanations: a cold vLLM engine included); a role's
# kind is its name. Larger molecules cost more: the finished steps correct these.
SECONDS_PER_ITEM = {
    "features": 0.003,
    "explain": 0.25,
    "transfer": 0.003,
    "lm": 0.045,
    "gnn": 0.0015,
    "mlp": 0.0005,
    "student": 0.0009,
    "student_gnn": 0.0009,
    "student_lm": 0.0009,
}
STARTUP = 10.0  # Ray Train's start and stop, per model


ROLE_KINDS = ("lm", "gnn", "mlp", "student", "student_gnn", "student_lm")


def _clock(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    h, rest = divmod(seconds, 3600)
    return f"{h}h{rest // 60:02d}m" if h else f"{rest // 60}m{rest % 60:02d}s"


@dataclass
class Step:
    name: str  # what the display says, e.g. "gnn seed 0"
    kind: str  # steps of one kind take about equally long (a key of SECONDS_PER_ITEM)
    items: float  # molecules × epochs
    seconds: float | None = None  # actual, once finished

    @property
    def prior(self) -> float:
        startup = STARTUP if self.kind in ROLE_KINDS else 0.0
        return self.items * SECONDS_PER_ITEM.get(self.kind, 0.001) + startup


@dataclass
class RunProgress:
    """`with progress.step(name): ...` around each step, in any order; `close()` at the end."""

    steps: list[Step]
    enabled: bool = True
    stream: TextIO = field(default_factory=lambda: sys.stderr)

    def __post_init__(self) -> None:
        self.started = time.perf_counter()
        self.current: tuple[Step, float] | None = None
        self.bar = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._redirect = contextlib.ExitStack()
        if self.enabled and self.stream.isatty():
            from tqdm import tqdm
            from tqdm.contrib.logging import logging_redirect_tqdm

            self.bar = tqdm(
                total=100,
                file=self.stream,
                bar_format="gallon {percentage:3.0f}%|{bar:20}| {desc}",
                leave=True,
            )
            # log lines shown meanwhile (warnings; everything with -v) go above the bar; tqdm
            # takes over the handlers that write to sys.stderr, so it is told that `stream`
            # (a copy of the terminal's stderr while output is diverted) is that
            stderr, sys.stderr = sys.stderr, self.stream
            try:
                self._redirect.enter_context(logging_redirect_tqdm())
            finally:
                sys.stderr = stderr
            self._thread = threading.Thread(target=self._refresh_forever, daemon=True)
            self._thread.start()

    def expected(self, step: Step) -> float:
        """Seconds `step` should take, from its prior and the finished steps."""
        done = [s for s in self.steps if s.seconds is not None]
        same = [s for s in done if s.kind == step.kind]
        if same:
            return sum(s.seconds for s in same) / sum(s.prior for s in same) * step.prior
        prior = sum(s.prior for s in done)
        ratio = sum(s.seconds for s in done) / prior if prior > 0 else 1.0
        return step.prior * min(max(ratio, 0.25), 4.0)

    def remaining(self) -> float:
        left = sum(self.expected(s) for s in self.steps if s.seconds is None)
        current = self.current  # read once: the step may end meanwhile (another thread)
        if current is not None:  # the running step is partly done
            step, since = current
            left -= min(time.perf_counter() - since, 0.95 * self.expected(step))
        return max(left, 0.0)

    def status(self) -> str:
        elapsed = time.perf_counter() - self.started
        done = sum(s.seconds is not None for s in self.steps)
        current = self.current
        now = f"{current[0].name}, " if current else ""
        return (
            f"[{done}/{len(self.steps)}] {now}{_clock(elapsed)} elapsed, "
            f"about {_clock(self.remaining())} left"
        )

    def _draw(self) -> None:
        if self.bar is None:
            return
        elapsed = time.perf_counter() - self.started
        total = elapsed + self.remaining()
        self.bar.n = round(100 * elapsed / total) if total > 0 else 100
        self.bar.set_description_str(self.status())  # refreshes

    def _refresh_forever(self) -> None:
        while not self._stop.wait(1.0):
            self._draw()

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Mark `name` (one of the steps) as running; done when the block ends without error."""
        step = next((s for s in self.steps if s.name == name), None)
        if step is None:  # a step the plan did not foresee: shown, not counted
            step = Step(name, name, 0.0)
            self.steps.append(step)
        started = time.perf_counter()
        self.current = (step, started)
        self._draw()
        try:
            yield
        except BaseException:
            self.current = None
            self.close(failed=True)
            raise
        step.seconds = time.perf_counter() - started
        self.current = None
        if self.bar is not None:
            self._draw()
        elif self.enabled:
            print(f"gallon: {name} done in {_clock(step.seconds)}; {self.status()}",
                  file=self.stream, flush=True)  # fmt: skip

    def close(self, failed: bool = False) -> None:
        """Stop the display (idempotent); the bar's last line says how it ended."""
        if self._stop.is_set():
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.bar is not None:
            took = _clock(time.perf_counter() - self.started)
            if not failed:
                self.bar.n = 100
            self.bar.set_description_str(f"stopped after {took}" if failed else f"done in {took}")
            self.bar.close()
        self._redirect.close()


def run_steps(cfg, n_molecules: int, n_train: int) -> list[Step]:
    """The steps `run_all` will take for `cfg`, in order, with their sizes."""
    from gallon.config.schema import LMConfig
    from gallon.roles import own_student_features, teaches, training_order, transfer_size

    twice = own_student_features(cfg)  # the graph-free models' own featurisation
    steps = [Step("features", "features", n_molecules * (2 if twice else 1))]
    lm_train = min(n_train, cfg.lm.subset or n_train)  # lm.subset: the LM's training sample
    if "lm" in cfg.run.roles:
        steps.append(Step("explanations", "explain", n_molecules - n_train + lm_train))

    transfer = transfer_size(cfg)
    if transfer:
        steps.append(Step("transfer set", "transfer", transfer))

    for role, seed in training_order(cfg):
        # a student distilled from the GNN also trains on the transfer set
        per_epoch = min(transfer, cfg.distill.transfer_per_epoch or transfer)
        rows = n_train + (per_epoch if teaches(role.teachers(cfg).get("gnn", 0)) else 0)
        if isinstance(role.net(cfg), LMConfig):  # the LM teacher reads its sample only
            rows = lm_train
        steps.append(Step(f"{role.name} seed {seed}", role.name, rows * role.net(cfg).train.epochs))
    return steps
