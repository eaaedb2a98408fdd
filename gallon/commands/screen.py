"""Score a molecule library of any size with trained models, streaming through Ray Data.

    python jobs/screen.py --model runs/<run>/student --input library.csv --output preds/
    python jobs/screen.py --model runs/<run>/student/seed_0 --input lib.smi.gz --output preds/
    python jobs/screen.py --model runs/<run>/gnn --input lib.parquet --output gnn_preds/
    python jobs/screen.py --model runs/<run>/student --export onnx --output export/

Rows in = rows out: every input row becomes one output row with predictions (mean and std over
the models found under --model) or, for an unusable SMILES, null predictions and an `error`.
Each output row carries `row`, its 0-based position in the input file (and `file` for a folder
of Parquet files), so predictions join back to the input with or without --id-column.
Output: Parquet shards in --output plus _summary.json (counts, molecules/s, options); `--csv`
adds _predictions.csv in input order. On a terminal a progress bar shows molecules scored,
molecules/s and time left (off with -q).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

from gallon.cli import divert_unless_verbose, diverted, exits_cleanly, setup_logging
from gallon.errors import InputError
from gallon.screen.udf import BATCH_SIZE, ScreenBatch

logger = logging.getLogger("gallon.screen")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, help="a model folder, or a folder of seed folders")
    p.add_argument("--input", help="library: .csv, .parquet (file or folder) or .smi, maybe .gz")
    p.add_argument(
        "--output",
        required=True,
        help="output folder: new, empty or a previous screening output (replaced)",
    )
    p.add_argument(
        "--overwrite", action="store_true", help="replace an --output that holds other files"
    )
    p.add_argument("--smiles-column", default="smiles")
    p.add_argument("--id-column", default=None, help="carried through to the output")
    p.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="molecules per batch")
    p.add_argument("--workers", type=int, default=None, help="scoring actors (default: CPUs)")
    p.add_argument(
        "--precision",
        choices=("fp32", "bf16"),
        default="fp32",
        help="student matmuls in bf16: faster on CPUs with native bf16, not bit-equal to fp32",
    )
    p.add_argument("--csv", action="store_true", help="also write _predictions.csv, input order")
    p.add_argument(
        "--standardize",
        action="store_true",
        help="score each molecule's largest fragment, neutralised (recorded in scored_smiles); "
        "off by default: training does not standardise",
    )
    p.add_argument(
        "--export", choices=("onnx",), help="export the students (every seed) instead of scoring"
    )
    p.add_argument(
        "--object-store-mb",
        type=int,
        default=1024,
        help="object store of a local Ray (bounds memory while streaming)",
    )
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument(
        "-v", "--verbose", action="store_true", help="Ray's, Ray Data's and the workers' output too"
    )
    return p.parse_args(argv)


@exits_cleanly
def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_logging(args.quiet)
    from gallon.artifacts import describe_model, load_model

    # Fails early, before Ray, on a wrong path; the driver reads JSON only and leaves torch and
    # the weights to the workers (torch would cost the driver ~0.2 GB for nothing).
    members = describe_model(args.model)
    output = Path(args.output)
    if args.export:
        from gallon.screen.export import check_exportable, export_onnx
        from gallon.screen.output import prepare_output

        loaded = load_model(args.model)
        check_exportable(loaded)  # refusals come before a previous export is replaced
        output = prepare_output(output, args.overwrite, keep=[args.model])
        for path in export_onnx(loaded, output):
            print(f"exported {path}")
        return 0
    if not args.input:
        raise InputError("--input is required unless --export is given.")
    if args.batch_size <= 0:
        raise InputError("--batch-size must be positive.")
    if args.precision != "fp32":
        from gallon.screen.predict import Scorer

        # the scorer refuses bf16 for GNNs; building one here says so before Ray starts
        Scorer.from_path(args.model, precision=args.precision)
    from gallon.screen.library import check_library
    from gallon.screen.output import RAY_LOG, prepare_output

    # the library's columns are checked before any previous output is replaced
    kind, files = check_library(args.input, args.smiles_column, args.id_column)
    output = prepare_output(output, args.overwrite, keep=[args.input, args.model])  # before Ray
    shown = not args.quiet and sys.stderr.isatty()  # a bar on a terminal, else the summary
    # as run_all: without -v, on a local Ray, Ray's and the actors' own output goes to a file
    output.mkdir(parents=True, exist_ok=True)
    restore = divert_unless_verbose(output / RAY_LOG, args.verbose)
    try:
        summary = _score(args, output, kind, files, len(members), shown)
    finally:
        restore()
    print(json.dumps(summary))
    return 0


def _score(args, output: Path, kind: str, files: list[Path], members: int, shown: bool) -> dict:
    """Stream the library through the scoring actors into `output`; returns the summary."""
    import ray.data

    from gallon.cli import terminal
    from gallon.screen.library import open_library, write_predictions
    from gallon.screen.output import SUMMARY
    from gallon.screen.progress import RemoteCounter, ScreenProgress, count_rows

    if not ray.is_initialized():
        if os.environ.get("RAY_ADDRESS"):
            ray.init()
        else:
            # no dashboard: screening needs none, and it costs ~0.2 GB (PSS of an idle local Ray:
            # 753 MB with it, 535 MB without)
            ray.init(
                object_store_memory=args.object_store_mb * 1024**2,
                include_dashboard=False,
                log_to_driver=args.verbose or diverted(),  # to _ray.log
                logging_level=logging.INFO if args.verbose else logging.WARNING,
            )
        if not args.verbose:
            from gallon.cli import quiet_ray

            quiet_ray()
    workers = args.workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
    counter = RemoteCounter() if shown else None
    ds = open_library(
        args.input, args.smiles_column, args.id_column, workers, checked=(kind, files)
    )
    ds = ds.map_batches(
        ScreenBatch,
        fn_constructor_kwargs={
            "model": str(Path(args.model).resolve()),
            "precision": args.precision,
            "standardize": args.standardize,
            "counter": counter.handle if counter else None,
        },
        batch_size=args.batch_size,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=workers),
    )
    total = count_rows(kind, files) if shown else None  # not in the rate's time
    started = time.perf_counter()
    with ScreenProgress(total, counter, terminal(), shown):
        write_predictions(ds, output, workers)
    seconds = time.perf_counter() - started
    if not any(output.glob("*.parquet")):  # no shard: no row was written
        raise InputError(f"library {args.input} has no rows to score.")
    summary = _summary(output, seconds, members, workers)
    summary["options"] = {
        "precision": args.precision,
        "standardize": "largest fragment, neutralised (RDKit rdMolStandardize)"
        if args.standardize
        else None,
        "id_column": args.id_column,
    }
    if args.csv:
        from gallon.screen.output import write_csv

        summary["csv"] = str(write_csv(output))
    (output / SUMMARY).write_text(json.dumps(summary, indent=2))  # '_': not a shard
    return summary


def _summary(output: Path, seconds: float, members: int, workers: int) -> dict:
    import pyarrow.compute as pc
    import pyarrow.dataset as pads

    table = pads.dataset(str(output), format="parquet").to_table(columns=["error"])
    errors = int(pc.sum(pc.is_valid(table.column("error")).cast("int64")).as_py() or 0)
    rows = table.num_rows
    return {
        "rows": rows,
        "predicted": rows - errors,
        "errors": errors,
        "models": members,
        "workers": workers,
        "seconds": round(seconds, 2),
        "molecules_per_second": round(rows / seconds, 1) if seconds else None,
    }


if __name__ == "__main__":
    sys.exit(main())
