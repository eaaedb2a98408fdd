"""Bond featurizer: `mol -> (edge_index int64 (2, 2B), edge_attr float32 (2B, len))`.

Each bond appears twice (both directions), as PyG graphs expect. Features: bond type (single,
double, triple, aromatic, other), conjugation, ring membership, stereo (6 kinds + other).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rdkit import Chem

BOND_TYPES = ("SINGLE", "DOUBLE", "TRIPLE", "AROMATIC")
STEREO = ("STEREONONE", "STEREOANY", "STEREOZ", "STEREOE", "STEREOCIS", "STEREOTRANS")


class BondFeaturizer:
    name = "rich"

    def __init__(self) -> None:
        self._type = {int(getattr(Chem.BondType, t)): i for i, t in enumerate(BOND_TYPES)}
        self._stereo = {int(getattr(Chem.BondStereo, s)): i for i, s in enumerate(STEREO)}
        self._stereo_offset = len(BOND_TYPES) + 1 + 2
        self._dim = self._stereo_offset + len(STEREO) + 1

    def __len__(self) -> int:
        return self._dim

    def spec(self) -> dict[str, Any]:
        return {"name": self.name}

    def __call__(self, mol: Chem.Mol) -> tuple[np.ndarray, np.ndarray]:
        bonds = mol.GetBonds()
        raw = np.array(
            [
                (
                    b.GetBeginAtomIdx(),
                    b.GetEndAtomIdx(),
                    int(b.GetBondType()),
                    b.GetIsConjugated(),
                    b.IsInRing(),
                    int(b.GetStereo()),
                )
                for b in bonds
            ],
            dtype=np.int64,
        ).reshape(-1, 6)
        n = raw.shape[0]
        attr = np.zeros((n, self._dim), dtype=np.float32)
        rows = np.arange(n)
        other_type, other_stereo = len(BOND_TYPES), len(STEREO)
        attr[rows, [self._type.get(t, other_type) for t in raw[:, 2]]] = 1.0
        attr[:, other_type + 1] = raw[:, 3]
        attr[:, other_type + 2] = raw[:, 4]
        stereo = [self._stereo.get(s, other_stereo) for s in raw[:, 5]]
        attr[rows, self._stereo_offset + np.asarray(stereo, dtype=np.int64)] = 1.0
        src, dst = raw[:, 0], raw[:, 1]
        edge_index = np.stack([np.concatenate([src, dst]), np.concatenate([dst, src])])
        return edge_index, np.concatenate([attr, attr])
