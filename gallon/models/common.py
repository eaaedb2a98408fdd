"""Pieces shared by all models: graph pooling and the readout head."""

from __future__ import annotations

import torch
from torch import nn

POOLS = ("mean", "sum", "norm", "mean_sum")
NORM_SCALE = 0.01  # `norm` pooling: sum / 100 (chemprop's NormAggregation), size-aware but tame


def pool_graphs(
    h: torch.Tensor,
    batch: torch.Tensor,
    num_graphs: int,
    kind: str,
    counts: torch.Tensor | None = None,
) -> torch.Tensor:
    """(N, H) node states → (B, H) per graph; 'norm' is sum / 100; 'mean_sum' concatenates
    mean and sum → (B, 2H). `counts` (B,): nodes per graph when the caller has them (the ONNX
    export does: ONNX has no bincount), else counted from `batch`.

    Plain torch (PyG's global pools compute the same sums): the student, which screening loads
    in every worker, then never imports torch_geometric (~200 MB per process)."""
    if kind not in POOLS:
        raise ValueError(f"unknown pool '{kind}'; choose one of {POOLS}")
    total = h.new_zeros(num_graphs, h.shape[1]).index_add_(0, batch, h)
    if kind == "sum":
        return total
    if kind == "norm":
        return total * NORM_SCALE
    if counts is None:
        counts = torch.bincount(batch, minlength=num_graphs)
    count = counts.clamp(min=1).to(h.dtype)
    mean = total / count.unsqueeze(1)
    return mean if kind == "mean" else torch.cat([mean, total], 1)


class AtomInput(nn.Module):
    """x (N, F) → (N, out_dim): dense columns as they are, then the featurizer's trailing
    `id_columns` integer columns (environment ids in [0, id_buckets)) embedded and summed.

    The embedding of column j is a table of its own (offset j·buckets). Tables start at zero,
    so an environment never seen in training contributes nothing instead of random noise.

    `id_dropout` p > 0 drops each (atom, column) id with probability p while training (its
    embedding left out of the sum, the rest scaled by 1/(1 − p)): about a tenth of a new
    scaffold's radius-2 environments were never seen in training (Lipophilicity), and there the
    student must lean on the dense columns and the smaller radii."""

    def __init__(
        self,
        in_dim: int,
        id_columns: int = 0,
        id_buckets: int = 0,
        id_dim: int = 0,
        id_dropout: float = 0.0,
    ):
        super().__init__()
        self.dense = in_dim - id_columns
        self.id_dropout = id_dropout
        self.embed = None
        if id_columns:
            self.embed = nn.EmbeddingBag(id_columns * id_buckets, id_dim, mode="sum")
            nn.init.zeros_(self.embed.weight)
            self.register_buffer("offsets", torch.arange(id_columns) * id_buckets)
        self.out_dim = self.dense + (id_dim if id_columns else 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.embed is None:
            return x
        ids = x[:, self.dense :].long() + self.offsets
        weights = None
        if self.training and self.id_dropout > 0:
            keep = torch.rand(ids.shape, device=x.device) >= self.id_dropout
            weights = keep.to(x.dtype) / (1.0 - self.id_dropout)
        return torch.cat([x[:, : self.dense], self.embed(ids, per_sample_weights=weights)], 1)


def pooled_dim(hidden: int, kind: str) -> int:
    return 2 * hidden if kind == "mean_sum" else hidden


class Readout(nn.Module):
    """Pool node states, then dropout and a head: returns (out (B, T), h (B, D)).

    The head is linear, or with `head_hidden` > 0 Linear → ReLU → dropout → Linear, so that the
    molecule-level map is not additive over atoms."""

    def __init__(
        self, hidden: int, num_tasks: int, pool: str, dropout: float, head_hidden: int = 0
    ) -> None:
        super().__init__()
        self.pool = pool
        self.dropout = nn.Dropout(dropout)
        dim = pooled_dim(hidden, pool)
        if head_hidden:
            self.head = nn.Sequential(
                nn.Linear(dim, head_hidden),
                nn.ReLU(),
                nn.Dropout(dropout),
                nn.Linear(head_hidden, num_tasks),
            )
        else:
            self.head = nn.Linear(dim, num_tasks)

    def forward(
        self,
        h: torch.Tensor,
        batch: torch.Tensor,
        num_graphs: int,
        counts: torch.Tensor | None = None,
    ):
        g = pool_graphs(h, batch, num_graphs, self.pool, counts)
        return self.head(self.dropout(g)), g
