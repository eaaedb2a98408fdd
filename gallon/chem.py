"""SMILES parsing with a reason for every failure (shared by loading, featurising and screening)."""

from __future__ import annotations

from rdkit import Chem, RDLogger

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
        detail = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return None, f"invalid molecule: {detail}"
    if mol.GetNumAtoms() == 0:
        return None, "molecule has no heavy atoms"
    return mol, None


def canonical_smiles(mol: Chem.Mol) -> str:
    """RDKit canonical isomeric SMILES."""
    return Chem.MolToSmiles(mol)
