"""Thin Ray Train wrapper around `run_loop`: a `TorchTrainer` per model and seed.

Checkpoints go to `<storage>/<name>/` every `checkpoint_every` epochs; `FailureConfig` restarts a
crashed worker group, which then resumes from the latest checkpoint. With num_workers > 1 the
model is wrapped in DDP (gloo on CPU). The driver gets back the best weights and a summary.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from gallon.storage import is_uri
from gallon.testing import faults
from gallon.train.loop import FitResult, run_loop
from gallon.train.spec import WorkerSpec

logger = logging.getLogger(__name__)

CHECKPOINT_FILE = "state.pt"


class RaySession:
    """The `Session` a Ray Train worker gives `run_loop`."""

    def __init__(self, after_report: Callable[[int, int], None] | None = None) -> None:
        import ray.train
        import ray.train.torch

        ctx = ray.train.get_context()
        self.rank, self.world_size = ctx.get_world_rank(), ctx.get_world_size()
        self.device = ray.train.torch.get_device()
        self._after_report = after_report  # (rank, epoch): a test's fault hook, else None

    def wrap(self, module):
        import ray.train.torch

        return ray.train.torch.prepare_model(module)

    def restore(self):
        import ray.train

        checkpoint = ray.train.get_checkpoint()
        if checkpoint is None:
            return None
        with checkpoint.as_directory() as path:
            state = torch.load(Path(path) / CHECKPOINT_FILE, weights_only=True)
            own_rng = Path(path) / f"rng_rank{self.rank}.pt"
            if own_rng.exists():  # each rank resumes its own dropout stream
                state["rng"] = torch.load(own_rng, weights_only=True)
            return state

    def report(self, metrics, state):
        import ray.train

        if state is None:
            ray.train.report(metrics)
        else:  # rank 0 writes the state, every rank its RNG; Ray merges the folders
            with tempfile.TemporaryDirectory() as tmp:
                if self.rank == 0:
                    torch.save(state, Path(tmp) / CHECKPOINT_FILE)
                torch.save(state["rng"], Path(tmp) / f"rng_rank{self.rank}.pt")
                ray.train.report(metrics, checkpoint=ray.train.Checkpoint.from_directory(tmp))
        if self._after_report is not None:
            self._after_report(self.rank, metrics["epoch"])


def _train_fn(config: dict[str, Any]) -> dict[str, Any]:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    return run_loop(config["spec"], RaySession(config["after_report"]))


def fit(spec: dict[str, Any], storage: str | Path, name: str) -> FitResult:
    """Train one model on Ray Train; returns its best (validation) weights and a summary."""
    from ray.train import CheckpointConfig, FailureConfig, RunConfig, ScalingConfig
    from ray.train.torch import TorchTrainer

    tc = WorkerSpec.parse(spec).train
    local = not is_uri(storage)
    storage = str(Path(storage).resolve()) if local else str(storage)
    trainer = TorchTrainer(
        _train_fn,
        train_loop_config={
            "spec": {**spec, "name": name},
            "after_report": faults.worker_pause(name, storage),
        },
        scaling_config=ScalingConfig(
            num_workers=tc.num_workers,
            use_gpu=tc.use_gpu,
            resources_per_worker={"CPU": tc.cpus_per_worker},
        ),
        run_config=RunConfig(
            name=name,
            storage_path=storage,  # a folder or a pyarrow.fs URI (run.storage)
            failure_config=FailureConfig(max_failures=tc.max_failures),
            checkpoint_config=CheckpointConfig(num_to_keep=2),
        ),
    )
    result = trainer.fit()
    with result.checkpoint.as_directory() as path:
        state = torch.load(Path(path) / CHECKPOINT_FILE, weights_only=True)
    return FitResult(best_state=state["best_state"], summary=result.return_value or {})
