"""Pieces shared by all models: graph pooling and the readout head."""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.nn import global_add_pool, global_mean_pool

POOLS = ("mean", "sum", "mean_sum")


def pool_graphs(h: torch.Tensor, batch: torch.Tensor, num_graphs: int, kind: str) -> torch.Tensor:
    """(N, H) node states → (B, H) per graph; 'mean_sum' concatenates both → (B, 2H)."""
    if kind == "mean":
        return global_mean_pool(h, batch, num_graphs)
    if kind == "sum":
        return global_add_pool(h, batch, num_graphs)
    if kind == "mean_sum":
        return torch.cat(
            [global_mean_pool(h, batch, num_graphs), global_add_pool(h, batch, num_graphs)], 1
        )
    raise ValueError(f"unknown pool '{kind}'; choose one of {POOLS}")


def pooled_dim(hidden: int, kind: str) -> int:
    return 2 * hidden if kind == "mean_sum" else hidden


class Readout(nn.Module):
    """Pool node states, then dropout and a linear head: returns (out (B, T), h (B, D))."""

    def __init__(self, hidden: int, num_tasks: int, pool: str, dropout: float) -> None:
        super().__init__()
        self.pool = pool
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(pooled_dim(hidden, pool), num_tasks)

    def forward(self, h: torch.Tensor, batch: torch.Tensor, num_graphs: int):
        g = pool_graphs(h, batch, num_graphs, self.pool)
        return self.head(self.dropout(g)), g
