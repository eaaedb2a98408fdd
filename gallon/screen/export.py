"""Export a student (atom_mlp) to TorchScript: the network runs without gallon, Ray or Python.

The exported module maps (x (atoms, F) float32, batch (atoms,) int64) to predictions in target
units (probabilities for classification): pooling, head, sigmoid or de-standardisation included.
It does not featurise: x must come from gallon's featurizer described by featurizer.json (written
next to it), so turning SMILES into x still needs gallon's Python (`gallon.features`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import torch
from torch import nn

from gallon.artifacts import FEATURIZER, Predictor
from gallon.errors import InputError


class _ScriptableStudent(nn.Module):
    def __init__(self, member: Predictor) -> None:
        super().__init__()
        model = member.model
        self.input = model.input  # environment-id embeddings (identity for dense features)
        # AtomMLP: Linear → ReLU → BatchNorm per hidden layer (dropout is off in eval), then Linear
        self.hidden = nn.ModuleList(
            nn.Sequential(linear, nn.ReLU(), norm)
            for linear, norm in zip(model.linears[:-1], model.norms)
        )
        self.last = model.linears[-1]
        self.head = model.readout.head
        self.pool: str = model.readout.pool
        self.classification: bool = member.task == "classification"
        mean, std = member.hparams.get("y_mean") or [0.0], member.hparams.get("y_std") or [1.0]
        self.register_buffer("y_mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("y_std", torch.tensor(std, dtype=torch.float32))

    def forward(self, x: torch.Tensor, batch: torch.Tensor) -> torch.Tensor:
        x = self.input(x)
        for layer in self.hidden:
            x = layer(x)
        x = self.last(x)
        n = int(batch.max()) + 1 if batch.numel() > 0 else 0
        total = torch.zeros((n, x.shape[1]), dtype=x.dtype).index_add_(0, batch, x)
        count = torch.zeros((n,), dtype=x.dtype).index_add_(
            0, batch, torch.ones_like(batch, dtype=x.dtype)
        )
        mean = total / count.clamp(min=1.0).unsqueeze(1)
        if self.pool == "sum":
            pooled = total
        elif self.pool == "norm":
            pooled = total * 0.01  # NORM_SCALE
        elif self.pool == "mean_sum":
            pooled = torch.cat([mean, total], 1)
        else:
            pooled = mean
        out = self.head(pooled)
        if self.classification:
            return torch.sigmoid(out)
        return out * self.y_std + self.y_mean


def export_torchscript(member: Predictor, dest: Path) -> Path:
    """Write dest/student.pt (TorchScript) and dest/featurizer.json; returns the .pt path."""
    if member.model.uses_bonds:
        raise InputError("only the graph-free student (atom_mlp) can be exported; GNNs need bonds.")
    module = torch.jit.script(_ScriptableStudent(member).eval())
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / "student.pt"
    module.save(str(path))
    shutil.copy2(member.path / FEATURIZER, dest / FEATURIZER)
    return path
