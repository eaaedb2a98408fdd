"""`morgan` atom features: each atom's Morgan environment identifiers at radius 0..R.

RDKit's fingerprint generator returns, for a whole molecule in one C++ call, the identifier of
every atom's circular environment at each radius (`AdditionalOutput.AllocateAtomToBits`). The
radius-0 identifier hashes the atom's own invariants (element, degree, hydrogens, charge, ring
membership, chirality), radius 1 adds its bonded neighbours, radius 2 their neighbours: the
neighbourhood a message-passing network would see, handed to the graph-free student per atom.

With `hops` = K > 0 the dense columns are followed by their mean over each atom's bonded
neighbours, applied K times (P·x, P²·x with P = D⁻¹A, from RDKit's adjacency matrix): continuous
neighbourhood features that, unlike the ids, also say something about environments never seen in
training. A fixed operator computed in the featurizer, as SIGN/SGC precompute theirs; the model
still sees no bonds. With `shells` = K > 0 instead, the dense columns are followed by their mean
over the atoms at exactly d bonds, d = 1..K (RDKit's topological distance matrix): the shells a
K-layer message-passing network reads, without P²'s walks back to the atom itself.

Output (n_atoms, dense·(K + 1) + R + 1) float32: an optional dense featurizer's columns (and
their neighbour means) first, then R + 1 integer columns, identifier mod (buckets − 1) (the
last bucket marks "no environment at this radius", e.g. an isolated ion). Models embed the id
columns (`gallon.models.common.AtomInput`); ids below 2**24 are exact in float32.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from rdkit import Chem
from rdkit.Chem import rdFingerprintGenerator
from scipy import sparse


class EnvironmentFeaturizer:
    name = "morgan"

    def __init__(
        self,
        radius: int = 2,
        buckets: int = 2048,
        dense: Any = None,
        hops: int = 0,
        shells: int = 0,
    ) -> None:
        from gallon.features.atoms import build_atom_featurizer

        if not 0 <= radius <= 4 or not 2 <= buckets <= 2**24:
            raise ValueError("morgan features need 0 <= radius <= 4 and 2 <= buckets <= 2**24")
        if not 0 <= hops <= 4 or (hops and not dense):
            raise ValueError("morgan features: hops (0-4) average dense columns; give `dense`")
        if not 0 <= shells <= 6 or (shells and not dense) or (shells and hops):
            raise ValueError("morgan features: shells (0-6) replace hops and need `dense`")
        self._params = {"radius": radius, "buckets": buckets, "dense": dense}
        if hops:  # absent from specs without it, so that stored specs stay valid
            self._params["hops"] = hops
        if shells:
            self._params["shells"] = shells
        self._hops, self._shells = hops, shells
        self._dense = build_atom_featurizer(dense) if dense else None
        self._generator = rdFingerprintGenerator.GetMorganGenerator(
            radius=radius, includeRedundantEnvironments=True, includeChirality=True
        )
        self.id_columns, self.id_buckets = radius + 1, buckets
        rounds = hops + shells + 1
        self._dense_dim = len(self._dense) * rounds if self._dense is not None else 0

    def __len__(self) -> int:
        return self._dense_dim + self.id_columns

    def spec(self) -> dict[str, Any]:
        return {"name": self.name, **self._params}

    def __call__(self, mol: Chem.Mol) -> np.ndarray:
        return self.many([mol])

    def ids(self, mol: Chem.Mol) -> np.ndarray:
        """(n_atoms, R + 1) environment ids in [0, buckets); buckets − 1 = none at that radius."""
        extra = rdFingerprintGenerator.AdditionalOutput()
        extra.AllocateAtomToBits()
        self._generator.GetSparseCountFingerprint(mol, additionalOutput=extra)
        bits = extra.GetAtomToBits()
        width, none = self.id_columns, self.id_buckets - 1
        if all(len(b) == width for b in bits):
            raw = np.array(bits, dtype=np.uint64).reshape(-1, width)
            return raw % none
        out = np.full((len(bits), width), none, dtype=np.uint64)
        for atom, b in enumerate(bits):  # atoms whose environment stops growing (no neighbours)
            out[atom, : len(b)] = np.asarray(b, dtype=np.uint64) % none
        return out

    def many(self, mols: Sequence[Chem.Mol]) -> np.ndarray:
        """Features of several molecules stacked: (total atoms, len(self))."""
        if not mols:
            return np.zeros((0, len(self)), np.float32)
        ids = np.concatenate([self.ids(m) for m in mols]).astype(np.float32)
        if self._dense is None:
            return ids
        dense = self._dense.many(mols)
        if self._hops:
            dense = neighbour_means(mols, dense, self._hops)
        if self._shells:
            dense = shell_means(mols, dense, self._shells)
        return np.concatenate([dense, ids], axis=1)


def neighbour_means(mols: Sequence[Chem.Mol], x: np.ndarray, hops: int) -> np.ndarray:
    """(total atoms, D) per-atom features of `mols` stacked → (total atoms, D·(hops + 1)):
    x, P·x, …, P^hops·x, with P the row-normalised adjacency of each molecule (one sparse
    block-diagonal matrix for the batch; an atom without neighbours averages to zero)."""
    rows, cols, start = [], [], 0
    for mol in mols:
        i, j = np.nonzero(Chem.GetAdjacencyMatrix(mol))
        rows.append(i + start)
        cols.append(j + start)
        start += mol.GetNumAtoms()
    r, c = np.concatenate(rows), np.concatenate(cols)
    degree = np.bincount(r, minlength=start).clip(min=1)
    p = sparse.csr_matrix(
        ((1.0 / degree[r]).astype(np.float32), (r, c)), shape=(start, start), dtype=np.float32
    )
    out = [x]
    for _ in range(hops):
        out.append(np.asarray(p @ out[-1], dtype=np.float32))
    return np.concatenate(out, axis=1)


def shell_means(mols: Sequence[Chem.Mol], x: np.ndarray, shells: int) -> np.ndarray:
    """(total atoms, D) per-atom features of `mols` stacked → (total atoms, D·(shells + 1)): x,
    then for d = 1..shells each atom's mean of x over the atoms exactly d bonds away (zero where
    there are none; across fragments the distance is infinite)."""
    blocks: list[list[np.ndarray]] = [[] for _ in range(shells)]
    start = 0
    for mol in mols:
        n = mol.GetNumAtoms()
        dist = Chem.GetDistanceMatrix(mol)
        rows = x[start : start + n]
        for d in range(1, shells + 1):
            shell = (dist == d).astype(np.float32)
            count = shell.sum(1, keepdims=True)
            blocks[d - 1].append(shell @ rows / np.maximum(count, 1.0))
        start += n
    return np.concatenate([x, *(np.concatenate(b) for b in blocks)], axis=1)
