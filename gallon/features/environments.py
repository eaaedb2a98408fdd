"""`morgan` atom features: each atom's Morgan environment identifiers at radius 0..R.

RDKit's fingerprint generator returns, for a whole molecule in one C++ call, the identifier of
every atom's circular environment at each radius (`AdditionalOutput.AllocateAtomToBits`). The
radius-0 identifier hashes the atom's own invariants (element, degree, hydrogens, charge, ring
membership, chirality), radius 1 adds its bonded neighbours, radius 2 their neighbours: the
neighbourhood a message-passing network would see, handed to the graph-free student per atom.

Output (n_atoms, dense + R + 1) float32: an optional dense featurizer's columns first, then R + 1
integer columns, identifier mod (buckets − 1) (the last bucket marks "no environment at this
radius", e.g. an isolated ion). Models embed the id columns (`gallon.models.common.AtomInput`);
ids below 2**24 are exact in float32.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from rdkit import Chem
from rdkit.Chem import rdFingerprintGenerator


class EnvironmentFeaturizer:
    name = "morgan"

    def __init__(self, radius: int = 2, buckets: int = 2048, dense: Any = None) -> None:
        from gallon.features.atoms import build_atom_featurizer

        if not 0 <= radius <= 4 or not 2 <= buckets <= 2**24:
            raise ValueError("morgan features need 0 <= radius <= 4 and 2 <= buckets <= 2**24")
        self._params = {"radius": radius, "buckets": buckets, "dense": dense}
        self._dense = build_atom_featurizer(dense) if dense else None
        self._generator = rdFingerprintGenerator.GetMorganGenerator(
            radius=radius, includeRedundantEnvironments=True, includeChirality=True
        )
        self.id_columns, self.id_buckets = radius + 1, buckets
        self._dense_dim = len(self._dense) if self._dense is not None else 0

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
        return np.concatenate([self._dense.many(mols), ids], axis=1)
