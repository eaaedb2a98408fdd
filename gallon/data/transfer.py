"""The transfer set: unlabelled molecules the teachers score so the student can match them there.

Drawn from the union of the bundled datasets (their SMILES only, never their labels). Leak-free
by construction: a candidate is dropped when its canonical SMILES is any molecule of this
dataset, or when its scaffold (from the written and from the canonical SMILES, so a stereo
rewrite cannot slip through) is the scaffold of a validation or test molecule.

Two ways to choose among the leak-free candidates: `random` (a seeded draw) or `similar` (the
candidates nearest to this dataset's training molecules by Morgan-fingerprint Tanimoto
similarity, so the student matches its teacher where the dataset's molecules live: FreeSolv's
small solutes are a minority of the drug-like pool).
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


def _fingerprints(mols: list) -> list:
    from rdkit.Chem import rdFingerprintGenerator

    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    return [generator.GetFingerprint(m) for m in mols]


def nearness(candidates: Sequence, reference: Sequence) -> np.ndarray:
    """(len(candidates),) each candidate molecule's highest Tanimoto similarity to any
    `reference` molecule (Morgan radius 2, 2,048 bits); RDKit Mol objects in, floats in [0, 1]."""
    from rdkit import DataStructs

    ref = _fingerprints(list(reference))
    if not ref:
        return np.zeros(len(candidates))
    return np.asarray(
        [max(DataStructs.BulkTanimotoSimilarity(fp, ref)) for fp in _fingerprints(list(candidates))]
    )


def _ranked(candidates: list[str], banned: set[str], seed: int, near: Sequence[str] | None):
    """(written, canonical) SMILES of the parseable candidates not in `banned`, first occurrence
    of each molecule only, in a seeded random order or, with `near`, by decreasing similarity to
    those molecules (ties in the seeded order)."""
    order, seen, mols = [], set(banned), []
    for i in np.random.default_rng(seed).permutation(len(candidates)):
        mol, reason = parse_smiles(candidates[i])
        if reason is not None:
            continue
        canon = canonical_smiles(mol)
        if canon in seen:
            continue
        seen.add(canon)
        if near is None:  # a lazy draw: it stops as soon as enough are taken
            yield candidates[i], canon
            continue
        order.append((candidates[i], canon))
        mols.append(mol)
    if near is None:
        return
    reference = [m for m in (parse_smiles(s)[0] for s in near) if m is not None]
    score = nearness(mols, reference)
    for k in np.argsort(-score, kind="stable"):
        yield order[k]


def transfer_pool(
    own: Sequence[str],
    held_out: Sequence[str],
    size: int,
    seed: int = 0,
    candidates: Sequence[str] | None = None,
    near: Sequence[str] | None = None,
) -> list[str]:
    """Up to `size` canonical SMILES from `candidates` (default: the bundled datasets).

    own: canonical SMILES of every molecule of this dataset (never drawn).
    held_out: written SMILES of its validation and test molecules (their scaffolds are barred).
    near: SMILES of the training molecules; when given, the candidates most similar to them are
    chosen (pool `similar`), otherwise a seeded random draw. The result is deterministic.
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
    for written, canon in _ranked(candidates, banned_molecules, seed, near):
        if len(chosen) >= size:
            break
        if (_scaffolds(written) | _scaffolds(canon)) & banned_scaffolds:
            continue
        chosen.append(canon)
    return chosen
