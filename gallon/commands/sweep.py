"""Search the distilled student's settings with Ray Tune; teachers are trained once, before.

python jobs/sweep.py --dataset bbbp --trials 50                # random search + ASHA
python jobs/sweep.py --dataset esol --set sweep.search=optuna  # TPE (pip install -e '.[tune]')
python jobs/sweep.py --out runs/sweep-bbbp --resume            # continue an interrupted sweep
python jobs/run_all.py --dataset bbbp --params runs/sweep-bbbp/sweep/best.yaml

Writes <out>/sweep/{results.csv, best.yaml, sweep.png}, and trains the best configuration on
every run seed beside the default student (the test split is read only then): metrics.json and
report.md as run_all.py writes them, with a `student_tuned` row and a sweep section.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
import time

from gallon.cli import base_parser, config_from_args, exits_cleanly, setup_logging
from gallon.evaluation.summary import format_table
from gallon.io import write_text
from gallon.pipeline import finish_run, prepare_inputs
from gallon.report.plots import sweep_scatter
from gallon.roles import ROLES, ordered, training_order
from gallon.sweep.report import sweep_section, sweep_summary
from gallon.sweep.runner import run_sweep
from gallon.sweep.space import apply_params, best_yaml, check_space, relevant_space
from gallon.train.stage import train_role

logger = logging.getLogger("gallon.sweep")
EXIT_INTERRUPTED = 130


@exits_cleanly
def main(argv: list[str] | None = None) -> int:
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, help="number of trials (sweep.trials)")
    p.add_argument("--resume", action="store_true", help="continue the sweep in --out")
    args = p.parse_args(argv)
    if args.trials is not None:
        args.overrides = [f"sweep.trials={args.trials}", *args.overrides]
    setup_logging(args.quiet)
    cfg = relevant_space(config_from_args(args))
    check_space(cfg)  # before Ray: every key and value of the space type-checks
    started = time.perf_counter()
    inputs = prepare_inputs(cfg)
    ctx, out, info = inputs.ctx, inputs.out, inputs.ctx.info
    ctx.cfg = cfg = relevant_space(ctx.cfg, info.task)  # ctx.cfg: task-type defaults filled in
    swept = ROLES[cfg.sweep.role]
    if swept.name == "student":
        teachers = [r for r in ordered(cfg.run.roles) if r.name in ("lm", "gnn")]
        # the trials distil from these outputs (every seed's, when the students distil from
        # their mean); nothing retrains them
        mean = cfg.distill.teacher_seeds == "mean"
        for role in teachers:
            for seed in cfg.run.seeds if mean else [cfg.sweep.seed]:
                train_role(role, seed, ctx)

    store = ctx.storage()
    tune_root = store.uri(out.name, "sweep") if store else out / "sweep"
    result = run_sweep(ctx, swept, tune_root, resume=args.resume)
    (out / "sweep").mkdir(exist_ok=True)
    result.table.to_csv(out / "sweep" / "results.csv", index=False)
    if not result.finished:
        print(
            f"sweep interrupted after {int((result.table['status'] != 'not run').sum())} of "
            f"{result.requested} trials; continue with: --out {out} --resume"
        )
        return EXIT_INTERRUPTED
    keys = list(cfg.sweep.space)
    best = result.best_params(keys)
    write_text(
        best_yaml(
            best,
            f"best of {len(result.table)} trials on validation ({info.metric}), "
            f"dataset {info.name}, teachers' seed {cfg.sweep.seed}",
        ),
        out / "sweep" / "best.yaml",
    )
    sweep_scatter(
        result.table, ["distill.alpha", "distill.beta"], info.metric, out / "sweep" / "sweep.png"
    )

    # Honest selection: the test metric of the winner is computed once, now, over every seed.
    tuned = dataclasses.replace(swept, name=f"{swept.name}_tuned")
    tuned_ctx = dataclasses.replace(ctx, cfg=apply_params(cfg, best), _data={})
    # the default configuration of the swept role is the baseline
    roles = ordered((*cfg.run.roles, swept.name))
    runs = [train_role(role, seed, ctx) for role, seed in training_order(cfg, roles)]
    runs += [train_role(tuned, seed, tuned_ctx) for seed in cfg.run.seeds]
    metrics = finish_run(
        inputs,
        runs,
        started,
        extra={"sweep": sweep_summary(result, best, cfg)},
        sections=[sweep_section],
    )
    print(result.table.head(10).to_string(index=False))
    print(format_table(metrics))
    print(f"best.yaml: {out / 'sweep' / 'best.yaml'}  ({metrics['wall_seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
