"""Explain molecules with a self-hosted LLM (vLLM) on Ray Data; cached and resumable.

    python jobs/explain.py --dataset bbbp                     # SmolLM2 on local CPUs
    python jobs/explain.py --dataset bbbp --set explain.backend=openai \
        --set explain.url=http://127.0.0.1:8000/v1 --set explain.model=my-model
    python jobs/explain.py --config jobs/configs/gpu.yaml     # a vision-language model on GPUs

Writes <run>/explanations.parquet, errors.parquet, report.md and run.log (without -v, vLLM's and
Ray's own output goes to ray.log); a second run asks nothing.
"""

from __future__ import annotations

import json
import logging
import sys

import pyarrow as pa

from gallon.cli import (
    base_parser,
    config_from_args,
    divert_unless_verbose,
    diverted,
    exits_cleanly,
    init_ray,
    log_to_file,
    run_folder,
    setup_logging,
)
from gallon.config import dump_yaml
from gallon.data.prepare import prepare, write_prepared
from gallon.explain.stage import explain_molecules, report_section
from gallon.io import write_json, write_table, write_text

logger = logging.getLogger("gallon.explain")


@exits_cleanly
def main(argv: list[str] | None = None) -> int:
    args = base_parser(__doc__.splitlines()[0]).parse_args(argv)
    setup_logging(args.quiet)
    cfg = config_from_args(args)
    prepared = prepare(cfg.data, None)  # input checks before Ray; explaining needs no split
    out = run_folder(cfg, f"{prepared.info.name}-explain")
    log_to_file(out / "run.log")
    write_text(dump_yaml(cfg), out / "config.yaml")
    write_prepared(prepared, None, out)

    # as run_all: without -v, on a local Ray, vLLM's and Ray's own output goes to ray.log
    restore = divert_unless_verbose(out / "ray.log", args.verbose)
    try:
        init_ray(cfg, args.verbose, relay_workers=args.verbose or diverted())
        info = prepared.info
        table, errors, stats = explain_molecules(
            prepared.molecules, info.name, list(info.targets), info.task, cfg.explain
        )
    finally:
        restore()
    write_table(table, out / "explanations.parquet")
    write_table(pa.concat_tables([prepared.errors, errors]), out / "errors.parquet")
    write_json(stats.as_dict(), out / "explain_stats.json")
    write_text(
        f"# gallon explanations: {info.name}\n\n{report_section(table, stats)}\n", out / "report.md"
    )
    print(json.dumps(stats.as_dict()))
    print(f"run folder: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
