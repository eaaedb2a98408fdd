"""Stage `transfer`: unlabelled molecules featurised once per run and scored by each teacher.

Writes transfer/molecules.parquet and transfer/features/ (the run's featurizer, Ray Data) before
training, and after a graph teacher is trained, predictions/transfer/<teacher>/seed_<s>.parquet
(`TRANSFER_COLUMNS`: row, raw output) through the screening path (`ScreenBatch` on Ray Data),
so the student's teacher targets there are exactly what `jobs/screen.py` would return. The LM
teacher needs an explanation per molecule and does not score the transfer set.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from gallon.data.transfer import transfer_pool
from gallon.io import read_json, write_table

logger = logging.getLogger(__name__)

FOLDER = "transfer"
# Teachers that score the transfer set: graph models. The LM would need an LLM explanation of
# every transfer molecule first, so its terms are masked there.
SCORING_TEACHERS = ("gnn",)


@dataclass(frozen=True)
class TransferSet:
    molecules: Path  # (row, smiles)
    features: Path  # features table of the run's featurizer

    def predictions(self, out: Path, teacher: str, seed: int) -> Path:
        return out / "predictions" / FOLDER / teacher / f"seed_{seed}.parquet"


def prepare_transfer(
    out: Path,
    own: list[str],
    held_out: list[str],
    size: int,
    seed: int,
    atoms: str,
    batch_size: int,
    concurrency: int,
    near: list[str] | None = None,
    in_driver_below: int = 0,
    candidates: list[str] | None = None,
) -> TransferSet:
    """Choose the transfer molecules (leak-free, see gallon.data.transfer; from `candidates`,
    else the bundled datasets; nearest to `near`, the training molecules, when given) and
    featurise them."""
    from gallon.features.stage import featurize

    pool = transfer_pool(own, held_out, size, seed, candidates, near)
    folder = out / FOLDER
    table = pa.table({"row": pa.array(np.arange(len(pool)), pa.int64()), "smiles": pool})
    write_table(table, folder / "molecules.parquet")
    result = featurize(
        folder / "molecules.parquet", folder, atoms, batch_size, concurrency, in_driver_below
    )
    logger.info(
        "transfer set: %d unlabelled molecules (%d failed featurisation)",
        len(pool),
        result.errors.num_rows,
    )
    return TransferSet(folder / "molecules.parquet", result.path)


def raw_outputs(pred: np.ndarray, task: str, hparams: dict) -> np.ndarray:
    """Screening predictions (probabilities / target units) → the model's raw outputs."""
    if task == "classification":
        p = np.clip(pred, 1e-6, 1 - 1e-6)
        return np.log(p) - np.log1p(-p)
    mean, std = np.asarray(hparams["y_mean"]), np.asarray(hparams["y_std"])
    return (pred - mean) / std


def score_transfer(transfer: TransferSet, model_dir: Path, dest: Path) -> Path:
    """Score the transfer molecules with one trained model on Ray Data; writes `dest`."""
    import ray

    from gallon.io import read_table
    from gallon.screen.udf import BATCH_SIZE, ScreenBatch

    molecules = read_table(transfer.molecules, ("row", "smiles"))
    library = pa.table(  # the shape open_library streams: the row travels through the scorer
        {
            "row": molecules.column("row"),
            "id": pa.nulls(molecules.num_rows, pa.string()),
            "smiles": molecules.column("smiles"),
        }
    )
    scored = pa.concat_tables(
        ray.data.from_arrow(library)
        .map_batches(
            ScreenBatch,
            fn_constructor_kwargs={"model": str(model_dir)},
            batch_size=BATCH_SIZE,
            batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(size=1),
        )
        .iter_batches(batch_size=None, batch_format="pyarrow")
    )
    hparams = read_json(model_dir / "hparams.json")
    ok = scored.filter(pa.compute.is_null(scored.column("error")))
    pred = np.stack([ok.column(t).to_numpy() for t in hparams["targets"]], axis=1)
    outputs = raw_outputs(pred, hparams["task"], hparams).astype(np.float32)
    table = pa.table(
        {
            "row": ok.column("row").cast(pa.int64()),
            "output": pa.array(outputs.tolist(), pa.list_(pa.float32())),
        }
    )
    write_table(table, dest)
    return dest
