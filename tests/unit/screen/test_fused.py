import pytest
import torch

from gallon.models.ensemble import MemberMean
from gallon.models.gnn import GINE
from gallon.models.student import AtomMLP
from gallon.screen.fused import FusedStudents


def _student(layers: int, pool: str, seed: int, ids: int = 0, head: int = 0) -> AtomMLP:
    torch.manual_seed(seed)
    model = AtomMLP(
        in_dim=6,
        num_tasks=2,
        hidden=8,
        layers=layers,
        pool=pool,
        id_columns=ids,
        id_buckets=5,
        head_hidden=head,
    )
    if ids:
        model.input.embed.weight.data.normal_()
    for norm in model.norms:  # non-trivial running statistics, so folding them matters
        norm.running_mean.uniform_(-1, 1)
        norm.running_var.uniform_(0.5, 2)
        norm.weight.data.uniform_(0.5, 1.5)
        norm.bias.data.uniform_(-0.5, 0.5)
    return model.eval()


def _graphs():
    sizes = torch.tensor([3, 1, 5, 2])
    batch = torch.repeat_interleave(torch.arange(4), sizes)
    return torch.randn(int(sizes.sum()), 6), batch


@pytest.mark.parametrize("pool", ["mean", "sum", "norm", "mean_sum"])
@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize("ids,head", [(0, 0), (2, 0), (0, 5), (2, 5)])
def test_folded_ensemble_equals_the_trained_modules(pool, layers, ids, head):
    members = [_student(layers, pool, seed, ids, head) for seed in (0, 1, 2)]
    x, batch = _graphs()
    if ids:  # the last two columns hold environment ids in [0, 5)
        x[:, 4:] = torch.randint(0, 5, (x.shape[0], 2)).float()
    none = torch.zeros(2, 0, dtype=torch.long), torch.zeros(0, 1)
    with torch.no_grad():
        want = torch.stack([m(x, *none, batch, 4)[0] for m in members])
    got = FusedStudents(members, chunk_atoms=4)(x, batch, 4)  # chunks split molecules
    assert got.shape == (3, 4, 2)
    assert torch.allclose(got, want, atol=1e-5)


def test_bf16_stays_close_and_bad_inputs_are_refused():
    members = [_student(3, "mean_sum", 0)]
    x, batch = _graphs()
    fp32 = FusedStudents(members)(x, batch, 4)
    bf16 = FusedStudents(members, dtype=torch.bfloat16)(x, batch, 4)
    assert not torch.equal(fp32, bf16)
    assert torch.allclose(fp32, bf16, atol=0.05 * float(fp32.abs().max()))
    with pytest.raises(ValueError, match="different depths"):
        FusedStudents([_student(2, "mean", 0), _student(3, "mean", 0)])
    with pytest.raises(TypeError):
        FusedStudents([GINE(in_dim=6, edge_dim=3, num_tasks=1)])


@pytest.mark.parametrize("layers", [1, 2, 3])
def test_ids_only_features_fold_into_lookups(layers):
    """`morgan` features alone (no dense column): the first layer becomes a table lookup."""
    torch.manual_seed(0)
    members = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        m = AtomMLP(in_dim=3, num_tasks=1, hidden=8, layers=layers, pool="mean_sum",
                    id_columns=3, id_buckets=7, head_hidden=4)  # fmt: skip
        m.input.embed.weight.data.normal_()
        members.append(m.eval())
    sizes = torch.tensor([2, 4, 1])
    batch = torch.repeat_interleave(torch.arange(3), sizes)
    x = torch.randint(0, 7, (7, 3)).float()
    none = torch.zeros(2, 0, dtype=torch.long), torch.zeros(0, 1)
    with torch.no_grad():
        want = torch.stack([m(x, *none, batch, 3)[0] for m in members])
    fused = FusedStudents(members)
    assert all(t is not None for t in fused.tables) == (layers > 1)
    assert torch.allclose(fused(x, batch, 3), want, atol=1e-5)


def test_an_ensemble_model_folds_to_its_members_mean():
    members = [_student(2, "mean_sum", seed, ids=2, head=5) for seed in (0, 1)]
    ensemble = MemberMean(members).eval()
    single = _student(2, "mean_sum", 2, ids=2, head=5)
    x, batch = _graphs()
    x[:, 4:] = torch.randint(0, 5, (x.shape[0], 2)).float()
    none = torch.zeros(2, 0, dtype=torch.long), torch.zeros(0, 1)
    with torch.no_grad():
        want = torch.stack([ensemble(x, *none, batch, 4)[0], single(x, *none, batch, 4)[0]])
    got = FusedStudents([ensemble, single], chunk_atoms=4)(x, batch, 4)
    assert got.shape == (2, 4, 2)
    assert torch.allclose(got, want, atol=1e-5)
