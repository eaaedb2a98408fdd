"""Duplicate molecules: the same canonical SMILES on several rows of one dataset.

Every split keeps a molecule's rows together (gallon.data.splits), so a duplicate can never sit
in train and test at once. What remains is a duplicate whose labels disagree:

- classification: contradictory labels (BBBP lists aspirin as both penetrating and not). With
  `data.conflicting_labels: drop` (the default) every row of such a molecule goes to the errors
  table, stage `duplicates`, naming the other rows and their labels; `keep` trains on all of
  them (what GALLON and chemprop do) and lists them in the warnings table instead.
- regression: replicate measurements (ESOL lists some compounds twice, 0.1-0.3 log units
  apart) are kept, always together, and listed in the warnings table with their spread.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pyarrow as pa

from gallon.errors import error_rows


def _disagree(y: np.ndarray) -> bool:
    """Rows (R, T) disagree where two observed labels of one target differ."""
    for t in range(y.shape[1]):
        seen = y[~np.isnan(y[:, t]), t]
        if seen.size > 1 and np.ptp(seen) > 0:
            return True
    return False


def _describe(rows: list[int], y: np.ndarray) -> str:
    values = "; ".join(f"row {r}: {', '.join(f'{v:g}' for v in y[i])}" for i, r in enumerate(rows))
    return f"the same molecule (canonical SMILES) has different labels ({values})"


def conflicting_groups(smiles: list[str], labels: np.ndarray) -> list[list[int]]:
    """Positions of each molecule that occurs more than once with labels that disagree."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(smiles):
        groups[s].append(i)
    return [g for g in groups.values() if len(g) > 1 and _disagree(labels[g])]


def resolve_duplicates(
    molecules: pa.Table, task: str, policy: str
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """molecules (row, smiles, y) → (molecules kept, errors, warnings); tables of ERROR_SCHEMA."""
    smiles = molecules.column("smiles").to_pylist()
    rows = molecules.column("row").to_pylist()
    labels = np.asarray(molecules.column("y").to_pylist(), dtype=np.float64)
    keep = np.ones(len(rows), bool)
    listed: dict[bool, tuple[list, list, list]] = {True: ([], [], []), False: ([], [], [])}
    for group in conflicting_groups(smiles, labels):
        reason = _describe([rows[i] for i in group], labels[group])
        dropped = task == "classification" and policy == "drop"
        if task == "regression":
            reason = f"replicate measurements kept together: {reason}"
        else:
            reason = f"{'dropped' if dropped else 'kept (data.conflicting_labels: keep)'}: {reason}"
        keep[group] = not dropped
        for i in group:
            for column, value in zip(listed[dropped], (rows[i], smiles[i], reason)):
                column.append(value)
    errors = error_rows(*listed[True][:2], "duplicates", listed[True][2])
    warnings = error_rows(*listed[False][:2], "duplicates", listed[False][2])
    return molecules.filter(pa.array(keep)), errors, warnings
