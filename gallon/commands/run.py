"""Run GALLON end to end: prepare → featurize → explain → LM and GNN teachers → MLP → student.

python jobs/run_all.py                       # BBBP on a local Ray, default config
python jobs/run_all.py --dataset esol --seeds 0,1,2
python jobs/run_all.py --dataset my.csv --smiles-column smi --targets y --task regression
python jobs/run_all.py --set run.roles=[gnn,mlp,student]     # no LLM, no LM teacher
ray job submit --working-dir . -- python jobs/run_all.py --config jobs/configs/gpu.yaml
python jobs/run_all.py --dataset bbbp --params runs/sweep-bbbp/sweep/best.yaml   # tuned student
"""

from __future__ import annotations

import logging
import sys
import time

from gallon.cli import base_parser, config_from_args, exits_cleanly, setup_logging
from gallon.evaluation.summary import format_table
from gallon.pipeline import finish_run, prepare_inputs
from gallon.roles import training_order
from gallon.train.stage import train_role

logger = logging.getLogger("gallon.run_all")


@exits_cleanly
def main(argv: list[str] | None = None) -> int:
    args = base_parser(__doc__.splitlines()[0]).parse_args(argv)
    # the progress display says what runs; every log line still goes to the run's run.log
    setup_logging(args.quiet, logging.INFO if args.verbose else logging.WARNING)
    cfg = config_from_args(args)
    started = time.perf_counter()
    inputs = prepare_inputs(cfg, progress=not args.quiet, verbose=args.verbose)
    ctx, out, info = inputs.ctx, inputs.out, inputs.ctx.info
    runs = []
    try:
        for role, seed in training_order(cfg):
            with inputs.progress.step(f"{role.name} seed {seed}"):
                runs.append(train_role(role, seed, ctx))
    finally:
        inputs.close()

    metrics = finish_run(inputs, runs, started)
    print(
        f"\n{info.name} ({metrics['task']}, {metrics['split']} split, "
        f"{metrics['n_molecules']} molecules, {metrics['n_rejected']} rejected)"
    )
    print(format_table(metrics))
    print(f"run folder: {out}  ({metrics['wall_seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
