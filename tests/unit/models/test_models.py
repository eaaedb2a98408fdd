import pytest
import torch

from gallon.errors import ConfigError
from gallon.models import MODELS, build_model, count_parameters
from gallon.models.ensemble import members_of


def graph_batch(n_graphs=3, atoms=4, in_dim=10, edge_dim=5):
    n = n_graphs * atoms
    src = torch.arange(n - 1)
    keep = (src + 1) % atoms != 0  # chain inside each graph
    ei = torch.stack([src[keep], src[keep] + 1])
    ei = torch.cat([ei, ei.flip(0)], 1)
    batch = torch.arange(n_graphs).repeat_interleave(atoms)
    return torch.randn(n, in_dim), ei, torch.randn(ei.shape[1], edge_dim), batch


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("pool", ["mean", "sum", "mean_sum"])
def test_every_model_maps_graphs_to_outputs_and_embeddings(name, pool):
    x, ei, ea, batch = graph_batch()
    model = build_model(
        {
            "name": name,
            "in_dim": 10,
            "edge_dim": 5,
            "num_tasks": 2,
            "hidden": 16,
            "layers": 2,
            "dropout": 0.0,
            "pool": pool,
        }
    )
    out, h = model(x, ei, ea, batch, 3)
    assert out.shape == (3, 2)
    assert h.shape == (3, 32 if pool == "mean_sum" else 16)
    assert count_parameters(model) > 0


def test_student_ignores_bonds():
    x, ei, ea, batch = graph_batch()
    model = build_model({"name": "atom_mlp", "in_dim": 10, "num_tasks": 1, "hidden": 8}).eval()
    a, _ = model(x, ei, ea, batch, 3)
    b, _ = model(x, torch.zeros(2, 0, dtype=torch.long), torch.zeros(0, 5), batch, 3)
    assert torch.equal(a, b)


def test_gine_uses_bonds():
    x, ei, ea, batch = graph_batch()
    model = build_model({"name": "gine", "in_dim": 10, "edge_dim": 5, "num_tasks": 1}).eval()
    assert not torch.allclose(model(x, ei, ea, batch, 3)[0], model(x, ei, ea * 0, batch, 3)[0])


def test_unknown_model():
    with pytest.raises(ConfigError, match="unknown model 'transformer'"):
        build_model({"name": "transformer"})


def test_dmpnn_atom_states_then_readout_is_the_forward_pass():
    x, ei, ea, batch = graph_batch()
    model = build_model({"name": "dmpnn", "in_dim": 10, "edge_dim": 5, "num_tasks": 1}).eval()
    states = model.atom_states(x, ei, ea)
    assert states.shape == (12, 300)  # one state per atom, before pooling
    out, h = model(x, ei, ea, batch, 3)
    again, h_again = model.readout(states, batch, 3)
    assert torch.equal(out, again) and torch.equal(h, h_again)


def test_id_dropout_leaves_out_environment_ids_only_while_training():
    torch.manual_seed(0)
    x = torch.cat([torch.randn(12, 4), torch.randint(0, 7, (12, 3)).float()], 1)
    batch = torch.arange(3).repeat_interleave(4)
    spec = {"name": "atom_mlp", "in_dim": 7, "num_tasks": 1, "hidden": 8, "id_columns": 3,
            "id_buckets": 8, "id_dropout": 0.5}  # fmt: skip
    model = build_model(spec)
    torch.nn.init.normal_(model.input.embed.weight)  # tables start at zero: make ids matter
    model.eval()
    assert torch.equal(model(x, None, None, batch, 3)[0], model(x, None, None, batch, 3)[0])
    model.input.train()
    a, b = model.input(x), model.input(x)
    assert torch.equal(a[:, :4], b[:, :4])  # dense columns pass through untouched
    assert not torch.equal(a[:, 4:], b[:, 4:])  # a fresh draw of dropped ids each call


def test_an_ensemble_predicts_its_members_mean_and_keeps_their_representations():
    x, ei, ea, batch = graph_batch()
    hp = {"name": "atom_mlp", "in_dim": 10, "num_tasks": 2, "hidden": 8, "members": 3}
    torch.manual_seed(0)
    model = build_model(hp).eval()
    assert [type(m).__name__ for m in members_of(model)] == ["AtomMLP"] * 3
    assert not model.uses_bonds
    out, h = model(x, ei, ea, batch, 3)
    each = [m(x, ei, ea, batch, 3) for m in members_of(model)]
    assert torch.allclose(out, torch.stack([o for o, _ in each]).mean(0))
    assert torch.equal(h, torch.cat([e for _, e in each], 1))
    assert not torch.allclose(each[0][0], each[1][0])  # initialised independently
    torch.manual_seed(0)
    single = build_model({**hp, "members": 1})
    assert members_of(single) == [single]
    # the first member is the model a single run of the same seed would have built
    first = members_of(model)[0]
    assert all(torch.equal(a, b) for a, b in zip(single.parameters(), first.parameters()))
    assert count_parameters(model) == 3 * count_parameters(single)
