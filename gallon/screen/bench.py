"""Helpers of jobs/bench_screen.py: a synthetic library and the parse-only ceiling.

The library is made of RDKit randomised SMILES of the bundled datasets' molecules: distinct
strings, realistic molecules, and every one must be parsed from scratch, as in a real screen.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from gallon.data.registry import DATASETS


def bundled_molecules() -> list:
    """Every distinct parseable molecule of the bundled datasets (RDKit Mol objects)."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    seen, mols = set(), []
    for spec in DATASETS.values():
        for s in pd.read_csv(spec.path, usecols=[spec.smiles_column])[spec.smiles_column]:
            mol = Chem.MolFromSmiles(str(s).strip())
            if mol is None or mol.GetNumAtoms() == 0:
                continue
            key = Chem.MolToSmiles(mol)
            if key not in seen:
                seen.add(key)
                mols.append(mol)
    return mols


def build_library(size: int, path: Path, seed: int = 0) -> Path:
    """`size` distinct SMILES strings (id, smiles) as Parquet; randomised SMILES of bundled
    molecules, round-robin so that every molecule appears about equally often."""
    from rdkit import Chem

    if path.exists() and pq.ParquetFile(path).metadata.num_rows == size:
        return path
    mols = bundled_molecules()
    out: dict[str, None] = {}
    rounds = 0
    while len(out) < size and rounds < 10 * size // len(mols) + 10:
        for mol in mols:
            out.setdefault(Chem.MolToSmiles(mol, doRandom=True, canonical=False), None)
            if len(out) == size:
                break
        rounds += 1
    smiles = list(out)
    ids = [f"m{i}" for i in range(len(smiles))]
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"id": ids, "smiles": smiles}), path, row_group_size=50_000)
    return path


class ParseOnly:
    """Ray Data UDF with the screen's shape minus the model: parse, then emit (row, id, ok)."""

    def __call__(self, batch: pa.Table) -> pa.Table:
        from gallon.chem import parse_smiles

        ok = [parse_smiles(s)[0] is not None for s in batch.column("smiles").to_pylist()]
        return pa.table({"row": batch.column("row"), "id": batch.column("id"), "ok": ok})
