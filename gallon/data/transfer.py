"""The transfer set: unlabelled molecules the teachers score so the student can match them there.

Drawn from the union of the bundled datasets (their SMILES only, never their labels). Leak-free
by construction: a candidate is dropped when its canonical SMILES is any molecule of this
dataset, or when its scaffold (from the written and from the canonical SMILES, so a stereo
rewrite cannot slip through) is the scaffold of a validation or test molecule.

Two ways to choose among the leak-free candidates: `random` (a seeded draw) or `similar` (the
candidates nearest to this dataset's training molecules by Morgan-fingerprint Tanimoto
similarity, so the student matches its teacher where the dataset's molecules live: FreeSolv's
small solutes are a minority of the drug-like pool). A third source of candidates, `brics`,
makes new molecules instead: the training molecules' BRICS fragments joined again at random
(`brics_analogues`), so the student meets new scaffolds built from the dataset's own pieces.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from rdkit import Chem

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


def _fragment_index(train: Sequence[str]):
    """The BRICS fragments (with attachment points) of the parseable `train` molecules, sorted,
    for each of RDKit's BRICS joining reactions the fragments that can take each of its two
    roles, and the training molecules' heavy-atom range."""
    from rdkit.Chem import BRICS

    pieces: set[str] = set()
    sizes = []
    for s in train:
        mol, _ = parse_smiles(s)
        if mol is None:
            continue
        sizes.append(mol.GetNumHeavyAtoms())
        pieces |= {f for f in BRICS.BRICSDecompose(mol) if "*" in f}
    frags = [m for m in (Chem.MolFromSmiles(f) for f in sorted(pieces)) if m is not None]
    roles = [
        [[i for i, m in enumerate(frags) if m.HasSubstructMatch(r._matchers[k])] for k in (0, 1)]
        for r in BRICS.reverseReactions
    ]
    return frags, roles, (min(sizes, default=0), max(sizes, default=0))


def brics_analogues(
    train: Sequence[str], size: int, seed: int = 0, joins: int = 4, tries_per_molecule: int = 20
) -> list[str]:
    """Up to `size` distinct canonical SMILES assembled from the BRICS fragments of `train`.

    Each try starts from a random fragment and joins a random compatible fragment by one of
    RDKit's BRICS reactions, up to `joins` times, until no attachment point is left; products
    that fail sanitisation or fall outside the training molecules' heavy-atom range are
    dropped. Seeded and deterministic; at most `size * tries_per_molecule` tries. The result
    may contain training molecules themselves: the caller's leak filter removes them.
    """
    from rdkit.Chem import BRICS

    frags, roles, (low, high) = _fragment_index(train)
    reactions, dummy = BRICS.reverseReactions, Chem.MolFromSmarts("[#0]")
    rng = np.random.default_rng(seed)
    found: dict[str, None] = {}  # insertion-ordered set
    for _ in range(size * tries_per_molecule if frags else 0):
        if len(found) >= size:
            break
        mol = frags[rng.integers(len(frags))]
        for _ in range(joins):
            options = [(r, k) for r, rxn in enumerate(reactions) for k in (0, 1)
                       if roles[r][1 - k] and mol.HasSubstructMatch(rxn._matchers[k])]  # fmt: skip
            if not options:
                break
            r, k = options[rng.integers(len(options))]
            partner = frags[roles[r][1 - k][rng.integers(len(roles[r][1 - k]))]]
            products = reactions[r].RunReactants((mol, partner) if k == 0 else (partner, mol))
            if not products:
                break
            mol = products[rng.integers(len(products))][0]
            if not mol.HasSubstructMatch(dummy):
                break
        if mol.HasSubstructMatch(dummy):
            continue
        try:
            made, _ = parse_smiles(Chem.MolToSmiles(mol))
        except Exception:  # RDKit refuses to write some unsanitised products
            continue
        if made is not None and low <= made.GetNumHeavyAtoms() <= high:
            found.setdefault(canonical_smiles(made))
    return list(found)


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
