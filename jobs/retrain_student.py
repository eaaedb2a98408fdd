"""Retrain only the student on a finished run's teachers, with other distillation settings.

    python jobs/retrain_student.py runs/bench/esol --seed 0 --out runs/try/t10k \
        --set distill.transfer=10000
    python jobs/retrain_student.py runs/bench/esol --seed 0 --out runs/try/mean --teacher-mean
    python jobs/retrain_student.py runs/bench/esol --seed 0 --out runs/try/t1 --teacher-threads 1

The run's molecules, split, features and GNN teacher (models and predictions) are copied into
`--out`; the student is trained there in-process (no Ray Train) with the run's config plus the
`--set` overrides. `--teacher-mean` distils from the mean of every GNN seed's outputs (labelled
and transfer molecules) instead of the same seed's. `--teacher-threads N` first rewrites the
copied GNN outputs as a driver predicting at N torch threads would have written them (their last
bits depend on it). Prints validation and test metric; the run
folder is never modified. Experiments behind docs/benchmarks.md ("what was tried").
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from gallon.artifacts import load_artifact
from gallon.cli import exits_cleanly, setup_logging
from gallon.config.loader import load_config
from gallon.errors import InputError
from gallon.io import copy_run_parts, read_table, write_table
from gallon.pipeline import prepare_inputs
from gallon.roles import ROLES
from gallon.train.loop import fit_local
from gallon.train.spec import WorkerSpec
from gallon.train.stage import train_role, transfer_scores
from gallon.train.tasks import get_task, predict
from gallon.train.teacher_mean import mean_outputs

COPIED = ("molecules.parquet", "splits.json", "dataset.json", "features", "features.json",
          "student_features", "errors.parquet", "config.yaml", "gnn")  # fmt: skip


def _rewrite_teacher_outputs(ctx, threads: int) -> None:
    """Every copied GNN seed's `output` and `embedding`, predicted again at `threads`."""
    for path in sorted((ctx.out / "predictions" / "gnn").glob("seed_*.parquet")):
        seed = int(path.stem.split("_")[1])
        typed = WorkerSpec.parse(ROLES["gnn"].spec(ctx, seed))
        data = ctx.dataset(typed)
        model = load_artifact(ctx.out / "gnn" / f"seed_{seed}").model
        out, h = predict(get_task(typed.kind), model, data, threads=threads)
        table = read_table(path)  # written in the dataset's row order, as train_role writes it
        if table.column("row").to_pylist() != list(data.rows):
            raise InputError(f"{path} scores other molecules than the run's dataset.")
        before = np.asarray(table.column("output").to_pylist(), dtype=np.float32)
        changed = int((before != out.astype(np.float32)).any(axis=1).sum())
        print(f"gnn seed {seed} at {threads} threads: {changed} of {len(before)} outputs changed")
        for name, values in (("output", out), ("embedding", h)):
            column = pa.array(values.astype(np.float32).tolist(), pa.list_(pa.float32()))
            table = table.set_column(table.schema.get_field_index(name), name, column)
        write_table(table, path)


def _use_teacher_mean(ctx, seed: int) -> None:
    """Replace the seed's GNN outputs (labelled and transfer molecules) by all seeds' mean."""
    paths = sorted((ctx.out / "predictions" / "gnn").glob("seed_*.parquet"))
    seeds = [int(p.stem.split("_")[1]) for p in paths]
    own = ctx.predictions_path("gnn", seed)
    mean_outputs(paths, own, embedding_from=own)  # each table is read before `own` is written
    if ctx.transfer is not None:
        scored = [transfer_scores(ctx, "gnn", s) for s in seeds]
        mean = mean_outputs(scored, scored[0].with_name("mean.parquet"))
        shutil.copy2(mean, ctx.transfer.predictions(ctx.out, "gnn", seed))


@exits_cleanly
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run", type=Path, help="a finished run folder with a trained GNN teacher")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, required=True, help="new folder (must not exist)")
    p.add_argument("--teacher-mean", action="store_true", help="distil from all GNN seeds' mean")
    p.add_argument("--teacher-threads", type=int, help="predict the GNN outputs again at N threads")
    p.add_argument("--set", action="append", default=[], dest="overrides", metavar="KEY=VALUE")
    args = p.parse_args(argv)
    setup_logging()
    src, out = args.run.resolve(), args.out.resolve()
    if not (src / "predictions" / "gnn" / f"seed_{args.seed}.parquet").is_file():
        raise InputError(f"{src} has no GNN teacher for seed {args.seed}.")
    if out.exists():
        raise InputError(f"{out} exists; choose a new --out folder.")
    copy_run_parts(src, out, COPIED)
    shutil.copytree(src / "predictions" / "gnn", out / "predictions" / "gnn")
    fixed = [f"run.out={out}", "run.reuse=false", "run.roles=[gnn,student]",
             f"run.seeds=[{args.seed}]"]  # fmt: skip
    cfg = load_config([src / "config.yaml"], [*args.overrides, *fixed])
    started = time.perf_counter()
    ctx = prepare_inputs(cfg, out).ctx
    if args.teacher_threads:
        _rewrite_teacher_outputs(ctx, args.teacher_threads)
    if args.teacher_mean:
        _use_teacher_mean(ctx, args.seed)
    run = train_role(ROLES["student"], args.seed, ctx, fit_local)
    metric = ctx.info.metric
    print(
        f"student seed {args.seed}: val {metric} {run.metrics['val'][metric]:.4f}, "
        f"test {run.metrics['test'][metric]:.4f} (best epoch {run.summary['best_epoch']}, "
        f"{time.perf_counter() - started:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
