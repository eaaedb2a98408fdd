import numpy as np
import pytest
import torch
from rdkit import Chem

from gallon.errors import ConfigError
from gallon.features.atoms import PygAtomFeaturizer, RichAtomFeaturizer, build_atom_featurizer
from gallon.features.bonds import BondFeaturizer
from gallon.features.graphs import GraphFeaturizer, featurize_smiles, graph_arrays


def test_rich_atoms_one_hot_blocks():
    f = RichAtomFeaturizer()
    x = f(Chem.MolFromSmiles("c1ccccc1O"))
    assert x.shape == (7, len(f)) and x.dtype == np.float32
    # 7 one-hot blocks → exactly 7 ones among the categorical slots of each atom
    n_cat = f._offsets[-1]
    assert (x[:, :n_cat].sum(1) == 7).all()
    aromatic, in_ring = x[:, n_cat], x[:, n_cat + 1]
    assert aromatic.tolist() == [1] * 6 + [0] and in_ring.tolist() == [1] * 6 + [0]
    six = f._ring_offset + 3  # ring sizes (3, 4, 5, 6, ...)
    assert x[:6, six].tolist() == [1] * 6 and x[6, six] == 0


def test_rich_atoms_rare_values_use_other_slot():
    f = RichAtomFeaturizer(elements=(6, 8))
    x = f(Chem.MolFromSmiles("[Pt]"))
    assert x[0, 2] == 1.0  # element block: C, O, other
    x = f(Chem.MolFromSmiles("[N+5]", sanitize=False))
    charge_other = f._offsets[2] + 5
    assert x[0, charge_other] == 1.0


def test_spec_round_trip():
    f = RichAtomFeaturizer(contributions=False)
    g = build_atom_featurizer(f.spec())
    assert len(g) == len(f) and g.spec() == f.spec()
    with pytest.raises(ConfigError, match="unknown atom featurizer"):
        build_atom_featurizer("nope")


def test_pyg_featurizer_matches_from_smiles():
    from torch_geometric.utils import from_smiles

    smiles = "C[C@H](N)C(=O)[O-]"
    x = PygAtomFeaturizer()(Chem.MolFromSmiles(smiles))
    assert torch.equal(torch.from_numpy(x).long(), from_smiles(smiles).x)


def test_bonds_both_directions():
    ei, ea = BondFeaturizer()(Chem.MolFromSmiles("C=CO"))
    assert ei.tolist() == [[0, 1, 1, 2], [1, 2, 0, 1]]
    assert ea.shape == (4, len(BondFeaturizer()))
    assert ea[0, 1] == 1.0 and ea[1, 0] == 1.0  # double, then single
    assert (ea[:2] == ea[2:]).all()


def test_featurize_smiles_reports_failures_and_round_trips():
    g = GraphFeaturizer()
    table, (bad_rows, bad_smiles, reasons) = featurize_smiles(
        [10, 11, 12, 13], ["CCO", "C1CC", "c1ccccc1", "[Na+].[Cl-]"], g
    )
    assert table.column("row").to_pylist() == [10, 12, 13]
    assert bad_rows == [11] and bad_smiles == ["C1CC"] and "syntax" in reasons[0]
    arrays = graph_arrays(table, g.atom_dim, g.bond_dim)
    x, ei, ea = arrays[1]
    x2, ei2, ea2 = g(Chem.MolFromSmiles("c1ccccc1"))
    assert np.array_equal(x, x2) and np.array_equal(ei, ei2) and np.array_equal(ea, ea2)
    assert arrays[2][1].shape == (2, 0)  # ions: no bonds


@pytest.mark.parametrize("name", ["rich", "rich_env", "pyg"])
def test_many_molecules_at_once_equal_one_by_one(name):
    mols = [Chem.MolFromSmiles(s) for s in ("c1ccccc1O", "[Na+].[Cl-]", "C1CC1C(=O)[O-]", "C")]
    f = build_atom_featurizer(name)
    stacked = f.many(mols)
    assert stacked.shape == (sum(m.GetNumAtoms() for m in mols), len(f))
    np.testing.assert_array_equal(stacked, np.concatenate([f(m) for m in mols]))
    assert f.many([]).shape == (0, len(f))


def test_pyg_features_map_unknown_values_to_other():
    f = PygAtomFeaturizer()
    x = f(Chem.MolFromSmiles("[N+7]", sanitize=False))  # a charge outside PyG's −5..6
    assert x[0, 3] == 12  # "other", not 0 (which is PyG's code for −5)
    assert f(Chem.MolFromSmiles("[N-5]", sanitize=False))[0, 3] == 0
