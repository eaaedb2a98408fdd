import numpy as np
import pytest
import torch
from rdkit import Chem

from gallon.batches import PackedGraphs
from gallon.errors import ConfigError
from gallon.features.atoms import PygAtomFeaturizer, RichAtomFeaturizer, build_atom_featurizer
from gallon.features.bonds import BondFeaturizer
from gallon.features.graphs import GraphFeaturizer, featurize_molecules, featurize_smiles


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
    packed = PackedGraphs.from_table(table, g.atom_dim, g.bond_dim)
    benzene = packed.gather(np.array([1]))
    x2, ei2, ea2 = g(Chem.MolFromSmiles("c1ccccc1"))
    assert np.array_equal(benzene.x.numpy(), x2) and np.array_equal(benzene.edge_index, ei2)
    assert np.array_equal(benzene.edge_attr.numpy(), ea2)
    assert packed.gather(np.array([2])).edge_index.shape == (2, 0)  # ions: no bonds


def test_a_featurizer_error_costs_only_its_molecule(monkeypatch):
    g = GraphFeaturizer()
    real = g.atoms.many

    def many(mols):  # the batched call fails as soon as the poisoned molecule is in it
        if any(m.GetNumAtoms() == 2 for m in mols):
            raise ValueError("poisoned")
        return real(mols)

    monkeypatch.setattr(g.atoms, "many", many)
    table, (bad_rows, bad_smiles, reasons) = featurize_smiles([0, 1, 2], ["CCO", "CO", "C"], g)
    assert table.column("row").to_pylist() == [0, 2] and bad_rows == [1]
    assert bad_smiles == ["CO"] and reasons == ["featurization failed: ValueError: poisoned"]


# charged, aromatic heterocycles, stereocentres (tetrahedral, double bond) and a salt
ZOO = ["C[n+]1ccccc1", "c1ccc2[nH]ccc2c1", "Cn1cnc2c1c(=O)n(C)c(=O)n2C", "C[C@H](N)C(=O)O",
       "F/C=C/Cl", "CC(=O)[O-].[Na+]", "[NH4+].[Cl-]", "O=S(=O)([O-])c1ccccc1"]  # fmt: skip


@pytest.mark.parametrize("atoms", ["rich", "rich_morgan", "lean_morgan", "morgan", "pyg"])
def test_training_and_screening_see_identical_features(atoms):
    """What the featurize stage stores and training reads back equals what screening builds
    from the same molecules, batch for batch."""
    g = GraphFeaturizer(atoms)
    table, (bad, _, _) = featurize_smiles(range(len(ZOO)), ZOO, g)
    assert bad == []
    stored = PackedGraphs.from_table(table, g.atom_dim, g.bond_dim)
    screened, failed = featurize_molecules([Chem.MolFromSmiles(s) for s in ZOO], g)
    assert failed == []
    order = np.array([5, 0, 7, 3])
    a, b = stored.gather(order), screened.gather(order)
    for name in ("x", "edge_index", "edge_attr", "batch"):
        assert torch.equal(getattr(a, name), getattr(b, name)), name
    # one molecule at a time gives the same as the batch
    alone = [g(Chem.MolFromSmiles(ZOO[i])) for i in order]
    assert np.array_equal(a.x.numpy(), np.concatenate([x for x, _, _ in alone]))


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
