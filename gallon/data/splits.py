"""Train/validation/test splits over molecules: scaffold, random_scaffold and random.

`scaffold` is the deterministic Bemis–Murcko split GALLON (after DeepChem) uses: scaffold groups
sorted largest first fill train, then validation, then test. `random_scaffold` shuffles the groups
with a seed; `random` shuffles molecules. All return positions into the given SMILES list.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np
from rdkit import Chem
from rdkit.Chem.Scaffolds import MurckoScaffold

Split = dict[str, list[int]]
SPLIT_NAMES = ("train", "val", "test")


def scaffold_of(smiles: str) -> str:
    """Bemis–Murcko scaffold SMILES, with chirality (as GALLON); '' for acyclic molecules."""
    mol = Chem.MolFromSmiles(smiles)
    return MurckoScaffold.MurckoScaffoldSmiles(mol=mol, includeChirality=True)


def _scaffold_groups(smiles: Sequence[str]) -> list[list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(smiles):
        groups[scaffold_of(s)].append(i)
    return list(groups.values())


def scaffold_split(smiles: Sequence[str], sizes: Sequence[float], seed: int = 0) -> Split:
    """Deterministic: largest scaffold groups go to train first.

    Ties are broken as GALLON's splitter does (the group whose first molecule comes later goes
    first), so the bundled datasets split exactly as in the reference code.
    """
    del seed  # deterministic by design; seeds vary only model initialisation
    groups = sorted(_scaffold_groups(smiles), key=lambda g: (len(g), g[0]), reverse=True)
    n = len(smiles)
    train_cut, val_cut = sizes[0] * n, (sizes[0] + sizes[1]) * n
    out: Split = {name: [] for name in SPLIT_NAMES}
    for group in groups:
        if len(out["train"]) + len(group) <= train_cut:
            out["train"].extend(group)
        elif len(out["train"]) + len(out["val"]) + len(group) <= val_cut:
            out["val"].extend(group)
        else:
            out["test"].extend(group)
    return {k: sorted(v) for k, v in out.items()}


def random_scaffold_split(smiles: Sequence[str], sizes: Sequence[float], seed: int = 0) -> Split:
    """Scaffold groups in a seeded random order fill validation and test; the rest is train."""
    groups = _scaffold_groups(smiles)
    order = np.random.default_rng(seed).permutation(len(groups))
    n = len(smiles)
    n_val, n_test = int(np.floor(sizes[1] * n)), int(np.floor(sizes[2] * n))
    out: Split = {name: [] for name in SPLIT_NAMES}
    for g in order:
        group = groups[g]
        if len(out["val"]) + len(group) <= n_val:
            out["val"].extend(group)
        elif len(out["test"]) + len(group) <= n_test:
            out["test"].extend(group)
        else:
            out["train"].extend(group)
    return {k: sorted(v) for k, v in out.items()}


def random_split(smiles: Sequence[str], sizes: Sequence[float], seed: int = 0) -> Split:
    n = len(smiles)
    perm = np.random.default_rng(seed).permutation(n)
    n_train, n_val = int(sizes[0] * n), int(sizes[1] * n)
    parts = (perm[:n_train], perm[n_train : n_train + n_val], perm[n_train + n_val :])
    return {name: sorted(int(i) for i in p) for name, p in zip(SPLIT_NAMES, parts)}


SPLITTERS: dict[str, Callable[[Sequence[str], Sequence[float], int], Split]] = {
    "scaffold": scaffold_split,
    "random_scaffold": random_scaffold_split,
    "random": random_split,
}


def make_split(method: str, smiles: Sequence[str], sizes: Sequence[float], seed: int) -> Split:
    """Positions of `smiles` per split; every position appears in exactly one split."""
    return SPLITTERS[method](smiles, sizes, seed)
