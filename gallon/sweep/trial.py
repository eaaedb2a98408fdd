"""One Ray Tune trial: the student role's spec with the trial's parameters, through `run_loop`.

The trial reads the teachers' prediction Parquet files and the featurised molecules from the run
folder (shared storage); it never trains a teacher or calls the LLM. `TuneSession` is the
`Session` of `gallon.train.loop` for Tune: one process, checkpoints through `tune.report`.
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
from pathlib import Path
from typing import Any

import torch

from gallon.evaluation.metrics import PRIMARY, is_better
from gallon.sweep.space import apply_params
from gallon.train.loop import run_loop
from gallon.train.stage import RunContext

logger = logging.getLogger(__name__)

STATE_FILE = "state.pt"


class TuneSession:
    """Reports every epoch to Tune (ASHA needs them); checkpoints when the loop hands a state."""

    rank, world_size = 0, 1

    def __init__(self, metric: str, use_gpu: bool) -> None:
        self.device = torch.device("cuda" if use_gpu and torch.cuda.is_available() else "cpu")
        self.metric = metric
        self.best: float | None = None

    def wrap(self, module):
        return module.to(self.device)

    def restore(self):
        from ray import tune

        checkpoint = tune.get_checkpoint()
        if checkpoint is None:
            return None
        with checkpoint.as_directory() as path:
            state = torch.load(Path(path) / STATE_FILE, weights_only=True)
        self.best = state["best_value"]
        return state

    def report(self, metrics: dict[str, Any], state: dict[str, Any] | None) -> None:
        from ray import tune

        value = metrics[f"val_{self.metric}"]
        if is_better(self.metric, value, self.best) or self.best is None:
            self.best = value
        row = {**metrics, "best_val": self.best}
        if state is None:
            tune.report(row)
            return
        with tempfile.TemporaryDirectory() as tmp:
            torch.save(state, Path(tmp) / STATE_FILE)
            tune.report(row, checkpoint=tune.Checkpoint.from_directory(tmp))


def trial_spec(ctx: RunContext, params: dict[str, Any], role, seed: int, cpus: int) -> dict:
    """The plain-dict spec of `role` (the distilled student) with the trial's parameters."""
    trial_ctx = dataclasses.replace(ctx, cfg=apply_params(ctx.cfg, params), _data={})
    spec = trial_ctx.for_workers(role.spec(trial_ctx, seed))  # trials may run on other nodes
    spec["train"] = {**spec["train"], "cpus_per_worker": cpus}
    return spec


def train_trial(params: dict[str, Any], ctx: RunContext, role, seed: int, cpus: int, gpus: float):
    """Tune's function trainable (bound with `tune.with_parameters`)."""
    logging.basicConfig(level=logging.WARNING)
    spec = {**trial_spec(ctx, params, role, seed, cpus), "name": "trial"}
    run_loop(spec, TuneSession(PRIMARY[ctx.info.task], gpus > 0))
