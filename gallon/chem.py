"""SMILES parsing with a reason for every failure (shared by loading, featurising and screening)."""

from __future__ import annotations

import functools

from rdkit import Chem, RDLogger

from gallon.errors import first_line

RDLogger.DisableLog("rdApp.*")  # failures are reported as error rows, not console noise


def parse_smiles(smiles: object) -> tuple[Chem.Mol | None, str | None]:
    """Parse and sanitise one SMILES string.

    Returns (mol, None) on success and (None, reason) on failure, where reason is one sentence
    fit for the errors table (syntax error, valence problem, no heavy atoms, ...).
    """
    if not isinstance(smiles, str) or not smiles.strip():
        return None, "empty SMILES"
    text = smiles.strip()
    mol = Chem.MolFromSmiles(text, sanitize=False)
    if mol is None:
        return None, "SMILES syntax error (RDKit cannot parse it)"
    try:
        Chem.SanitizeMol(mol)
    except Exception as err:  # RDKit raises several sanitisation exception types
        return None, f"invalid molecule: {first_line(err)}"
    if mol.GetNumAtoms() == 0:
        return None, "molecule has no heavy atoms"
    return mol, None


@functools.cache
def _standardizers():
    """Built once per process: each construction parses its rule set."""
    from rdkit.Chem.MolStandardize import rdMolStandardize

    return rdMolStandardize.LargestFragmentChooser(preferOrganic=True), rdMolStandardize.Uncharger()


def standardize(mol: Chem.Mol) -> tuple[Chem.Mol | None, str | None]:
    """The largest organic fragment, neutralised (RDKit's rdMolStandardize), or (None, reason).

    For screening libraries of salts and charged forms; training does not standardise, so this
    is off unless asked for."""
    chooser, uncharger = _standardizers()
    try:
        out = uncharger.uncharge(chooser.choose(mol))
    except Exception as err:  # RDKit raises several exception types
        return None, f"standardisation failed: {first_line(err)}"
    if out is None or out.GetNumAtoms() == 0:
        return None, "standardisation left no atoms"
    return out, None


def canonical_smiles(mol: Chem.Mol) -> str:
    """RDKit canonical isomeric SMILES."""
    return Chem.MolToSmiles(mol)
