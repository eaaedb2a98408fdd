"""Stage `prepare`: dataset → molecules.parquet, errors.parquet, splits.json, dataset.json.

Runs before Ray starts, so every input problem surfaces as one sentence and exit code 2.
`splits.json` lists data-row ids (0-based rows of the input file, header excluded) per split, so
another tool can be trained on the identical split.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from gallon.config.schema import DataConfig, SplitConfig
from gallon.data.duplicates import resolve_duplicates
from gallon.data.loading import DatasetInfo, clean_molecules, read_dataset
from gallon.data.splits import SPLIT_NAMES, make_split
from gallon.io import write_json, write_table

logger = logging.getLogger(__name__)


@dataclass
class Prepared:
    info: DatasetInfo
    molecules: pa.Table
    errors: pa.Table
    warnings: pa.Table  # kept rows a user should know about (duplicates whose labels differ)
    splits: dict[str, list[int]]  # split → data-row ids
    n_input_rows: int
    written: list[str]  # each molecule's SMILES as written in the input (scaffolds come from it)


def prepare(data: DataConfig, split: SplitConfig | None) -> Prepared:
    """Read, validate, clean and split (pure apart from reading the input). `split=None`: no
    split (explaining or screening a handful of molecules needs none)."""
    info, df = read_dataset(data)
    molecules, errors = clean_molecules(info, df, data.subset, data.subset_seed)
    molecules, conflicts, warnings = resolve_duplicates(
        molecules, info.task, data.conflicting_labels
    )
    errors = pa.concat_tables([errors, conflicts])
    if len(conflicts) or len(warnings):
        logger.warning(
            "%s: %d rows of molecules listed twice with contradictory labels dropped, %d "
            "duplicate rows with differing labels kept (errors.parquet, warnings.parquet)",
            info.name,
            len(conflicts),
            len(warnings),
        )
    rows = molecules.column("row").to_pylist()
    # scaffolds from the SMILES as written (as GALLON's splitter); identity from canonical SMILES
    written = [str(s) for s in df[info.smiles_column].iloc[rows]]
    if split is None:
        return Prepared(info, molecules, errors, warnings, {}, len(df), written)
    canonical = molecules.column("smiles").to_pylist()
    positions = make_split(split.method, written, split.sizes, split.seed, canonical)
    splits = {name: [rows[i] for i in positions[name]] for name in SPLIT_NAMES}
    for name in SPLIT_NAMES:
        if not splits[name]:
            from gallon.errors import InputError

            hint = (
                "its molecules fall into too few scaffold groups to fill every split; "
                "`--set split.method=random` splits molecules instead, or use more molecules"
                if split.method != "random"
                else "use more molecules or other split sizes"
            )
            raise InputError(
                f"the {name} split is empty ({len(rows)} molecules, {split.method} split, sizes "
                f"{list(split.sizes)}): {hint}."
            )
    logger.info(
        "%s: %d molecules (%d rows dropped), split %s %d/%d/%d",
        info.name,
        len(rows),
        len(errors),
        split.method,
        *(len(splits[n]) for n in SPLIT_NAMES),
    )
    return Prepared(info, molecules, errors, warnings, splits, len(df), written)


def write_prepared(prepared: Prepared, split: SplitConfig | None, out: Path) -> None:
    """molecules, errors, warnings, dataset.json and (with a split) splits.json."""
    write_table(prepared.molecules, out / "molecules.parquet")
    write_table(prepared.errors, out / "errors.parquet")
    write_table(prepared.warnings, out / "warnings.parquet")
    write_json(
        {**prepared.info.to_dict(), "n_input_rows": prepared.n_input_rows}, out / "dataset.json"
    )
    if split is None:
        return
    write_json(
        {
            "method": split.method,
            "sizes": list(split.sizes),
            "seed": split.seed,
            "ids": "data-row ids of the input file (0-based, header excluded)",
            **prepared.splits,
        },
        out / "splits.json",
    )


def read_splits(path: Path) -> dict[str, list[int]]:
    from gallon.io import read_json

    data = read_json(path)
    return {name: data[name] for name in SPLIT_NAMES}
