"""The transfer set: unlabelled molecules the teachers score so the student can match them there.

Drawn from the union of the bundled datasets (their SMILES only, never their labels). Leak-free
by construction: a candidate is dropped when its canonical SMILES is any molecule of this
dataset, or when its scaffold (from the written and from the canonical SMILES, so a stereo
rewrite cannot slip through) is the scaffold of a validation or test molecule.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from gallon.chem import canonical_smiles, parse_smiles
from gallon.data.registry import DATASETS
from gallon.data.splits import scaffold_of


def _scaffolds(smiles: str) -> set[str]:
    try:
        return {scaffold_of(smiles)}
    except Exception:  # an unparseable written form: the canonical one still counts
        return set()


def bundled_smiles() -> list[str]:
    """Every bundled dataset's SMILES column, in registry order, duplicates kept."""
    out: list[str] = []
    for spec in DATASETS.values():
        column = pd.read_csv(spec.path, usecols=[spec.smiles_column])[spec.smiles_column]
        out.extend(str(s) for s in column.dropna())
    return out


def transfer_pool(
    own: Sequence[str],
    held_out: Sequence[str],
    size: int,
    seed: int = 0,
    candidates: Sequence[str] | None = None,
) -> list[str]:
    """Up to `size` canonical SMILES from `candidates` (default: the bundled datasets).

    own: canonical SMILES of every molecule of this dataset (never drawn).
    held_out: written SMILES of its validation and test molecules (their scaffolds are barred).
    Candidates are visited in a seeded random order; the result is deterministic.
    """
    candidates = bundled_smiles() if candidates is None else list(candidates)
    banned_molecules = set(own)
    banned_scaffolds: set[str] = set()
    for s in held_out:
        banned_scaffolds |= _scaffolds(s)
        mol, _ = parse_smiles(s)
        if mol is not None:
            banned_scaffolds |= _scaffolds(canonical_smiles(mol))
    chosen: list[str] = []
    seen: set[str] = set()
    for i in np.random.default_rng(seed).permutation(len(candidates)):
        if len(chosen) >= size:
            break
        mol, reason = parse_smiles(candidates[i])
        if reason is not None:
            continue
        canon = canonical_smiles(mol)
        if canon in seen or canon in banned_molecules:
            continue
        seen.add(canon)
        if (_scaffolds(candidates[i]) | _scaffolds(canon)) & banned_scaffolds:
            continue
        chosen.append(canon)
    return chosen
