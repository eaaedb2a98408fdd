"""Pieces shared by all models: graph pooling and the readout head."""

from __future__ import annotations

import torch
from torch import nn

POOLS = ("mean", "sum", "mean_sum")


def pool_graphs(h: torch.Tensor, batch: torch.Tensor, num_graphs: int, kind: str) -> torch.Tensor:
    """(N, H) node states → (B, H) per graph; 'mean_sum' concatenates both → (B, 2H).

    Plain torch (PyG's global pools compute the same sums): the student, which screening loads
    in every worker, then never imports torch_geometric (~200 MB per process)."""
    if kind not in POOLS:
        raise ValueError(f"unknown pool '{kind}'; choose one of {POOLS}")
    total = h.new_zeros(num_graphs, h.shape[1]).index_add_(0, batch, h)
    if kind == "sum":
        return total
    count = torch.bincount(batch, minlength=num_graphs).clamp(min=1).to(h.dtype)
    mean = total / count.unsqueeze(1)
    return mean if kind == "mean" else torch.cat([mean, total], 1)


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
