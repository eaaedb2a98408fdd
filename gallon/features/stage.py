"""Stage `featurize`: molecules.parquet → features/ (Parquet shards) via Ray Data `map_batches`.

Actors build the featurizer once and turn batches of (row, smiles) into graph arrays; molecules
that fail become error rows (stage 'featurize'), never a failed batch. Inputs smaller than
`in_driver_below` molecules run the same batches in the driver instead: Ray Data's start-up
(actors, three passes) costs about 6 s on 2 cores, more than featurising a few thousand molecules.
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
from gallon.io import read_table, write_json, write_table

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
    molecules_path: Path,
    out: Path,
    atoms: str,
    batch_size: int,
    concurrency: int,
    in_driver_below: int = 0,
) -> FeatureSet:
    """Featurise every molecule: on Ray Data, or in this process when there are fewer than
    `in_driver_below` (the same batches and function; the features are identical).

    Writes out/features/ (Parquet shards, `FEATURE_COLUMNS`) and out/features.json (the feature
    spec: featurizer parameters and dimensions); returns the failures as an errors table.
    """
    molecules = read_table(molecules_path, ("row", "smiles")).select(["row", "smiles"])
    spec = GraphFeaturizer(atoms).spec()
    path = out / "features"
    if path.exists():  # never mix shards of an earlier attempt into this one
        shutil.rmtree(path)
    if molecules.num_rows < in_driver_below:
        failed = _in_driver(molecules, spec["atoms"], batch_size, path)
    else:
        failed = _on_ray_data(molecules, spec["atoms"], batch_size, concurrency, path)
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


def _in_driver(molecules: pa.Table, atoms: dict[str, Any], batch_size: int, path: Path) -> list:
    """`FeaturizeBatch` over batches of `batch_size` here; writes the features as one shard and
    returns the failed rows (row, smiles, error)."""
    udf = FeaturizeBatch(atoms)
    parts = [udf(molecules.slice(i, batch_size)) for i in range(0, molecules.num_rows, batch_size)]
    table = pa.concat_tables(parts) if parts else udf(molecules)
    path.mkdir(parents=True)
    write_table(_keep(False)(table), path / "part-00000.parquet")
    return _keep(True)(table).to_pylist()


def _on_ray_data(
    molecules: pa.Table, atoms: dict[str, Any], batch_size: int, concurrency: int, path: Path
) -> list:
    """`FeaturizeBatch` on a pool of `concurrency` Ray Data actors; writes the features as
    Parquet shards and returns the failed rows (row, smiles, error)."""
    import ray

    ds = (
        ray.data.from_arrow(molecules)
        .map_batches(
            FeaturizeBatch,
            fn_constructor_kwargs={"atoms": atoms},
            batch_size=batch_size,
            batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(size=concurrency),
        )
        .materialize()
    )
    ds.map_batches(_keep(False), batch_format="pyarrow").write_parquet(str(path))
    return ds.map_batches(_keep(True), batch_format="pyarrow").take_all()
