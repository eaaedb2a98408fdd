"""Explanations without an LLM: RDKit's facts, or a file of explanations a user already has.

- `explain.backend: rdkit` writes a factual description of each molecule from RDKit alone:
  functional groups (RDKit's fragment patterns, `rdkit.Chem.Fragments`), ring systems, charges
  and Lipinski counts. It is a documented offline stand-in, never presented as an LLM: its
  records carry the source `rdkit-facts-v1`, and it separates "text about chemistry helps the
  LM teacher" from "this LLM knows chemistry" in the ablations.
- `explain.backend: file` reads (smiles, explanation[, model]) from a CSV, Parquet or JSONL
  file (an API run, a GPU cluster, a colleague), joins it on canonical SMILES and feeds the
  same cache; molecules the file does not explain become error rows with a reason.

Both return rows with the backends' `RESULT_COLUMNS` (plus `model` for a file's own column).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from gallon.chem import canonical_smiles, parse_smiles
from gallon.errors import ConfigError, InputError

RDKIT_SOURCE = "rdkit-facts-v1"
# Variants that repeat another pattern's count (hydroxyls without tert-OH, amides without COO).
_REDUNDANT = ("_noTert", "_noCOO")


@lru_cache(maxsize=1)
def _fragment_counters() -> tuple[tuple[str, Any], ...]:
    from rdkit.Chem import Fragments

    out = []
    for name in sorted(n for n in dir(Fragments) if n.startswith("fr_")):
        if name.endswith(_REDUNDANT):
            continue
        fn = getattr(Fragments, name)
        label = (fn.__doc__ or name).strip().removeprefix("Number of ").rstrip(".")
        out.append((label, fn))
    return tuple(out)


def describe(mol) -> str:
    """A few sentences of facts about one RDKit molecule (deterministic, no model)."""
    from rdkit.Chem import Crippen, Descriptors, Lipinski, rdMolDescriptors

    groups = [f"{n} × {label}" for label, fn in _fragment_counters() if (n := fn(mol)) > 0]
    info = mol.GetRingInfo()
    sizes = sorted(len(r) for r in info.AtomRings())
    aromatic = rdMolDescriptors.CalcNumAromaticRings(mol)
    charged = [a for a in mol.GetAtoms() if a.GetFormalCharge() != 0]
    weight, logp = Descriptors.MolWt(mol), Crippen.MolLogP(mol)
    donors, acceptors = Lipinski.NumHDonors(mol), Lipinski.NumHAcceptors(mol)
    violations = sum((weight > 500, logp > 5, donors > 5, acceptors > 10))
    rings = (
        f"{len(sizes)} rings (sizes {', '.join(map(str, sizes))}; {aromatic} aromatic)"
        if sizes
        else "no rings"
    )
    charge = (
        f"{len(charged)} charged atoms (net charge {sum(a.GetFormalCharge() for a in charged):+d})"
        if charged
        else "no charged atoms"
    )
    return " ".join(
        [
            f"Functional groups (RDKit fragment patterns): {'; '.join(groups) or 'none matched'}.",
            f"Ring systems: {rings}.",
            f"Charges: {charge}.",
            f"Lipinski: molecular weight {weight:.1f}, Crippen logP {logp:.2f}, {donors} H-bond "
            f"donors, {acceptors} H-bond acceptors, TPSA {rdMolDescriptors.CalcTPSA(mol):.1f}, "
            f"{rdMolDescriptors.CalcNumRotatableBonds(mol)} rotatable bonds, {violations} "
            "rule-of-five violations.",
        ]
    )


class DescribeBatch:
    """Ray Data UDF: (key, smiles) → result rows with RDKit's description."""

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        out: dict[str, list] = {c: [] for c in ("key", "smiles", "explanation", "error")}
        for key, smiles in zip(batch["key"], batch["smiles"]):
            mol, reason = parse_smiles(smiles)
            out["key"].append(key)
            out["smiles"].append(smiles)
            out["explanation"].append(describe(mol) if mol is not None else None)
            out["error"].append(None if mol is not None else f"RDKit cannot parse it: {reason}")
        n = len(out["key"])
        return {
            **out,
            "prompt_tokens": [0] * n,
            "output_tokens": [0] * n,
            "finish_reason": [None] * n,
        }


def _read(path: Path) -> pd.DataFrame:
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        return pd.read_parquet(path)
    if name.endswith((".jsonl", ".ndjson")):
        return pd.read_json(path, lines=True)
    return pd.read_csv(path)


def file_source(path: str | Path) -> str:
    """The source name of a file's explanations: its name and content hash (an edit of the file
    is a new source, so the cache never serves its old answers)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"explain.file {path} does not exist.")
    return f"file:{path.name}@{hashlib.sha256(path.read_bytes()).hexdigest()[:12]}"


def read_explanations(path: str | Path) -> dict[str, tuple[str, str | None]]:
    """canonical SMILES → (explanation, model or None) from a user's file; the first row of a
    molecule wins. Rows whose SMILES RDKit cannot parse or whose explanation is empty are left
    out (the molecules they would explain are reported as missing)."""
    path = Path(path)
    table = _read(path)
    missing = [c for c in ("smiles", "explanation") if c not in table.columns]
    if missing:
        raise InputError(
            f"explanations file {path} lacks the column(s) {', '.join(missing)} "
            f"(it has {', '.join(map(str, table.columns))})."
        )
    models = table["model"] if "model" in table.columns else [None] * len(table)
    out: dict[str, tuple[str, str | None]] = {}
    for smiles, text, model in zip(table["smiles"], table["explanation"], models):
        if not isinstance(text, str) or not text.strip():
            continue
        mol, _ = parse_smiles(smiles)
        if mol is None:
            continue
        out.setdefault(canonical_smiles(mol), (text, None if pd.isna(model) else str(model)))
    return out


def file_rows(todo: dict[str, str], path: str | Path) -> dict[str, list]:
    """Result rows for `todo` (key → canonical SMILES) from the file at `path`."""
    known = read_explanations(path)
    out: dict[str, list] = {
        c: [] for c in ("key", "smiles", "explanation", "model", "error", "prompt_tokens")
    }
    for key, smiles in todo.items():
        text, model = known.get(smiles, (None, None))
        out["key"].append(key)
        out["smiles"].append(smiles)
        out["explanation"].append(text)
        out["model"].append(model)
        out["error"].append(None if text else f"no explanation for this molecule in {path}")
        out["prompt_tokens"].append(0)
    n = len(out["key"])
    return {**out, "output_tokens": [0] * n, "finish_reason": [None] * n}
