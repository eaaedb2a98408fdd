"""Train/validation/test splits over molecules: scaffold, random_scaffold and random.

`scaffold` is the deterministic Bemis–Murcko split GALLON (after DeepChem) uses: scaffold groups
sorted largest first fill train, then validation, then test. `random_scaffold` shuffles the groups
with a seed; `random` shuffles molecules. All return positions into the given SMILES list.

Scaffolds are computed from the SMILES as given in the input file, as GALLON's splitter does:
the canonical form can write a stereo bond differently (BBBP row 912), which moves a molecule
to another scaffold group and the split away from the reference. `random` keeps identical
molecules (the same canonical SMILES) together, so a duplicate never sits in train and test.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np
from rdkit.Chem.Scaffolds import MurckoScaffold

Split = dict[str, list[int]]
SPLIT_NAMES = ("train", "val", "test")


def scaffold_of(smiles: str) -> str:
    """Bemis–Murcko scaffold SMILES of the SMILES as written, with chirality (as GALLON);
    '' for acyclic molecules."""
    return MurckoScaffold.MurckoScaffoldSmiles(smiles=smiles.strip(), includeChirality=True)


def _scaffold_groups(smiles: Sequence[str]) -> list[list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(smiles):
        groups[scaffold_of(s)].append(i)
    return list(groups.values())


def scaffold_split(
    smiles: Sequence[str], sizes: Sequence[float], seed: int = 0, keys: Sequence[str] = ()
) -> Split:
    """Deterministic: largest scaffold groups go to train first.

    Ties are broken as GALLON's splitter does (the group whose first molecule comes later goes
    first), so the bundled datasets split exactly as in the reference code.
    """
    del seed, keys  # deterministic by design; identical molecules share a scaffold anyway
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


def random_scaffold_split(
    smiles: Sequence[str], sizes: Sequence[float], seed: int = 0, keys: Sequence[str] = ()
) -> Split:
    """Scaffold groups in a seeded random order fill validation and test; the rest is train.

    The order is GALLON's: groups in order of first appearance, permuted by
    `numpy.random.RandomState(seed)`, so each seed gives the reference code's split."""
    del keys
    groups = _scaffold_groups(smiles)
    order = np.random.RandomState(seed).permutation(len(groups))
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


def random_split(
    smiles: Sequence[str], sizes: Sequence[float], seed: int = 0, keys: Sequence[str] = ()
) -> Split:
    """Molecules shuffled; identical `keys` (canonical SMILES; default `smiles`) stay together."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(keys or smiles):
        groups[key].append(i)
    members = list(groups.values())
    n = len(smiles)
    n_train, n_val = int(sizes[0] * n), int(sizes[1] * n)
    out: Split = {name: [] for name in SPLIT_NAMES}
    for g in np.random.default_rng(seed).permutation(len(members)):
        name = "train" if len(out["train"]) < n_train else "val"
        if name == "val" and len(out["train"]) + len(out["val"]) >= n_train + n_val:
            name = "test"
        out[name].extend(members[g])
    return {k: sorted(v) for k, v in out.items()}


Splitter = Callable[[Sequence[str], Sequence[float], int, Sequence[str]], Split]
SPLITTERS: dict[str, Splitter] = {
    "scaffold": scaffold_split,
    "random_scaffold": random_scaffold_split,
    "random": random_split,
}


def make_split(
    method: str,
    smiles: Sequence[str],
    sizes: Sequence[float],
    seed: int,
    keys: Sequence[str] = (),
) -> Split:
    """Positions of `smiles` (as written in the input) per split; every position appears in
    exactly one split. `keys` name identical molecules (canonical SMILES), default `smiles`."""
    return SPLITTERS[method](smiles, sizes, seed, keys)


def sample_train(splits: Split, n: int, seed: int = 0) -> Split:
    """`splits` (split name → data rows) with the train rows cut to a seeded sample of at most
    `n`; validation and test stay whole.

    For a role too costly to train on every molecule (the LLM and LM teacher on HIV): it is
    still selected on, and tested on, the same molecules as every other role, so its metrics
    compare directly (HIV's validation split holds 81 actives in 4,112; a proportional sample
    of it would hold a handful)."""
    train = sorted(splits.get("train", []))
    if n < len(train):
        pick = np.random.default_rng(seed).choice(len(train), n, replace=False)
        train = sorted(train[i] for i in pick)
    return {"train": train, **{name: sorted(splits.get(name, [])) for name in SPLIT_NAMES[1:]}}
