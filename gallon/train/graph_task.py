"""The `graph` training task: molecular graphs for GNN teachers and the atom-MLP student."""

from __future__ import annotations

import numpy as np
import torch

from gallon.batches import forward
from gallon.config.schema import TrainConfig
from gallon.models import MODELS, build_model
from gallon.train.data import GraphSet, load_graph_set, set_batches
from gallon.train.spec import WorkerSpec


class GraphTask:
    def load(self, spec: WorkerSpec | dict) -> GraphSet:
        spec = WorkerSpec.parse(spec)
        d = spec.data
        return load_graph_set(
            d.features,
            d.molecules,
            d.splits,
            d.atom_dim,
            d.bond_dim,
            spec.task,
            d.teachers,
            d.transfer,
            bonds=MODELS[spec.model["name"]].uses_bonds,
            partial=d.partial,
        )

    def build_model(self, spec: WorkerSpec | dict) -> torch.nn.Module:
        return build_model(WorkerSpec.parse(spec).model)

    def batches(self, data: GraphSet, order: np.ndarray, batch_size: int):
        return set_batches(data, order, batch_size)

    def forward(self, model: torch.nn.Module, batch) -> tuple[torch.Tensor, torch.Tensor]:
        return forward(model, batch)

    def optimizer(self, params, train: TrainConfig) -> torch.optim.Optimizer:
        # fused: one pass per step instead of a dozen elementwise passes over every parameter
        # (the student's environment-id tables are 1.6M of its 2M parameters); same update rule.
        # Speed-up: jobs/profile_training.py, docs/benchmarks.md.
        return torch.optim.Adam(params, lr=train.lr, weight_decay=train.weight_decay, fused=True)
