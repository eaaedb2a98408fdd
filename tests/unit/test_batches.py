import numpy as np
import torch
from rdkit import Chem

from gallon.batches import PackedGraphs, chunks, forward
from gallon.features.graphs import GraphFeaturizer

SMILES = ["CCO", "c1ccccc1O", "[Na+].[Cl-]", "C", "CC(=O)N"]


def _packed(smiles=SMILES, bonds=True):
    return PackedGraphs.from_molecules(
        [Chem.MolFromSmiles(s) for s in smiles], GraphFeaturizer(), bonds
    )


def test_gather_equals_pyg_batching():
    """A gathered batch holds what PyG's Batch.from_data_list builds from per-molecule graphs
    (what training used before): same atoms, shifted edges, edge features, membership."""
    from torch_geometric.data import Batch, Data

    g = GraphFeaturizer()
    order = np.array([4, 1, 2, 0])
    graphs = []
    for i in order:
        x, ei, ea = g(Chem.MolFromSmiles(SMILES[i]))
        graphs.append(Data(x=torch.from_numpy(x), edge_index=torch.from_numpy(ei),
                           edge_attr=torch.from_numpy(ea)))  # fmt: skip
    want = Batch.from_data_list(graphs)
    got = _packed().gather(order, {"row": torch.arange(5) * 10})
    for name in ("x", "edge_index", "edge_attr", "batch"):
        assert torch.equal(getattr(got, name), getattr(want, name)), name
    assert got.num_graphs == 4 and got.row.tolist() == [40, 10, 20, 0]


def test_table_round_trip_and_concat():
    packed = _packed()
    back = PackedGraphs.from_table(packed.to_table([7, 8, 9, 10, 11]), packed.x.shape[1], 14)
    for name in ("x", "atom_offsets", "edge_index", "edge_attr", "edge_offsets"):
        assert np.array_equal(getattr(back, name), getattr(packed, name)), name
    both = packed.concat(_packed(["CCN"]))
    assert len(both) == 6
    last = both.gather(np.array([5]))
    assert torch.equal(last.edge_index, torch.tensor([[0, 1, 1, 2], [1, 2, 0, 1]]))


def test_bond_free_batches_and_forward():
    packed = _packed(bonds=False)
    b = packed.gather(np.arange(5))
    assert not packed.bonds and b.edge_index.shape == (2, 0) and b.x.shape[0] == 17

    class Sizes(torch.nn.Module):
        def forward(self, x, edge_index, edge_attr, batch, num_graphs):
            return torch.bincount(batch, minlength=num_graphs), x

    out, _ = forward(Sizes(), b)
    assert out.tolist() == [3, 7, 2, 1, 4]


def test_chunks_keep_no_lone_last_molecule():
    assert [c.tolist() for c in chunks(np.arange(5), 2)] == [[0, 1], [2, 3, 4]]
    assert [c.tolist() for c in chunks(np.arange(4), 2)] == [[0, 1], [2, 3]]
