"""Stage `featurize`: molecules.parquet → features/ (Parquet shards) via Ray Data `map_batches`.

Actors build the featurizer once and turn batches of (row, smiles) into graph arrays; molecules
that fail become error rows (stage 'featurize'), never a failed batch.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from gallon.errors import ERROR_SCHEMA, error_rows
from gallon.features.graphs import FEATURE_COLUMNS, GraphFeaturizer, featurize_smiles
from gallon.io import read_table, write_json

logger = logging.getLogger(__name__)


class FeaturizeBatch:
    """Ray Data class UDF: pyarrow batch (row, smiles) → features + an `error` column."""

    def __init__(self, atoms: str | dict[str, Any]) -> None:
        self.featurizer = GraphFeaturizer(atoms)

    def __call__(self, batch: pa.Table) -> pa.Table:
        rows = batch.column("row").to_pylist()
        smiles = batch.column("smiles").to_pylist()
        table, (bad_rows, bad_smiles, reasons) = featurize_smiles(rows, smiles, self.featurizer)
        ok = table.append_column("smiles", pa.array([None] * len(table), pa.string()))
        ok = ok.append_column("error", pa.array([None] * len(table), pa.string()))
        if not bad_rows:
            return ok
        errors = error_rows(bad_rows, bad_smiles, "featurize", reasons)
        empty = {c: pa.nulls(len(errors), ok.schema.field(c).type) for c in FEATURE_COLUMNS[1:]}
        bad = pa.table(
            {"row": errors["row"], **empty, "smiles": errors["smiles"], "error": errors["reason"]}
        )
        return pa.concat_tables([ok, bad.cast(ok.schema)])


@dataclass
class FeatureSet:
    path: Path
    spec: dict[str, Any]
    errors: pa.Table

    @property
    def atom_dim(self) -> int:
        return self.spec["atom_dim"]

    @property
    def bond_dim(self) -> int:
        return self.spec["bond_dim"]

    @property
    def atom_ids(self) -> dict[str, int]:
        """Model hparams for the featurizer's id columns (0 columns: all features dense)."""
        return {
            "id_columns": self.spec.get("id_columns", 0),
            "id_buckets": self.spec.get("id_buckets", 0),
        }


def _keep(failed: bool):
    def select(batch: pa.Table) -> pa.Table:
        mask = pc.is_valid(batch.column("error"))
        if failed:
            return batch.filter(mask).select(["row", "smiles", "error"])
        return batch.filter(pc.invert(mask)).select(list(FEATURE_COLUMNS))

    return select


def featurize(
    molecules_path: Path, out: Path, atoms: str, batch_size: int, concurrency: int
) -> FeatureSet:
    """Featurise every molecule on Ray Data.

    Writes out/features/ (Parquet shards, `FEATURE_COLUMNS`) and out/features.json (the feature
    spec: featurizer parameters and dimensions); returns the failures as an errors table.
    """
    import ray

    molecules = read_table(molecules_path, ("row", "smiles")).select(["row", "smiles"])
    spec = GraphFeaturizer(atoms).spec()
    ds = (
        ray.data.from_arrow(molecules)
        .map_batches(
            FeaturizeBatch,
            fn_constructor_kwargs={"atoms": spec["atoms"]},
            batch_size=batch_size,
            batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(size=concurrency),
        )
        .materialize()
    )
    path = out / "features"
    if path.exists():  # never mix shards of an earlier attempt into this one
        shutil.rmtree(path)
    ds.map_batches(_keep(False), batch_format="pyarrow").write_parquet(str(path))
    failed = ds.map_batches(_keep(True), batch_format="pyarrow").take_all()
    errors = error_rows(
        [r["row"] for r in failed],
        [r["smiles"] for r in failed],
        "featurize",
        [r["error"] for r in failed],
    ).cast(ERROR_SCHEMA)
    write_json(spec, out / "features.json")
    if len(errors):
        logger.warning("featurize: %d molecules failed (see errors.parquet)", len(errors))
    return FeatureSet(path, spec, errors)
