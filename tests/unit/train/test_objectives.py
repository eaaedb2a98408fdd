import math

import pytest
import torch
import torch.nn.functional as F
from torch_geometric.data import Data

from gallon.errors import ConfigError
from gallon.train.objectives import (
    Objective,
    TeacherTerm,
    bernoulli_kl,
    resolve_terms,
    supervised_loss,
)


def test_supervised_losses_mask_missing_labels():
    out = torch.tensor([[0.0, 2.0], [1.0, -1.0]])
    y = torch.tensor([[1.0, float("nan")], [0.0, 1.0]])
    bce = lambda z, t: (
        -(t * math.log(1 / (1 + math.exp(-z))) + (1 - t) * math.log(1 - 1 / (1 + math.exp(-z))))
    )
    expected = (bce(0.0, 1) + bce(1.0, 0) + bce(-1.0, 1)) / 3
    assert math.isclose(supervised_loss(out, y, "classification").item(), expected, rel_tol=1e-6)
    expected_mse = ((0 - 1) ** 2 + (1 - 0) ** 2 + (-1 - 1) ** 2) / 3
    assert math.isclose(supervised_loss(out, y, "regression").item(), expected_mse, rel_tol=1e-6)
    assert supervised_loss(out, torch.full_like(y, float("nan")), "regression").item() == 0.0


def test_bernoulli_kl_equals_two_class_softmax_kl():
    # the paper: KLDivLoss(log_softmax(student), log_softmax(teacher), batchmean, log_target)
    s, t = torch.tensor([[0.3], [-1.2], [2.0]]), torch.tensor([[1.0], [0.5], [-0.7]])
    two = lambda z: torch.cat([torch.zeros_like(z), z], 1)  # logit z ≡ logits (0, z)
    paper = torch.nn.KLDivLoss(reduction="batchmean", log_target=True)(
        F.log_softmax(two(s), 1), F.log_softmax(two(t), 1)
    )
    assert torch.isclose(bernoulli_kl(s, t, 1.0), paper, atol=1e-6)
    assert bernoulli_kl(t, t, 2.0).abs().item() < 1e-7


def test_bernoulli_kl_by_hand_with_temperature():
    s, t, tau = torch.tensor([[0.0]]), torch.tensor([[2.0]]), 2.0
    p, q = 1 / (1 + math.exp(-1.0)), 0.5
    expected = (p * math.log(p / q) + (1 - p) * math.log((1 - p) / (1 - q))) * tau**2
    assert math.isclose(bernoulli_kl(s, t, tau).item(), expected, rel_tol=1e-6)


def test_resolve_terms():
    auto_c = resolve_terms("classification", "auto", {"gnn": 0.1, "lm": 0.0}, {"gnn": 8})
    assert auto_c == [TeacherTerm("gnn", 0.1, "label", 8)]
    auto_r = resolve_terms("regression", "auto", {"gnn": 0.1, "lm": 0.2}, {"gnn": 8, "lm": 4})
    assert [(t.teacher, t.kind) for t in auto_r] == [
        ("gnn", "representation"),
        ("lm", "representation"),
    ]
    both = resolve_terms("regression", "both", {"gnn": 1.0}, {"gnn": 8})
    assert [t.kind for t in both] == ["label", "representation"]


def test_objective_sums_weighted_terms_by_hand():
    torch.manual_seed(0)
    terms = [TeacherTerm("gnn", 0.5, "label"), TeacherTerm("lm", 2.0, "representation", 3)]
    obj = Objective("classification", terms, student_dim=4)
    out, h = torch.tensor([[0.2], [-0.4]]), torch.randn(2, 4)
    batch = Data(
        y=torch.tensor([[1.0], [0.0]]),
        t_gnn_out=torch.tensor([[1.0], [-1.0]]),
        t_lm_h=torch.randn(2, 3),
    )
    loss, parts = obj(out, h, batch)
    sup = F.binary_cross_entropy_with_logits(out, batch.y)
    kl = bernoulli_kl(out, batch.t_gnn_out, 1.0)
    rep = F.mse_loss(obj.maps["lm"](h), batch.t_lm_h)
    assert torch.isclose(loss, sup + 0.5 * kl + 2.0 * rep)
    assert set(parts) == {"sup", "gnn_label", "lm_representation", "loss"}
    # the paper's placement: W maps the teacher into the student's space
    paper = Objective(
        "regression", [TeacherTerm("lm", 1.0, "representation", 3)], 4, projection="teacher"
    )
    assert paper.maps["lm"].in_features == 3 and paper.maps["lm"].out_features == 4


def test_paper_regression_loss_by_hand():
    # MSE(y) + α·MSE(h_MLP, h_GNN) + β·MSE(h_MLP, W·h_LM), W on the LM side, no map for the GNN
    terms = [
        TeacherTerm("gnn", 0.5, "representation", 2),
        TeacherTerm("lm", 2.0, "representation", 3),
    ]
    obj = Objective("regression", terms, student_dim=2, projection="paper")
    with torch.no_grad():
        obj.maps["lm"].weight.copy_(torch.tensor([[1.0, 0.0, 1.0], [0.0, 2.0, 0.0]]))
        obj.maps["lm"].bias.zero_()
    out, h = torch.tensor([[1.0], [0.0]]), torch.tensor([[1.0, 2.0], [0.0, -1.0]])
    batch = Data(
        y=torch.tensor([[0.0], [float("nan")]]),  # the missing label is masked out
        t_gnn_h=torch.tensor([[1.0, 0.0], [0.0, 0.0]]),
        t_lm_h=torch.tensor([[1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]),
    )
    loss, _ = obj(out, h, batch)
    sup = 1.0  # (1 - 0)² over the one labelled molecule
    gnn = (0 + 4 + 0 + 1) / 4  # h − h_GNN = [[0, 2], [0, -1]]
    lm = (0 + 0 + 0 + 1) / 4  # W·h_LM = [[1, 2], [0, 0]]; h − W·h_LM = [[0, 0], [0, -1]]
    assert abs(float(loss) - (sup + 0.5 * gnn + 2.0 * lm)) < 1e-6
    with pytest.raises(ConfigError, match="sizes differ"):
        Objective(
            "regression", [TeacherTerm("gnn", 1.0, "representation", 5)], 2, projection="paper"
        )


def test_teacher_masks_drop_molecules_a_teacher_did_not_score():
    obj = Objective("regression", [TeacherTerm("gnn", 1.0, "label")], student_dim=2)
    out, h = torch.tensor([[1.0], [5.0]]), torch.zeros(2, 2)
    batch = Data(
        y=torch.tensor([[float("nan")], [float("nan")]]),
        t_gnn_out=torch.tensor([[0.0], [0.0]]),
        t_gnn_mask=torch.tensor([[1.0], [0.0]]),  # the second molecule has no teacher output
    )
    loss, parts = obj(out, h, batch)
    assert abs(parts["gnn_label"] - 1.0) < 1e-6 and abs(float(loss) - 1.0) < 1e-6
