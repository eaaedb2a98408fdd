"""What the training loop needs to know about a kind of input, as a small registry.

A `TrainTask` loads a dataset for a spec, builds the model, batches positions of it and runs the
model on a batch. `graph` (molecular graphs: GNNs and the atom MLP) and `text` (the LM teacher
on SMILES + explanations) are registered; the loop, the objective and Ray Train stay the same.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any, Protocol

import numpy as np
import torch

TASKS = {
    "graph": "gallon.train.graph_task:GraphTask",
    "text": "gallon.lm.text_task:TextTask",
}


class Dataset(Protocol):
    index: dict[str, np.ndarray]  # split → positions
    y: np.ndarray  # (N, T) labels in target units, NaN = missing
    y_mean: np.ndarray | None
    y_std: np.ndarray | None
    teacher_dims: dict[str, int]
    rows: np.ndarray  # (N,) data rows


class TrainTask(Protocol):
    def load(self, spec: dict[str, Any]) -> Dataset: ...

    def build_model(self, spec: dict[str, Any]) -> torch.nn.Module: ...

    def batches(self, data: Dataset, order: np.ndarray, batch_size: int) -> Iterator[Any]: ...

    def forward(self, model: torch.nn.Module, batch: Any) -> tuple[torch.Tensor, torch.Tensor]: ...

    def optimizer(self, params, train: dict[str, Any]) -> torch.optim.Optimizer: ...


def get_task(kind: str) -> TrainTask:
    """The registered task (imported on first use: the text task needs transformers)."""
    module, _, name = TASKS[kind].partition(":")
    return getattr(importlib.import_module(module), name)()


@torch.no_grad()
def predict(
    task: TrainTask,
    model: torch.nn.Module,
    data: Dataset,
    positions: np.ndarray | None = None,
    batch_size: int = 512,
    device=None,
    threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Model in eval mode → (raw outputs (N, T), pooled representations (N, D)).

    `threads`: torch's intra-op threads for this call, restored afterwards (None: the process's
    own). CPU sums are split by thread count, so the last bit of an output depends on it; a
    driver pins it to get the same teacher outputs wherever it runs (a `ray job` driver inherits
    OMP_NUM_THREADS=1 from Ray, a local one has every core), and a student distilled from them
    then trains to the same weights."""
    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        return _predict(task, model, data, positions, batch_size, device)
    finally:
        torch.set_num_threads(before)


def _predict(task, model, data, positions, batch_size, device) -> tuple[np.ndarray, np.ndarray]:
    model.eval()
    # Texts run sorted by length (fewer padded tokens; outputs are put back in order). Training
    # batches stay random: batches of similar length are batches of similar-sized molecules,
    # whose labels correlate, and that slowed convergence (docs/benchmarks.md).
    order = np.arange(len(data.rows)) if positions is None else np.asarray(positions)
    lengths = getattr(task, "lengths", None)
    by_length = (
        np.argsort(lengths(data, order), kind="stable")
        if lengths is not None
        else np.arange(len(order))
    )
    order = order[by_length]
    outs, hs = [], []
    for batch in task.batches(data, order, batch_size):
        out, h = task.forward(model, batch.to(device) if device is not None else batch)
        outs.append(out.float().cpu().numpy())
        hs.append(h.float().cpu().numpy())
    if not outs:
        return np.zeros((0, 0), np.float32), np.zeros((0, 0), np.float32)
    back = np.empty_like(by_length)
    back[by_length] = np.arange(len(by_length))
    return np.concatenate(outs)[back], np.concatenate(hs)[back]
