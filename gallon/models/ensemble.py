"""Several independently trained copies of one model, served as one: `NetConfig.members`.

Each member has its own initialisation and its own objective, teachers and projections
included (`gallon.train.objectives.TrainModule`; the training loss is the sum of the members'
losses, so no member's gradient depends on another), so the members make different errors on
molecules unlike the training set and their mean can beat each of them (Lipophilicity yes,
FreeSolv, BACE and ESOL a tie: docs/benchmarks.md, "Several students in one model"). A run
already serves the mean of its seeds' models, where members added nothing on validation and
made screening 1.71x slower, so the default is one. They share
the batches, which is what makes K members cheaper to train than K runs: one data pipeline, one
epoch loop.

The forward pass returns the members' mean raw output (logits for classification, scaled values
for regression) and their pooled representations side by side, so a saved ensemble predicts,
screens and exports like a single model.
"""

from __future__ import annotations

import torch
from torch import nn


class MemberMean(nn.Module):
    """`forward(...) -> (out (B, T) mean over members, h (B, members · D))`."""

    def __init__(self, members: list[nn.Module]) -> None:
        super().__init__()
        if len(members) < 2:
            raise ValueError("an ensemble needs at least two members")
        self.members = nn.ModuleList(members)

    @property
    def uses_bonds(self) -> bool:
        return self.members[0].uses_bonds

    def forward(self, x, edge_index, edge_attr, batch, num_graphs: int):
        outs, hs = zip(*(m(x, edge_index, edge_attr, batch, num_graphs) for m in self.members))
        return torch.stack(outs).mean(0), torch.cat(hs, 1)


def members_of(model: nn.Module) -> list[nn.Module]:
    """The independently trained networks inside `model`: an ensemble's members, or itself."""
    return list(model.members) if isinstance(model, MemberMean) else [model]
