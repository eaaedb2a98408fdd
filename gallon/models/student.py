"""The graph-free student: a per-atom MLP with pooling (no bonds, no message passing)."""

from __future__ import annotations

import torch
from torch import nn

from gallon.models.common import AtomInput, Readout
from gallon.models.registry import register


@register("atom_mlp")
class AtomMLP(nn.Module):
    """Per-atom Linear → ReLU → BatchNorm → dropout (× layers-1), a last Linear, pool, head.

    Environment-id columns of the features (`morgan`) are embedded first (`AtomInput`).

    The layer order follows GALLON's student; `edge_index` and `edge_attr` are accepted and
    ignored so that every model shares one call signature.
    """

    uses_bonds = False  # screening skips bond featurisation for this model

    def __init__(
        self,
        in_dim: int,
        num_tasks: int,
        hidden: int = 256,
        layers: int = 3,
        dropout: float = 0.1,
        pool: str = "mean",
        edge_dim: int = 0,
        id_columns: int = 0,
        id_buckets: int = 0,
        head_hidden: int = 0,
        id_dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.input = AtomInput(in_dim, id_columns, id_buckets, hidden, id_dropout)
        dims = [self.input.out_dim] + [hidden] * layers
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.norms = nn.ModuleList(nn.BatchNorm1d(hidden) for _ in range(layers - 1))
        self.dropout = nn.Dropout(dropout)
        self.readout = Readout(hidden, num_tasks, pool, dropout, head_hidden)

    def atom_states(self, x: torch.Tensor) -> torch.Tensor:
        """(N, F) atom features → (N, hidden) states before pooling."""
        x = self.input(x)
        for linear, norm in zip(self.linears[:-1], self.norms):
            x = self.dropout(norm(torch.relu(linear(x))))
        return self.linears[-1](x)

    def forward(self, x, edge_index, edge_attr, batch, num_graphs: int):
        return self.readout(self.atom_states(x), batch, num_graphs)
