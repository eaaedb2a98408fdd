"""Atom featurizers: small typed callables `mol -> float32 array (n_atoms, len(featurizer))`.

`rich` (default) one-hot encodes element, degree, formal charge, chirality, hydrogens, radical
electrons, hybridisation, plus aromaticity, ring membership and ring sizes, mass and the atom's
Crippen logP/MR and TPSA contributions. `pyg` reproduces PyG's `from_smiles` 9 integer features
(as floats), which the GALLON reference code feeds its GCN and MLP.

Every featurizer has `spec()`, a JSON-able dict that `build_atom_featurizer` turns back into
the same featurizer: artifacts store the spec, never a pickled object.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
from rdkit import Chem
from rdkit.Chem import rdMolDescriptors

HYBRIDIZATIONS = ("S", "SP", "SP2", "SP2D", "SP3", "SP3D", "SP3D2")


class AtomFeaturizer(Protocol):
    name: str
    id_columns: int  # trailing columns holding integer environment ids (0: all dense)
    id_buckets: int  # ids are in [0, id_buckets)

    def __len__(self) -> int: ...

    def __call__(self, mol: Chem.Mol) -> np.ndarray: ...

    def many(self, mols: Sequence[Chem.Mol]) -> np.ndarray: ...

    def spec(self) -> dict[str, Any]: ...


def _lookup(choices: Sequence[int], lo: int, hi: int) -> np.ndarray:
    """Table mapping raw values in [lo, hi] to the choice index; anything else to 'other'.

    The table has one extra last entry ('other') that out-of-range values are sent to.
    """
    table = np.full(hi - lo + 2, len(choices), dtype=np.int64)
    for i, value in enumerate(choices):
        table[value - lo] = i
    return table


class RichAtomFeaturizer:
    """One-hot categorical fields (each with an 'other' slot) plus binary and scalar fields."""

    name = "rich"
    id_columns = id_buckets = 0

    def __init__(
        self,
        elements: Sequence[int] = (*range(1, 37), 53),
        degrees: Sequence[int] = (0, 1, 2, 3, 4, 5),
        formal_charges: Sequence[int] = (-2, -1, 0, 1, 2),
        chiral_tags: Sequence[int] = (0, 1, 2, 3),
        num_hs: Sequence[int] = (0, 1, 2, 3, 4),
        radical_electrons: Sequence[int] = (0, 1, 2),
        hybridizations: Sequence[str] = HYBRIDIZATIONS,
        ring_sizes: Sequence[int] = (3, 4, 5, 6, 7, 8),
        contributions: bool = True,
        environment_bits: int = 0,
        environment_radius: int = 2,
    ) -> None:
        self._params = dict(
            elements=list(elements),
            degrees=list(degrees),
            formal_charges=list(formal_charges),
            chiral_tags=list(chiral_tags),
            num_hs=list(num_hs),
            radical_electrons=list(radical_electrons),
            hybridizations=list(hybridizations),
            ring_sizes=list(ring_sizes),
            contributions=contributions,
            environment_bits=environment_bits,
            environment_radius=environment_radius,
        )
        hyb = [int(getattr(Chem.HybridizationType, h)) for h in hybridizations]
        # (lookup table, offset of raw value) per categorical field, in raw-column order
        self._fields = [
            (_lookup(elements, 0, 200), 0),
            (_lookup(degrees, 0, 16), 0),
            (_lookup(formal_charges, -16, 16), 16),
            (_lookup(chiral_tags, 0, 16), 0),
            (_lookup(num_hs, 0, 16), 0),
            (_lookup(radical_electrons, 0, 16), 0),
            (_lookup(hyb, 0, 16), 0),
        ]
        sizes = [
            len(elements),
            len(degrees),
            len(formal_charges),
            len(chiral_tags),
            len(num_hs),
            len(radical_electrons),
            len(hyb),
        ]
        self._offsets = np.cumsum([0] + [s + 1 for s in sizes])
        self._ring_sizes = {size: i for i, size in enumerate(ring_sizes)}
        self._ring_offset = int(self._offsets[-1]) + 2  # after aromatic, in-ring
        self._scalar_offset = self._ring_offset + len(ring_sizes) + 1  # +1: larger rings
        self._contributions = contributions
        self._env_offset = self._scalar_offset + 1 + (3 if contributions else 0)
        self._env_bits, self._env_radius = environment_bits, environment_radius
        self._dim = self._env_offset + environment_bits * environment_radius
        self._morgan = None
        if environment_bits:
            from rdkit.Chem import rdFingerprintGenerator

            self._morgan = rdFingerprintGenerator.GetMorganGenerator(
                radius=environment_radius, includeRedundantEnvironments=True
            )

    def __len__(self) -> int:
        return self._dim

    def spec(self) -> dict[str, Any]:
        return {"name": self.name, **self._params}

    def __call__(self, mol: Chem.Mol) -> np.ndarray:
        return self.many([mol])

    def many(self, mols: Sequence[Chem.Mol]) -> np.ndarray:
        """Features of several molecules stacked: (total atoms, len(self)), molecule by molecule.

        One-hot encoding runs once over all atoms: per molecule, numpy's call overhead would
        cost more than RDKit's attribute reads (screening featurises millions of molecules)."""
        raw, ring_rows, ring_cols, crippen, tpsa, starts = [], [], [], [], [], []
        larger = len(self._ring_sizes)  # the slot for rings above the largest listed size
        start = 0
        for mol in mols:
            n = mol.GetNumAtoms()
            starts.append(start)
            for i in range(n):
                a = mol.GetAtomWithIdx(i)
                raw.append(
                    (
                        a.GetAtomicNum(),
                        a.GetTotalDegree(),
                        a.GetFormalCharge(),
                        int(a.GetChiralTag()),
                        a.GetTotalNumHs(),
                        a.GetNumRadicalElectrons(),
                        int(a.GetHybridization()),
                        a.GetIsAromatic(),
                        a.IsInRing(),
                        a.GetMass(),
                    )
                )
            for ring in mol.GetRingInfo().AtomRings():
                ring_rows.extend(start + i for i in ring)
                ring_cols.extend([self._ring_sizes.get(len(ring), larger)] * len(ring))
            if self._contributions:
                crippen.append(np.asarray(rdMolDescriptors._CalcCrippenContribs(mol)))
                tpsa.append(np.asarray(rdMolDescriptors._CalcTPSAContribs(mol)))
            start += n
        table = np.asarray(raw, dtype=np.float64).reshape(-1, 10)
        codes = table[:, :9].astype(np.int64)
        out = np.zeros((start, self._dim), dtype=np.float32)
        rows = np.arange(start)
        for j, (lookup, shift) in enumerate(self._fields):
            values = codes[:, j] + shift
            values[(values < 0) | (values >= len(lookup))] = len(lookup) - 1
            out[rows, self._offsets[j] + lookup[values]] = 1.0
        out[:, self._offsets[-1]] = codes[:, 7]
        out[:, self._offsets[-1] + 1] = codes[:, 8]
        out[ring_rows, self._ring_offset + np.asarray(ring_cols, dtype=np.int64)] = 1.0
        out[:, self._scalar_offset] = 0.01 * table[:, 9]
        if self._contributions and start:
            logp_mr = np.concatenate(crippen).astype(np.float32)
            out[:, self._scalar_offset + 1] = logp_mr[:, 0]
            out[:, self._scalar_offset + 2] = 0.1 * logp_mr[:, 1]
            out[:, self._scalar_offset + 3] = 0.1 * np.concatenate(tpsa).astype(np.float32)
        if self._morgan is not None:
            for mol, first in zip(mols, starts):
                self._environments(mol, out[first : first + mol.GetNumAtoms()])
        return out

    def _environments(self, mol: Chem.Mol, out: np.ndarray) -> None:
        """One-hot of each atom's Morgan environment id at radius 1..R, folded to `bits`.

        Graph-derived but per-atom: the student still sees no bonds and passes no messages."""
        from rdkit.Chem import rdFingerprintGenerator

        extra = rdFingerprintGenerator.AdditionalOutput()
        extra.AllocateAtomToBits()
        self._morgan.GetSparseCountFingerprint(mol, additionalOutput=extra)
        for atom, ids in enumerate(extra.GetAtomToBits()):
            for r, env in enumerate(ids[1 : self._env_radius + 1]):
                out[atom, self._env_offset + r * self._env_bits + env % self._env_bits] = 1.0


