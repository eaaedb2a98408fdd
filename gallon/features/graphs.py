"""Molecules → graph arrays (pure), their Parquet layout, and PyG `Data` objects built from it.

Parquet layout of the features table (`FEATURE_COLUMNS`): one row per molecule with flattened
lists: `x` (num_atoms·atom_dim float32), `edge_index` (2·num_edges int32, sources then targets)
and `edge_attr` (num_edges·bond_dim float32). `atom_dim`/`bond_dim` live in features.json.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
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


def _list_array(chunks: Sequence[np.ndarray], dtype: pa.DataType, np_dtype) -> pa.Array:
    lengths = np.fromiter((c.size for c in chunks), dtype=np.int64, count=len(chunks))
    offsets = np.zeros(len(chunks) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    values = (
        np.concatenate([c.ravel() for c in chunks]).astype(np_dtype, copy=False)
        if chunks
        else np.zeros(0, np_dtype)
    )
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(values, type=dtype))


def featurize_smiles(
    rows: Sequence[int], smiles: Sequence[str], featurizer: GraphFeaturizer
) -> tuple[pa.Table, tuple[list[int], list[str], list[str]]]:
    """Featurise molecules; returns (features table, (error rows, error smiles, reasons)).

    A molecule that fails (parse error, featurizer exception) becomes an error, never an exception.
    """
    ok_rows, n_atoms, n_edges, xs, eis, eas = [], [], [], [], [], []
    bad_rows, bad_smiles, reasons = [], [], []
    for row, s in zip(rows, smiles):
        mol, reason = parse_smiles(s)
        if mol is not None:
            try:
                x, ei, ea = featurizer(mol)
            except Exception as err:  # one bad molecule must not end the batch
                reason = f"featurization failed: {type(err).__name__}: {err}"
        if reason is not None:
            bad_rows.append(int(row))
            bad_smiles.append(s if isinstance(s, str) else "")
            reasons.append(reason)
            continue
        ok_rows.append(int(row))
        n_atoms.append(x.shape[0])
        n_edges.append(ei.shape[1])
        xs.append(x)
        eis.append(ei)
        eas.append(ea)
    table = pa.table(
        {
            "row": pa.array(ok_rows, pa.int64()),
            "num_atoms": pa.array(n_atoms, pa.int32()),
            "num_edges": pa.array(n_edges, pa.int32()),
            "x": _list_array(xs, pa.float32(), np.float32),
            "edge_index": _list_array(eis, pa.int32(), np.int32),
            "edge_attr": _list_array(eas, pa.float32(), np.float32),
        }
    )
    return table, (bad_rows, bad_smiles, reasons)


def graph_arrays(table: pa.Table, atom_dim: int, bond_dim: int) -> list[tuple[np.ndarray, ...]]:
    """Unflatten a features table into per-molecule (x, edge_index, edge_attr) numpy arrays."""
    n_atoms = table.column("num_atoms").to_numpy()
    n_edges = table.column("num_edges").to_numpy()
    # one writable copy each (Arrow buffers are read-only; torch.from_numpy wants writable)
    x_all = np.array(table.column("x").combine_chunks().flatten().to_numpy())
    ei_all = table.column("edge_index").combine_chunks().flatten().to_numpy()
    ea_all = np.array(table.column("edge_attr").combine_chunks().flatten().to_numpy())
    x_off = np.concatenate([[0], np.cumsum(n_atoms)])
    e_off = np.concatenate([[0], np.cumsum(n_edges)])
    out = []
    for i in range(len(n_atoms)):
        x = x_all[x_off[i] * atom_dim : x_off[i + 1] * atom_dim].reshape(-1, atom_dim)
        ei = ei_all[2 * e_off[i] : 2 * e_off[i + 1]].reshape(2, -1).astype(np.int64)
        ea = ea_all[e_off[i] * bond_dim : e_off[i + 1] * bond_dim].reshape(-1, bond_dim)
        out.append((x, ei, ea))
    return out
