"""Retrain only the student on a finished run's teachers, with other distillation settings.

    python jobs/retrain_student.py runs/bench/esol --seed 0 --out runs/try/t10k \
        --set distill.transfer=10000
    python jobs/retrain_student.py runs/bench/esol --seed 0 --out runs/try/mean --teacher-mean

The run's molecules, split, features and GNN teacher (models and predictions) are copied into
`--out`; the student is trained there in-process (no Ray Train) with the run's config plus the
`--set` overrides. `--teacher-mean` distils from the mean of every GNN seed's outputs (labelled
and transfer molecules) instead of the same seed's. Prints validation and test metric; the run
folder is never modified. Experiments behind docs/benchmarks.md ("what was tried").
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from gallon.cli import exits_cleanly, setup_logging
from gallon.config.loader import load_config
from gallon.errors import InputError
from gallon.pipeline import prepare_inputs
from gallon.roles import ROLES
from gallon.train.loop import fit_local
from gallon.train.stage import train_role, transfer_scores
from gallon.train.teacher_mean import mean_outputs

COPIED = ("molecules.parquet", "splits.json", "dataset.json", "features", "features.json",
          "student_features", "errors.parquet", "config.yaml", "gnn")  # fmt: skip


def _use_teacher_mean(src: Path, ctx, seed: int) -> None:
    """Replace the seed's GNN outputs (labelled and transfer molecules) by all seeds' mean."""
    paths = sorted((src / "predictions" / "gnn").glob("seed_*.parquet"))
    seeds = [int(p.stem.split("_")[1]) for p in paths]
    own = src / "predictions" / "gnn" / f"seed_{seed}.parquet"
    mean_outputs(paths, ctx.predictions_path("gnn", seed), embedding_from=own)
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
    p.add_argument("--set", action="append", default=[], dest="overrides", metavar="KEY=VALUE")
    args = p.parse_args(argv)
    setup_logging()
    src, out = args.run.resolve(), args.out.resolve()
    if not (src / "predictions" / "gnn" / f"seed_{args.seed}.parquet").is_file():
        raise InputError(f"{src} has no GNN teacher for seed {args.seed}.")
    if out.exists():
        raise InputError(f"{out} exists; choose a new --out folder.")
    for name in COPIED:
        if (src / name).is_dir():
            shutil.copytree(src / name, out / name)
        elif (src / name).exists():
            out.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src / name, out / name)
    shutil.copytree(src / "predictions" / "gnn", out / "predictions" / "gnn")
    fixed = [f"run.out={out}", "run.reuse=false", "run.roles=[gnn,student]",
             f"run.seeds=[{args.seed}]"]  # fmt: skip
    cfg = load_config([src / "config.yaml"], [*args.overrides, *fixed])
    started = time.perf_counter()
    ctx = prepare_inputs(cfg, out).ctx
    if args.teacher_mean:
        _use_teacher_mean(src, ctx, args.seed)
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