class PygAtomFeaturizer:
    """PyG `from_smiles` atom features: 9 integer codes used as floats (the GALLON reference)."""

    name = "pyg"
    id_columns = id_buckets = 0

    def __init__(self) -> None:
        from torch_geometric.utils.smiles import x_map

        self._chirality = {name: i for i, name in enumerate(x_map["chirality"])}
        self._hybridization = {name: i for i, name in enumerate(x_map["hybridization"])}
        self._charge = {c: i for i, c in enumerate(x_map["formal_charge"])}
        # values outside PyG's lists go to an explicit "other" code, never to code 0 (which for
        # the charge means −5): PyG's own CHI_OTHER / OTHER, one past the charges
        self._other_chirality = self._chirality["CHI_OTHER"]
        self._other_hybridization = self._hybridization["OTHER"]
        self._other_charge = len(self._charge)

    def __len__(self) -> int:
        return 9

    def spec(self) -> dict[str, Any]:
        return {"name": self.name}

    def __call__(self, mol: Chem.Mol) -> np.ndarray:
        rows = [
            (
                a.GetAtomicNum(),
                self._chirality.get(str(a.GetChiralTag()), self._other_chirality),
                a.GetTotalDegree(),
                self._charge.get(a.GetFormalCharge(), self._other_charge),
                a.GetTotalNumHs(),
                a.GetNumRadicalElectrons(),
                self._hybridization.get(str(a.GetHybridization()), self._other_hybridization),
                int(a.GetIsAromatic()),
                int(a.IsInRing()),
            )
            for a in mol.GetAtoms()
        ]
        return np.asarray(rows, dtype=np.float32).reshape(-1, 9)

    def many(self, mols: Sequence[Chem.Mol]) -> np.ndarray:
        """Features of several molecules stacked: (total atoms, 9)."""
        return np.concatenate([self(m) for m in mols]) if mols else np.zeros((0, 9), np.float32)


