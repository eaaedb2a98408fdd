"""Students of an ensemble folded into one inference-only module, for screening.

Two rewrites, each exact in real arithmetic (results agree with the trained modules up to
float rounding, ~1e-6):

- eval-mode BatchNorm after a ReLU is an affine map; it is folded into the next Linear;
- the last per-atom Linear has no activation after it and mean/sum pooling are linear, so
  "Linear then pool" equals "pool then Linear": it moves after pooling and merges with the head,
  which leaves (layers - 1) per-atom matmuls instead of `layers`;
- environment-id embeddings feed the first Linear with nothing in between, so each embedding
  table is multiplied into that Linear once: the first layer then costs a table lookup for the
  ids and a matmul over the dense columns only (none for `morgan` features alone);

Atoms are processed in chunks and pooled sums accumulated, so activation memory stays bounded
whatever the batch size. `dtype=torch.bfloat16` runs the per-atom matmuls in bfloat16 (≈5× faster
on CPUs with native bf16; results then differ from fp32 by bf16 rounding, see docs/benchmarks.md).
"""

from __future__ import annotations

import torch
from torch import nn

from gallon.models.common import NORM_SCALE, POOLS
from gallon.models.ensemble import members_of
from gallon.models.student import AtomMLP


def _folded_layers(model: AtomMLP) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(weight (out, in), bias (out,)) per Linear, each preceding BatchNorm folded in."""
    layers = []
    scale = shift = None
    for i, linear in enumerate(model.linears):
        w, b = linear.weight.detach().double(), linear.bias.detach().double()
        if scale is not None:
            b = b + w @ shift
            w = w * scale[None, :]
        layers.append((w, b))
        if i < len(model.norms):
            norm = model.norms[i]
            scale = norm.weight.detach().double() / torch.sqrt(
                norm.running_var.detach().double() + norm.eps
            )
            shift = norm.bias.detach().double() - norm.running_mean.detach().double() * scale
    return layers


def _readout_maps(model: AtomMLP, last: tuple[torch.Tensor, torch.Tensor]):
    """The last Linear merged with the head: out = A_mean·mean(h) + A_sum·sum(h) + c0 + n·c1."""
    w, b = last
    head = model.readout.head
    if isinstance(head, nn.Sequential):  # Linear → ReLU → Dropout → Linear: fold the first
        head = head[0]
    head_w, head_b = head.weight.detach().double(), head.bias.detach().double()
    hidden, pool = w.shape[0], model.readout.pool
    zeros = torch.zeros(head_w.shape[0], hidden, dtype=torch.float64)
    on_mean = head_w[:, :hidden] if pool in ("mean", "mean_sum") else zeros
    if pool not in POOLS:
        raise ValueError(f"cannot fold pooling '{pool}'")
    on_sum = {"sum": head_w, "norm": head_w * NORM_SCALE, "mean_sum": head_w[:, hidden:]}.get(
        pool, zeros
    )
    return on_mean @ w, on_sum @ w, on_mean @ b + head_b, on_sum @ b


class FusedStudents(nn.Module):
    """`forward(x (N, F), batch (N,), num_graphs B) -> raw outputs (len(models), B, T)`.

    A model that is an ensemble (`MemberMean`) is folded member by member and gives the mean
    of its members' raw outputs, as its own forward pass does."""

    def __init__(
        self,
        models: list[nn.Module],
        dtype: torch.dtype = torch.float32,
        chunk_atoms: int = 16384,
    ) -> None:
        super().__init__()
        groups = [members_of(m) for m in models]
        self.group_sizes = [len(g) for g in groups]
        models = [m for g in groups for m in g]
        if not models or not all(isinstance(m, AtomMLP) for m in models):
            raise TypeError("FusedStudents takes atom_mlp students only")
        folded = [_folded_layers(m) for m in models]
        depth = {len(f) for f in folded}
        if len(depth) != 1:
            raise ValueError("the students have different depths; score them separately")
        self.members, self.dtype, self.chunk_atoms = len(models), dtype, chunk_atoms
        # environment-id embeddings run on the fp32 features (ids are not exact in bf16)
        self.inputs = [m.input.eval() for m in models]
        # per member: the per-atom layers (each followed by a ReLU), weights stored as (in, out)
        self.layers = [
            [(w.t().contiguous().to(dtype), b.to(dtype)) for w, b in f[:-1]] for f in folded
        ]
        # per member: (id column offsets, embedding tables times the first Linear) or None
        self.tables: list[tuple[torch.Tensor, torch.Tensor] | None] = []
        for m, f, layers in zip(models, folded, self.layers):
            embed = m.input.embed
            if embed is None or not layers:  # no ids, or no per-atom layer to fold them into
                self.tables.append(None)
                continue
            dense = m.input.dense
            w = f[0][0]  # (out, dense + id_dim), float64
            table = embed.weight.detach().double() @ w[:, dense:].t()  # (ids, out)
            self.tables.append((m.input.offsets, table.float()))
            layers[0] = (w[:, :dense].t().contiguous().to(dtype), layers[0][1])
        maps = [_readout_maps(m, f[-1]) for m, f in zip(models, folded)]
        self.a_mean, self.a_sum, self.c0, self.c1 = (
            torch.stack([mp[i] for mp in maps]).float() for i in range(4)
        )
        # a head with a hidden layer: ReLU, then its last Linear, per member
        heads = [m.readout.head for m in models]
        self.tail = None
        if all(isinstance(h, nn.Sequential) for h in heads):
            self.tail = (
                torch.stack([h[-1].weight.detach() for h in heads]).float(),
                torch.stack([h[-1].bias.detach() for h in heads]).float(),
            )
        elif any(isinstance(h, nn.Sequential) for h in heads):
            raise ValueError("the students have different heads; score them separately")

    def _hidden(self, x: torch.Tensor, member: int) -> torch.Tensor:
        """(n, F) atom features → (n, D) one member's last hidden states."""
        layers, table = self.layers[member], self.tables[member]
        if table is None:
            h = self.inputs[member](x).to(self.dtype)
        else:  # first layer: dense columns through the matmul, ids looked up in the table
            offsets, weights = table
            dense = layers[0][0].shape[0]
            ids = x[:, dense:].long() + offsets
            looked = nn.functional.embedding_bag(ids, weights, mode="sum").to(self.dtype)
            w, b = layers[0]
            first = torch.addmm(b, x[:, :dense].to(self.dtype), w) if dense else b
            h = torch.relu(first + looked)
            layers = layers[1:]
        for w, b in layers:
            h = torch.relu(torch.addmm(b, h, w))
        return h.float()

    @torch.no_grad()
    def forward(self, x: torch.Tensor, batch: torch.Tensor, num_graphs: int) -> torch.Tensor:
        width = self.a_mean.shape[2]
        sums = torch.zeros(self.members, num_graphs, width)
        for start in range(0, x.shape[0], self.chunk_atoms):
            chunk = x[start : start + self.chunk_atoms]
            index = batch[start : start + self.chunk_atoms]
            for m in range(self.members):
                sums[m].index_add_(0, index, self._hidden(chunk, m))
        count = torch.bincount(batch, minlength=num_graphs).float().clamp(min=1.0)
        out = torch.einsum("mbd,mtd->mbt", sums / count[None, :, None], self.a_mean)
        out += torch.einsum("mbd,mtd->mbt", sums, self.a_sum)
        out = out + self.c0[:, None, :] + count[None, :, None] * self.c1[:, None, :]
        if self.tail is not None:
            w, b = self.tail
            out = torch.einsum("mbh,mth->mbt", torch.relu(out), w) + b[:, None, :]
        return torch.stack([part.mean(0) for part in out.split(self.group_sizes)])
