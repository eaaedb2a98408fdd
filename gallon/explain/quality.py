"""What an explanation source actually says: duplicates and functional groups it gets right.

Two checks a chemist would make by reading a sample, done on every explanation:

- near-duplicates: the share of explanations whose word 3-shingles overlap another's by a
  Jaccard index of at least 0.8 (a model that answers "The molecule is a phospholipid bilayer"
  for most molecules scores high);
- functional groups: for each explanation, which of a fixed vocabulary of groups it names
  (keywords) and whether RDKit finds that group in the molecule (SMARTS). Reported: the share
  of explanations naming at least one group that is present, and the precision of the names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

# group → (keywords that name it, SMARTS that finds it)
GROUPS: dict[str, tuple[tuple[str, ...], str]] = {
    "hydroxyl": (("hydroxyl", "alcohol", "phenol"), "[OX2H][#6]"),
    "carboxylic acid": (("carboxylic", "carboxyl"), "[CX3](=O)[OX2H1,OX1-]"),
    "ester": (("ester",), "[#6][CX3](=O)[OX2][#6]"),
    "amide": (("amide",), "[CX3](=O)[NX3]"),
    "amine": (("amine", "amino"), "[NX3;!$(N-[C,S]=[O,S,N]);!$(N-a)][#6]"),
    "ketone": (("ketone",), "[#6][CX3](=O)[#6]"),
    "aldehyde": (("aldehyde",), "[CX3H1](=O)[#6]"),
    "ether": (("ether",), "[OD2;!$(O-C=O)]([#6])[#6]"),
    "nitro": (("nitro ", "nitro-", "nitro group"), "[$([NX3](=O)=O),$([NX3+](=O)[O-])]"),
    "nitrile": (("nitrile", "cyano"), "[CX2]#[NX1]"),
    "halogen": (("halogen", "chlor", "fluor", "brom", "iod"), "[F,Cl,Br,I]"),
    "aromatic ring": (("aromatic", "benzene", "phenyl"), "a"),
    "sulfonamide": (("sulfonamide",), "[SX4](=O)(=O)[NX3]"),
    "thiol": (("thiol", "mercapto"), "[SX2H]"),
    "phosphate": (("phosphat",), "P(=O)(O)O"),
}


def _shingles(text: str, k: int = 3) -> frozenset[str]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return frozenset(" ".join(words[i : i + k]) for i in range(max(1, len(words) - k + 1)))


def near_duplicate_share(texts: Sequence[str], threshold: float = 0.8) -> float:
    """Share of texts with another text at Jaccard ≥ threshold (word 3-shingles). O(n²)."""
    sets = [_shingles(t) for t in texts]
    dup = [False] * len(sets)
    for i in range(len(sets)):
        if dup[i]:
            continue
        for j in range(i + 1, len(sets)):
            a, b = sets[i], sets[j]
            if a and b and len(a & b) >= threshold * len(a | b):
                dup[i] = dup[j] = True
    return sum(dup) / len(dup) if dup else 0.0


NEGATIONS = {"no", "0", "not", "without", "lacks", "none"}


def _affirmed(low: str, word: str) -> bool:
    """`word` occurs at least once without a negation among the two words before it."""
    for match in re.finditer(re.escape(word), low):
        before = re.findall(r"[a-z0-9]+", low[max(0, match.start() - 30) : match.start()])[-2:]
        if not NEGATIONS & set(before):
            return True
    return False


def named_groups(text: str) -> set[str]:
    """Groups the text names (keywords), ignoring negated mentions ("no aromatic rings")."""
    low = text.lower()
    return {g for g, (words, _) in GROUPS.items() if any(_affirmed(low, w) for w in words)}


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[str, Any], ...]:
    """GROUPS' SMARTS compiled once (not once per molecule)."""
    from rdkit import Chem

    return tuple((g, Chem.MolFromSmarts(smarts)) for g, (_, smarts) in GROUPS.items())


def present_groups(mol) -> set[str]:
    return {g for g, pattern in _patterns() if mol.HasSubstructMatch(pattern)}


@dataclass(frozen=True)
class Quality:
    explanations: int
    near_duplicates: float  # share
    names_a_present_group: float  # share of explanations
    naming_precision: float  # named groups that are present / named groups
    names_any_group: float  # share of explanations naming a group at all

    def as_dict(self) -> dict:
        return asdict(self)


def measure(smiles: Sequence[str], texts: Sequence[str]) -> Quality:
    """Quality of `texts`, the explanations of the molecules `smiles` (same order)."""
    from gallon.chem import parse_smiles

    hits = named = right = any_named = 0
    for s, text in zip(smiles, texts):
        mol, _ = parse_smiles(s)
        names = named_groups(text)
        present = present_groups(mol) if mol is not None else set()
        named += len(names)
        right += len(names & present)
        hits += bool(names & present)
        any_named += bool(names)
    n = len(texts)
    return Quality(
        n,
        near_duplicate_share(texts),
        hits / n if n else 0.0,
        right / named if named else 0.0,
        any_named / n if n else 0.0,
    )