def _environments(**kwargs: Any) -> AtomFeaturizer:
    from gallon.features.environments import EnvironmentFeaturizer

    return EnvironmentFeaturizer(**kwargs)


ATOM_FEATURIZERS: dict[str, Callable[..., AtomFeaturizer]] = {
    "rich": RichAtomFeaturizer,
    # rich + each atom's folded Morgan environments (radius 1 and 2): neighbourhood information
    # for the graph-free student, computed by RDKit in the featurizer.
    "rich_env": functools.partial(RichAtomFeaturizer, environment_bits=128),
    "pyg": PygAtomFeaturizer,
    # per-atom Morgan environment ids at radius 0-2, embedded by the models; alone (one RDKit
    # call per molecule) or after the rich features
    "morgan": _environments,
    "rich_morgan": functools.partial(_environments, dense="rich"),
    # rich_morgan without the Crippen logP/MR and TPSA contributions, RDKit's costliest part
    # (SMARTS typing: about 1.2 parses per molecule); the environment ids describe the shells
    # those types are read from, so the student may learn them (ties on validation,
    # docs/benchmarks.md)
    "lean_morgan": functools.partial(_environments, dense={"name": "rich", "contributions": False}),
    # lean_morgan plus the dense columns' means over neighbours at one and two hops
    # (`EnvironmentFeaturizer.hops`): continuous neighbourhood features for unseen environments
    "lean_morgan_hops": functools.partial(
        _environments, dense={"name": "rich", "contributions": False}, hops=2
    ),
    # lean_morgan plus the dense columns' means over the atoms exactly 1, 2 and 3 bonds away
    # (`EnvironmentFeaturizer.shells`): the three shells the D-MPNN teacher reads
    "lean_morgan_shells": functools.partial(
        _environments, dense={"name": "rich", "contributions": False}, shells=3
    ),
}


def build_atom_featurizer(spec: str | dict[str, Any]) -> AtomFeaturizer:
    """Featurizer from a registry name or a `spec()` dict."""
    spec = {"name": spec} if isinstance(spec, str) else dict(spec)
    name = spec.pop("name")
    if name not in ATOM_FEATURIZERS:
        from gallon.errors import ConfigError

        raise ConfigError(
            f"unknown atom featurizer '{name}'; choose one of {', '.join(ATOM_FEATURIZERS)}."
        )
    return ATOM_FEATURIZERS[name](**spec)
