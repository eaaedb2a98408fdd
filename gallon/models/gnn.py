"""GNN teachers: `gcn` (GALLON's configuration, for reproduction), `gin`, `gine` (edge-aware).

All map (x (N, F), edge_index (2, E), edge_attr (E, Fe), batch (N,), num_graphs) to
(out (B, T), h (B, D)), h being the pooled representation. torch_geometric is imported when a
GNN is built, so that importing the package (and loading a student) does not pay for it.
"""

from __future__ import annotations

import torch
from torch import nn

from gallon.models.common import AtomInput, Readout
from gallon.models.registry import register


def _mlp(dim_in: int, dim: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(dim_in, dim), nn.BatchNorm1d(dim), nn.ReLU(), nn.Linear(dim, dim)
    )


@register("gcn")
class GCN(nn.Module):
    """GALLON's teacher: GCNConv → BatchNorm → ReLU → dropout, last conv linear, mean pool."""

    def __init__(
        self,
        in_dim: int,
        num_tasks: int,
        hidden: int = 32,
        layers: int = 3,
        dropout: float = 0.3,
        pool: str = "mean",
        edge_dim: int = 0,
        id_columns: int = 0,
        id_buckets: int = 0,
        head_hidden: int = 0,
    ) -> None:
        from torch_geometric.nn import GCNConv

        super().__init__()
        self.input = AtomInput(in_dim, id_columns, id_buckets, hidden)
        dims = [self.input.out_dim] + [hidden] * layers
        self.convs = nn.ModuleList(GCNConv(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.norms = nn.ModuleList(nn.BatchNorm1d(hidden) for _ in range(layers - 1))
        self.dropout = nn.Dropout(dropout)
        self.readout = Readout(hidden, num_tasks, pool, dropout, head_hidden)

    def forward(self, x, edge_index, edge_attr, batch, num_graphs: int):
        x = self.input(x)
        for conv, norm in zip(self.convs[:-1], self.norms):
            x = self.dropout(torch.relu(norm(conv(x, edge_index))))
        x = self.convs[-1](x, edge_index)
        return self.readout(x, batch, num_graphs)


class _GINBase(nn.Module):
    """Atom encoder, `layers` residual GIN-style convolutions with BatchNorm, readout."""

    def __init__(
        self,
        in_dim: int,
        num_tasks: int,
        hidden: int,
        layers: int,
        dropout: float,
        pool: str,
        id_columns: int = 0,
        id_buckets: int = 0,
        head_hidden: int = 0,
    ) -> None:
        super().__init__()
        self.input = AtomInput(in_dim, id_columns, id_buckets, hidden)
        self.encoder = nn.Linear(self.input.out_dim, hidden)
        self.norms = nn.ModuleList(nn.BatchNorm1d(hidden) for _ in range(layers))
        self.dropout = nn.Dropout(dropout)
        self.readout = Readout(hidden, num_tasks, pool, dropout, head_hidden)

    def _conv(self, i: int, x, edge_index, edge_attr):
        raise NotImplementedError

    def forward(self, x, edge_index, edge_attr, batch, num_graphs: int):
        x = self.encoder(self.input(x))
        for i, norm in enumerate(self.norms):
            x = x + self.dropout(torch.relu(norm(self._conv(i, x, edge_index, edge_attr))))
        return self.readout(x, batch, num_graphs)


@register("gin")
class GIN(_GINBase):
    """GIN (Xu et al. 2019) on atom features only."""

    def __init__(
        self,
        in_dim: int,
        num_tasks: int,
        hidden: int = 128,
        layers: int = 3,
        dropout: float = 0.1,
        pool: str = "mean",
        edge_dim: int = 0,
        id_columns: int = 0,
        id_buckets: int = 0,
        head_hidden: int = 0,
    ) -> None:
        from torch_geometric.nn import GINConv

        super().__init__(
            in_dim, num_tasks, hidden, layers, dropout, pool, id_columns, id_buckets, head_hidden
        )
        self.convs = nn.ModuleList(
            GINConv(_mlp(hidden, hidden), train_eps=True) for _ in range(layers)
        )

    def _conv(self, i, x, edge_index, edge_attr):
        return self.convs[i](x, edge_index)


@register("gine")
class GINE(_GINBase):
    """GIN with bond features added to messages (Hu et al. 2020): the default teacher."""

    def __init__(
        self,
        in_dim: int,
        num_tasks: int,
        edge_dim: int,
        hidden: int = 128,
        layers: int = 3,
        dropout: float = 0.1,
        pool: str = "mean",
        id_columns: int = 0,
        id_buckets: int = 0,
        head_hidden: int = 0,
    ) -> None:
        from torch_geometric.nn import GINEConv

        super().__init__(
            in_dim, num_tasks, hidden, layers, dropout, pool, id_columns, id_buckets, head_hidden
        )
        self.convs = nn.ModuleList(
            GINEConv(_mlp(hidden, hidden), train_eps=True, edge_dim=edge_dim) for _ in range(layers)
        )

    def _conv(self, i, x, edge_index, edge_attr):
        return self.convs[i](x, edge_index, edge_attr)
