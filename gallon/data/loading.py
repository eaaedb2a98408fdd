"""Read a dataset (bundled or a user's CSV/Parquet), validate it, and clean it into molecules.

Everything here runs before any Ray work. A problem with the file as a whole (missing file or
column, non-numeric labels, a single class, nothing left) raises `InputError` with one sentence.
A problem with one row (unparseable SMILES, no label) drops that row *with a record* in the
errors table.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from gallon.chem import canonical_smiles, parse_smiles
from gallon.config.schema import DataConfig
from gallon.data.registry import DATASETS, METRIC_FOR_TASK, find_dataset
from gallon.errors import InputError, error_rows, first_line

logger = logging.getLogger(__name__)

MOLECULE_COLUMNS = ("row", "smiles", "y")
READABLE_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq")


@dataclass(frozen=True)
class DatasetInfo:
    """A resolved dataset: where it is, which columns, which task and metric."""

    name: str
    source: str
    smiles_column: str
    targets: tuple[str, ...]
    task: str
    metric: str

    def to_dict(self) -> dict:
        return {**self.__dict__, "targets": list(self.targets)}


def _read_file(path: Path) -> pd.DataFrame:
    name = path.name.lower()
    if not name.endswith(READABLE_SUFFIXES):
        raise InputError(f"dataset file {path} must be .csv, .csv.gz or .parquet.")
    try:
        if name.endswith((".parquet", ".pq")):
            return pd.read_parquet(path)
        return pd.read_csv(path)
    except Exception as err:
        raise InputError(f"dataset file {path} cannot be read: {first_line(err)}.") from None


def read_dataset(cfg: DataConfig) -> tuple[DatasetInfo, pd.DataFrame]:
    """Resolve `cfg.dataset` (bundled name or path) and read it; check the named columns exist."""
    spec = find_dataset(cfg.dataset)
    if spec is not None:
        path, name = spec.path, spec.name
        smiles_column = cfg.smiles_column or spec.smiles_column
        targets = cfg.targets or spec.targets
        task = cfg.task or spec.task
    else:
        path = Path(cfg.dataset).expanduser()
        if not path.exists():
            if path.suffix or "/" in cfg.dataset:
                raise InputError(f"dataset file {path} does not exist.")
            raise InputError(
                f"unknown dataset '{cfg.dataset}': use one of {', '.join(DATASETS)} "
                "or a path to a .csv/.parquet file."
            )
        name = path.name.split(".")[0]
        smiles_column, targets, task = cfg.smiles_column, cfg.targets, cfg.task
        if targets is None:
            raise InputError(f"dataset file {path} needs --targets naming its label column(s).")
    df = _read_file(path)
    if smiles_column is None:
        found = [c for c in df.columns if str(c).lower() == "smiles"]
        if not found:
            raise InputError(
                f"dataset file {path} has no 'smiles' column; name it with --smiles-column."
            )
        smiles_column = found[0]
    missing = [c for c in (smiles_column, *targets) if c not in df.columns]
    if missing:
        shown = ", ".join(map(str, df.columns[:12])) + (" ..." if len(df.columns) > 12 else "")
        raise InputError(
            f"dataset file {path} has no column(s) {', '.join(map(repr, missing))}; "
            f"its columns are: {shown}."
        )
    if len(df) == 0:
        raise InputError(f"dataset file {path} has no rows.")
    labels = _numeric_labels(df, targets, path)
    if task is None:
        observed = np.unique(labels[~np.isnan(labels)])
        task = "classification" if set(observed.tolist()) <= {0.0, 1.0} else "regression"
        logger.info("no --task given: labels look like %s", task)
    info = DatasetInfo(name, str(path), smiles_column, tuple(targets), task, METRIC_FOR_TASK[task])
    return info, df


def _numeric_labels(df: pd.DataFrame, targets: tuple[str, ...], path: Path) -> np.ndarray:
    """Labels as float (n_rows, n_targets) with NaN where missing; non-numeric text is an error."""
    columns = []
    for target in targets:
        raw = df[target]
        values = pd.to_numeric(raw, errors="coerce")
        present = raw.notna() & (raw.astype(str).str.strip() != "")
        bad = present & values.isna()
        if bad.any():
            first = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"target column '{target}' in {path} has non-numeric values, "
                f"e.g. {raw.iloc[first]!r} in data row {first}."
            )
        columns.append(values.to_numpy(dtype=float))
    return np.stack(columns, axis=1)


def clean_molecules(
    info: DatasetInfo, df: pd.DataFrame, subset: int | None = None, subset_seed: int = 0
) -> tuple[pa.Table, pa.Table]:
    """Return (molecules, errors).

    molecules: columns row (data row in the file), smiles (RDKit canonical), y (list of floats,
    NaN = missing label). errors: rows dropped with stage 'load' and a reason.
    """
    labels = _numeric_labels(df, info.targets, Path(info.source))
    if info.task == "classification":
        observed = np.unique(labels[~np.isnan(labels)])
        bad = [v for v in observed.tolist() if v not in (0.0, 1.0)]
        if bad:
            raise InputError(
                f"classification targets must hold 0/1 labels, found {bad[0]:g} in {info.source}."
            )
    keep_rows, keep_smiles, err_rows, err_smiles, reasons = [], [], [], [], []
    for row, raw in enumerate(df[info.smiles_column].tolist()):
        mol, reason = parse_smiles(raw)
        if reason is None and np.isnan(labels[row]).all():
            reason = "no label for any target"
        if reason is not None:
            err_rows.append(row)
            err_smiles.append("" if not isinstance(raw, str) else raw)
            reasons.append(reason)
            continue
        keep_rows.append(row)
        keep_smiles.append(canonical_smiles(mol))
    errors = error_rows(err_rows, err_smiles, "load", reasons)
    rows = np.asarray(keep_rows, dtype=np.int64)
    if subset is not None and subset < len(rows):
        pick = np.sort(np.random.default_rng(subset_seed).choice(len(rows), subset, replace=False))
        rows, keep_smiles = rows[pick], [keep_smiles[i] for i in pick]
    if len(rows) == 0:
        raise InputError(
            f"no usable molecules in {info.source}: all {len(df)} rows were dropped "
            f"(first reason: {reasons[0] if reasons else 'none'})."
        )
    kept = labels[rows]
    _check_targets(info, kept)
    molecules = pa.table(
        {
            "row": pa.array(rows, pa.int64()),
            "smiles": pa.array(keep_smiles, pa.string()),
            "y": pa.array(kept.tolist(), pa.list_(pa.float64())),
        }
    )
    if len(errors):
        logger.warning("dropped %d of %d rows (see errors.parquet)", len(errors), len(df))
    return molecules, errors


def _check_targets(info: DatasetInfo, labels: np.ndarray) -> None:
    for j, target in enumerate(info.targets):
        values = labels[:, j][~np.isnan(labels[:, j])]
        if len(values) == 0:
            raise InputError(f"target '{target}' has no labels among the usable molecules.")
        if info.task == "classification" and len(np.unique(values)) < 2:
            raise InputError(
                f"classification target '{target}' has a single class ({values[0]:g}) in "
                f"{len(values)} labelled molecules; training and ROC-AUC need both classes."
            )
        if info.task == "regression" and np.nanstd(values) == 0:
            raise InputError(f"regression target '{target}' is constant ({values[0]:g}).")
