"""Run GALLON end to end: prepare → featurize → explain → LM and GNN teachers → MLP → student.

python jobs/run_all.py                       # BBBP on a local Ray, default config
python jobs/run_all.py --dataset esol --seeds 0,1,2
python jobs/run_all.py --dataset my.csv --smiles-column smi --targets y --task regression
python jobs/run_all.py --set run.roles=[gnn,mlp,student]     # no LLM, no LM teacher
ray job submit --working-dir . -- python jobs/run_all.py --config jobs/configs/gpu.yaml
"""

from __future__ import annotations

import logging
import sys
import time

import pyarrow as pa

from gallon.cli import (
    base_parser,
    config_from_args,
    exits_cleanly,
    init_ray,
    run_folder,
    setup_logging,
)
from gallon.config import dump_yaml
from gallon.data.prepare import prepare, write_prepared
from gallon.evaluation.summary import format_table, summarize_runs
from gallon.features.stage import featurize
from gallon.io import write_json, write_table, write_text
from gallon.lm.stage import EXPLANATIONS
from gallon.report.markdown import write_report
from gallon.roles import ordered
from gallon.train.stage import RunContext, train_role

logger = logging.getLogger("gallon.run_all")


@exits_cleanly
def main(argv: list[str] | None = None) -> int:
    args = base_parser(__doc__.splitlines()[0]).parse_args(argv)
    setup_logging(args.quiet)
    cfg = config_from_args(args)
    started = time.perf_counter()
    prepared = prepare(cfg.data, cfg.split)  # all input checks happen here, before Ray
    out = run_folder(cfg, prepared.info.name)
    write_text(dump_yaml(cfg), out / "config.yaml")
    write_prepared(prepared, cfg.split, out)

    init_ray(cfg)
    f, info = cfg.features, prepared.info
    features = featurize(out / "molecules.parquet", out, f.atoms, f.batch_size, f.concurrency)
    errors, sections = [prepared.errors, features.errors], []
    if "lm" in cfg.run.roles:
        from gallon.explain.stage import explain_molecules, report_section

        table, explain_errors, stats = explain_molecules(
            prepared.molecules, info.name, list(info.targets), info.task, cfg.explain
        )
        write_table(table, out / EXPLANATIONS)
        write_json(stats.as_dict(), out / "explain_stats.json")
        errors.append(explain_errors)
        sections.append(report_section(table, stats))
    errors = pa.concat_tables(errors)
    write_table(errors, out / "errors.parquet")

    ctx = RunContext(cfg, out, info, features, prepared.splits)
    roles = ordered(cfg.run.roles)
    runs = [train_role(role, seed, ctx) for seed in cfg.run.seeds for role in roles]

    metrics = summarize_runs(
        runs,
        info.to_dict(),
        {"method": cfg.split.method, **prepared.splits},
        n_molecules=prepared.molecules.num_rows - features.errors.num_rows,
        n_rejected=len(errors),
        seeds=list(cfg.run.seeds),
    )
    metrics["wall_seconds"] = round(time.perf_counter() - started, 1)
    write_json(metrics, out / "metrics.json")
    write_report(out, metrics, sections)
    print(
        f"\n{info.name} ({metrics['task']}, {metrics['split']} split, "
        f"{metrics['n_molecules']} molecules, {metrics['n_rejected']} rejected)"
    )
    print(format_table(metrics))
    print(f"run folder: {out}  ({metrics['wall_seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
