import numpy as np
import torch
from rdkit import Chem

from gallon.features.atoms import build_atom_featurizer
from gallon.features.environments import EnvironmentFeaturizer
from gallon.models.common import AtomInput

# charged, aromatic heterocycles, a stereocentre, a salt with an isolated ion, a lone atom
MOLS = ["C[n+]1ccccc1", "c1ccc2[nH]ccc2c1", "C[C@H](N)C(=O)O", "CC(=O)[O-].[Na+]", "O"]


def test_ids_per_radius_and_isolated_atoms():
    f = EnvironmentFeaturizer(radius=2, buckets=64)
    mols = [Chem.MolFromSmiles(s) for s in MOLS]
    x = f.many(mols)
    assert x.shape == (sum(m.GetNumAtoms() for m in mols), 3) and len(f) == 3
    assert x.min() >= 0 and x.max() <= 63 and np.array_equal(x, np.round(x))
    # an isolated atom has no radius-1/2 environment: the reserved last bucket
    assert f(Chem.MolFromSmiles("O")).tolist() == [[f(Chem.MolFromSmiles("O"))[0, 0], 63, 63]]
    # the same atom environment gives the same id in any molecule: the ring carbons of pyridinium
    ring = f(mols[0])[2:, 0]
    assert len(set(ring.tolist())) == 1
    # many() stacks what one molecule at a time gives
    assert np.array_equal(x, np.concatenate([f(m) for m in mols]))


def test_dense_part_comes_first_and_spec_round_trips():
    f = build_atom_featurizer("rich_morgan")
    rich = build_atom_featurizer("rich")
    mol = Chem.MolFromSmiles(MOLS[2])
    x = f(mol)
    assert np.array_equal(x[:, : len(rich)], rich(mol)) and f.id_columns == 3
    g = build_atom_featurizer(f.spec())
    assert g.spec() == f.spec() and np.array_equal(g(mol), x)


def with_lean_columns(name: str, rounds: int):
    """`name`'s features of MOLS, checked to be lean_morgan's dense columns, `rounds` − 1 derived
    blocks of the same width, then lean_morgan's ids; returns (featurizer, x, lean, mols, d)."""
    f, lean = build_atom_featurizer(name), build_atom_featurizer("lean_morgan")
    mols = [Chem.MolFromSmiles(s) for s in MOLS]
    x, base = f.many(mols), lean.many(mols)
    d = len(lean) - lean.id_columns
    assert x.shape == (len(base), rounds * d + 3)
    assert np.array_equal(x[:, :d], base[:, :d]) and np.array_equal(x[:, -3:], base[:, -3:])
    return f, x, lean, mols, d


def test_neighbour_means_average_bonded_atoms_per_molecule():
    f, x, lean, mols, d = with_lean_columns("lean_morgan_hops", 3)
    # alanine C[C@H](N)C(=O)O: atom 1 (the stereocentre) is bonded to atoms 0, 2 and 3
    ala = lean.many([mols[2]])[:, :d]
    one = f.many([mols[2]])[:, d : 2 * d]
    assert np.allclose(one[1], ala[[0, 2, 3]].mean(0))
    # two hops: atom 0's only neighbour is atom 1, so P²x[0] = P x[1]
    assert np.allclose(f.many([mols[2]])[0, 2 * d : 3 * d], one[1])
    # molecule by molecule in a batch: no averaging across molecules; isolated Na+ and O get 0
    assert np.array_equal(x, np.concatenate([f(m) for m in mols]))
    assert not x[-1, d:-3].any()
    assert build_atom_featurizer(f.spec()).spec() == f.spec()


def test_shell_means_average_atoms_at_exact_distances():
    f, x, lean, mols, d = with_lean_columns("lean_morgan_shells", 4)
    # alanine C[C@H](N)C(=O)O: from atom 0, atom 1 is 1 bond away; 2 and 3 are 2; 4 and 5 are 3
    ala = lean.many([mols[2]])[:, :d]
    row = f.many([mols[2]])[0]
    assert np.allclose(row[d : 2 * d], ala[1])
    assert np.allclose(row[2 * d : 3 * d], ala[[2, 3]].mean(0))
    assert np.allclose(row[3 * d : 4 * d], ala[[4, 5]].mean(0))
    # the first shell is the one-hop neighbour mean
    hops = build_atom_featurizer("lean_morgan_hops").many(mols)
    assert np.allclose(x[:, d : 2 * d], hops[:, d : 2 * d])
    # no shell crosses molecules or fragments: Na+ and the lone O have empty shells
    assert np.array_equal(x, np.concatenate([f(m) for m in mols]))
    assert not x[-1, d:-3].any() and not x[-2, d:-3].any()
    assert build_atom_featurizer(f.spec()).spec() == f.spec()


def test_atom_input_embeds_ids_and_starts_at_zero():
    layer = AtomInput(in_dim=5, id_columns=3, id_buckets=8, id_dim=4)
    x = torch.tensor([[0.5, -1.0, 1.0, 2.0, 7.0]])
    assert layer(x).shape == (1, 2 + 4) and layer.out_dim == 6
    assert torch.equal(layer(x)[:, 2:], torch.zeros(1, 4))  # unseen environments add nothing
    with torch.no_grad():
        layer.embed.weight.copy_(torch.arange(24 * 4, dtype=torch.float32).reshape(24, 4))
    want = layer.embed.weight[1] + layer.embed.weight[8 + 2] + layer.embed.weight[16 + 7]
    assert torch.equal(layer(x)[0, 2:], want)
