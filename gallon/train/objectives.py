"""Training objectives: masked supervised loss plus any number of teacher terms.

    loss = sup(y) + Σ_teachers weight · term(student, teacher)

Terms (per teacher):
- label, classification: KL(p_teacher ‖ p_student) per task, Bernoulli with temperature τ,
  averaged over tasks and molecules, times τ² (equals the paper's 2-class softmax KL for 1 task).
- label, regression: MSE between student and teacher outputs (both in scaled target units).
- representation: MSE between the pooled student representation and the teacher's pooled
  representation (z-scored on train), through a learned linear map W on the student side
  (`student`, FitNets-style), on the teacher side (`teacher`), or as the paper writes it
  (`paper`): MSE(h_MLP, h_GNN) without a map (equal sizes) and MSE(h_MLP, W·h_LM).
Missing labels (NaN) are masked out of the supervised loss; teachers still give soft targets.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from gallon.errors import ConfigError
from gallon.models.ensemble import members_of


@dataclass(frozen=True)
class TeacherTerm:
    """One distillation term: which teacher, how strong, and which kind of alignment."""

    teacher: str  # e.g. "gnn", "lm": batch attributes t_<teacher>_out / t_<teacher>_h
    weight: float
    kind: str  # "label" | "representation"
    teacher_dim: int = 0  # pooled representation size (representation terms)


def resolve_terms(
    task: str, kind: str, weights: dict[str, float], dims: dict[str, int]
) -> list[TeacherTerm]:
    """Expand the config's distill.kind ('auto' | 'label' | 'representation' | 'both')."""
    if kind == "auto":
        kinds = ["label"] if task == "classification" else ["representation"]
    elif kind == "both":
        kinds = ["label", "representation"]
    else:
        kinds = [kind]
    return [
        TeacherTerm(name, w, k, dims.get(name, 0))
        for name, w in weights.items()
        if w > 0
        for k in kinds
    ]


def supervised_loss(
    out: torch.Tensor, y: torch.Tensor, task: str, label_smoothing: float = 0.0
) -> torch.Tensor:
    """Masked BCE-with-logits (classification) or MSE (regression).

    out, y: (B, T); NaN in y marks a missing label."""
    mask = ~torch.isnan(y)
    if not mask.any():
        return out.sum() * 0.0
    target = torch.where(mask, y, torch.zeros_like(y))
    if task == "classification":
        target = target * (1 - label_smoothing) + 0.5 * label_smoothing
        per = F.binary_cross_entropy_with_logits(out, target, reduction="none")
    else:
        per = (out - target) ** 2
    return per[mask].mean()


def masked_mean(values: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Mean of (B, K) `values` over the molecules whose (B, 1) `mask` is 1 (all if None)."""
    if mask is None:
        return values.mean()
    weight = mask.expand_as(values)
    return (values * weight).sum() / weight.sum().clamp(min=1.0)


def bernoulli_kl(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    tau: float,
    mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """Mean over (B, T) of KL(Bern(σ(t/τ)) ‖ Bern(σ(s/τ))), times τ²."""
    s, t = student_logits / tau, teacher_logits / tau
    p = torch.sigmoid(t)
    kl = p * (F.logsigmoid(t) - F.logsigmoid(s)) + (1 - p) * (F.logsigmoid(-t) - F.logsigmoid(-s))
    return masked_mean(kl, mask) * tau * tau


class Objective(nn.Module):
    """Holds the learned projections of representation terms; call it on a batch's outputs."""

    def __init__(
        self,
        task: str,
        terms: list[TeacherTerm],
        student_dim: int,
        temperature: float = 1.0,
        projection: str = "student",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__()
        self.label_smoothing = label_smoothing
        self.task, self.terms, self.tau, self.projection = (
            task,
            list(terms),
            temperature,
            projection,
        )
        self.maps = nn.ModuleDict()
        self.teacher_side: set[str] = set()  # terms whose map applies to the teacher's h
        for term in self.terms:
            if term.kind != "representation":
                continue
            dims = (student_dim, term.teacher_dim)
            if projection == "paper" and term.teacher == "gnn":
                if student_dim != term.teacher_dim:
                    raise ConfigError(
                        f"distill.projection=paper compares h_MLP and h_GNN directly, but their "
                        f"sizes differ ({student_dim} vs {term.teacher_dim}); give the student "
                        "and the GNN the same hidden size and pooling."
                    )
                self.maps[term.teacher] = nn.Identity()
            elif projection == "student":
                self.maps[term.teacher] = nn.Linear(*dims)
            else:  # teacher, or the paper's W·h_LM
                self.maps[term.teacher] = nn.Linear(*dims[::-1])
                self.teacher_side.add(term.teacher)

    def forward(
        self, out: torch.Tensor, h: torch.Tensor, batch
    ) -> tuple[torch.Tensor, dict[str, float]]:
        loss = supervised_loss(out, batch.y, self.task, self.label_smoothing)
        parts = {"sup": float(loss.detach())}
        for term in self.terms:
            if term.kind == "label":
                target = getattr(batch, f"t_{term.teacher}_out")
                mask = getattr(batch, f"t_{term.teacher}_mask", None)
                if self.task == "classification":
                    value = bernoulli_kl(out, target, self.tau, mask)
                else:
                    value = masked_mean((out - target) ** 2, mask)
            else:
                target = getattr(batch, f"t_{term.teacher}_h")
                mask = getattr(batch, f"t_{term.teacher}_hmask", None)
                proj = self.maps[term.teacher]
                if term.teacher in self.teacher_side:
                    value = masked_mean((h - proj(target)) ** 2, mask)
                else:
                    value = masked_mean((proj(h) - target) ** 2, mask)
            parts[f"{term.teacher}_{term.kind}"] = float(value.detach())
            loss = loss + term.weight * value
        parts["loss"] = float(loss.detach())
        return loss, parts


class TrainModule(nn.Module):
    """Model + objectives as one module, so DDP syncs the projections' gradients too.

    `objectives` holds one `Objective` per member of the model (`members_of`: an ensemble's
    members, else the model itself); each member is scored on its own outputs and the loss is
    their sum, so each member gets exactly the gradient it would get alone (the parts reported
    are means over members). `forward_fn(member, batch) -> (out, h)` is the task's way of
    running a network on a batch."""

    def __init__(self, model: nn.Module, objectives: list[Objective], forward_fn) -> None:
        super().__init__()
        self.model, self.objectives, self.forward_fn = model, nn.ModuleList(objectives), forward_fn

    def forward(self, batch):
        members = members_of(self.model)
        total, parts = 0.0, {}
        for member, objective in zip(members, self.objectives, strict=True):
            loss, own = objective(*self.forward_fn(member, batch), batch)
            total = total + loss
            for k, v in own.items():
                parts[k] = parts.get(k, 0.0) + v / len(members)
        return total, parts
