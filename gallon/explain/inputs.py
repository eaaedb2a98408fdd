"""What the LLM sees of a molecule: canonical SMILES, a rendered 2-D diagram, the bond list.

Pure functions over RDKit molecules; the Ray Data stage maps them over batches.
"""

from __future__ import annotations

import base64

from rdkit import Chem
from rdkit.Chem.Draw import rdMolDraw2D

BOND_WORDS = {
    Chem.BondType.SINGLE: "single",
    Chem.BondType.DOUBLE: "double",
    Chem.BondType.TRIPLE: "triple",
    Chem.BondType.AROMATIC: "aromatic",
}


def bond_lines(mol: Chem.Mol) -> list[str]:
    """One line per bond, each bond once: 'Atom 3 (C) is connected with Atom 4 (O) by a
    double bond.' Atom indices follow the order of atoms in the canonical SMILES."""
    lines = []
    for bond in mol.GetBonds():
        a, b = bond.GetBeginAtom(), bond.GetEndAtom()
        kind = BOND_WORDS.get(bond.GetBondType(), str(bond.GetBondType()).lower())
        article = "an" if kind[0] in "aeiou" else "a"
        lines.append(
            f"Atom {a.GetIdx()} ({a.GetSymbol()}) is connected with Atom {b.GetIdx()} "
            f"({b.GetSymbol()}) by {article} {kind} bond."
        )
    return lines


def render_png(mol: Chem.Mol, size: int = 500) -> bytes:
    """The 2-D depiction as PNG bytes (size × size pixels), atoms numbered as in the bond list."""
    drawer = rdMolDraw2D.MolDraw2DCairo(size, size)
    drawer.drawOptions().addAtomIndices = True
    rdMolDraw2D.PrepareAndDrawMolecule(drawer, mol)
    drawer.FinishDrawing()
    return drawer.GetDrawingText()


def png_data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
