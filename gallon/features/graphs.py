"""Molecules → featurised graphs (pure) and their Parquet layout.

Parquet layout of the features table (`FEATURE_COLUMNS`): one row per molecule with flattened
lists: `x` (num_atoms·atom_dim float32), `edge_index` (2·num_edges int32, sources then targets)
and `edge_attr` (num_edges·bond_dim float32). `atom_dim`/`bond_dim` live in features.json.
Training reads the table back as `gallon.batches.PackedGraphs`, which screening builds straight
from molecules with the same `featurize_molecules`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from gallon.chem import parse_smiles
from gallon.features.atoms import AtomFeaturizer, build_atom_featurizer
from gallon.features.bonds import BondFeaturizer

FEATURE_COLUMNS = ("row", "num_atoms", "num_edges", "x", "edge_index", "edge_attr")


class GraphFeaturizer:
    """`mol -> (x (n, atom_dim), edge_index (2, E), edge_attr (E, bond_dim))`."""

    def __init__(self, atoms: str | dict[str, Any] = "rich") -> None:
        self.atoms: AtomFeaturizer = build_atom_featurizer(atoms)
        self.bonds = BondFeaturizer()

    @property
    def atom_dim(self) -> int:
        return len(self.atoms)

    @property
    def bond_dim(self) -> int:
        return len(self.bonds)

    def spec(self) -> dict[str, Any]:
        return {
            "atoms": self.atoms.spec(),
            "bonds": self.bonds.spec(),
            "atom_dim": self.atom_dim,
            "bond_dim": self.bond_dim,
            "id_columns": self.atoms.id_columns,
            "id_buckets": self.atoms.id_buckets,
        }

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> GraphFeaturizer:
        featurizer = cls(spec["atoms"])
        if featurizer.atom_dim != spec.get("atom_dim", featurizer.atom_dim):
            from gallon.errors import InputError

            raise InputError("the saved feature spec does not match this version's featurizer.")
        return featurizer

    def __call__(self, mol):
        edge_index, edge_attr = self.bonds(mol)
        return self.atoms(mol), edge_index, edge_attr


def featurize_molecules(mols: Sequence[Any], featurizer: GraphFeaturizer, bonds: bool = True):
    """Parsed molecules → (`PackedGraphs` of those that featurise, [(position, reason)] of
    those that do not). Atom features in one batched call; should it raise, the molecules are
    retried one by one so that one bad molecule costs only itself."""
    from gallon.batches import PackedGraphs

    try:
        return PackedGraphs.from_molecules(mols, featurizer, bonds), []
    except Exception:  # some molecule fails: find which, one by one
        good, failed = [], []
    for i, mol in enumerate(mols):
        try:
            PackedGraphs.from_molecules([mol], featurizer, bonds)
            good.append(i)
        except Exception as err:  # one bad molecule must not end the batch
            failed.append((i, f"featurization failed: {type(err).__name__}: {err}"))
    return PackedGraphs.from_molecules([mols[i] for i in good], featurizer, bonds), failed


def featurize_smiles(
    rows: Sequence[int], smiles: Sequence[str], featurizer: GraphFeaturizer
) -> tuple[pa.Table, tuple[list[int], list[str], list[str]]]:
    """Featurise molecules; returns (features table, (error rows, error smiles, reasons)).

    A molecule that fails (parse error, featurizer exception) becomes an error, never an
    exception. The features are those screening computes (`featurize_molecules`, batched).
    """
    bad_rows, bad_smiles, reasons = [], [], []
    ok_rows, ok_smiles, mols = [], [], []
    for row, s in zip(rows, smiles):
        mol, reason = parse_smiles(s)
        if mol is None:
            bad_rows.append(int(row))
            bad_smiles.append(s if isinstance(s, str) else "")
            reasons.append(reason)
        else:
            ok_rows.append(int(row))
            ok_smiles.append(s)
            mols.append(mol)
    packed, failed = featurize_molecules(mols, featurizer)
    for i, reason in failed:
        bad_rows.append(ok_rows[i])
        bad_smiles.append(ok_smiles[i])
        reasons.append(reason)
    dropped = {i for i, _ in failed}
    kept = [r for i, r in enumerate(ok_rows) if i not in dropped]
    return packed.to_table(kept), (bad_rows, bad_smiles, reasons)
