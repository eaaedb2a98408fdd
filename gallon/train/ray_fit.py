"""Thin Ray Train wrapper around `run_loop`: a `TorchTrainer` per model and seed.

Checkpoints go to `<storage>/<name>/` every `checkpoint_every` epochs; `FailureConfig` restarts a
crashed worker group, which then resumes from the latest checkpoint. With num_workers > 1 the
model is wrapped in DDP (gloo on CPU). The driver gets back the best weights and a summary.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import torch

from gallon.storage import is_uri
from gallon.train.loop import FitResult, run_loop

logger = logging.getLogger(__name__)

CHECKPOINT_FILE = "state.pt"
CRASH_ENV = "GALLON_INJECT_CRASH"  # "<name>:<epoch>": tests inject one worker crash this way


class RaySession:
    """The `Session` a Ray Train worker gives `run_loop`."""

    def __init__(self, spec: dict[str, Any]) -> None:
        import ray.train
        import ray.train.torch

        ctx = ray.train.get_context()
        self.rank, self.world_size = ctx.get_world_rank(), ctx.get_world_size()
        self.device = ray.train.torch.get_device()
        self._spec = spec
        self._crash = spec.get("inject_crash")

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
        self._maybe_crash(metrics["epoch"])

    def _maybe_crash(self, epoch: int) -> None:
        if not self._crash or self.rank != 0 or epoch != self._crash["epoch"]:
            return
        marker = Path(self._crash["marker"])
        if not marker.exists():  # crash once: the restarted worker must get past this epoch
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(str(epoch))
            raise RuntimeError(f"injected crash after epoch {epoch} ({CRASH_ENV})")


def _train_fn(spec: dict[str, Any]) -> dict[str, Any]:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    return run_loop(spec, RaySession(spec))


def _crash_request(name: str, storage: Path) -> dict[str, Any] | None:
    request = os.environ.get(CRASH_ENV, "")
    target, _, epoch = request.rpartition(":")
    if not request or target != name:
        return None
    return {"epoch": int(epoch), "marker": str(storage / name / "crash_injected")}


def fit(spec: dict[str, Any], storage: str | Path, name: str) -> FitResult:
    """Train one model on Ray Train; returns its best (validation) weights and a summary."""
    from ray.train import CheckpointConfig, FailureConfig, RunConfig, ScalingConfig
    from ray.train.torch import TorchTrainer

    tc = spec["train"]
    local = not is_uri(storage)
    storage = str(Path(storage).resolve()) if local else str(storage)
    markers = Path(storage) if local else Path(tempfile.gettempdir()) / "gallon-crash"
    spec = {**spec, "name": name, "inject_crash": _crash_request(name, markers)}
    trainer = TorchTrainer(
        _train_fn,
        train_loop_config=spec,
        scaling_config=ScalingConfig(
            num_workers=tc["num_workers"],
            use_gpu=tc["use_gpu"],
            resources_per_worker={"CPU": tc["cpus_per_worker"]},
        ),
        run_config=RunConfig(
            name=name,
            storage_path=storage,  # a folder or a pyarrow.fs URI (run.storage)
            failure_config=FailureConfig(max_failures=tc["max_failures"]),
            checkpoint_config=CheckpointConfig(num_to_keep=2),
        ),
    )
    result = trainer.fit()
    with result.checkpoint.as_directory() as path:
        state = torch.load(Path(path) / CHECKPOINT_FILE, weights_only=True)
    return FitResult(best_state=state["best_state"], summary=result.return_value or {})
