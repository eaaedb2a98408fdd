"""Screening throughput and memory: parse-only ceiling, student, GNN teacher, chemprop.

    python jobs/bench_screen.py --run runs/bench/bbbp [--size 1000000] [--subset 100000]

Builds a library of `--size` distinct randomised SMILES of the bundled molecules (cached), then
runs each measurement as its own process (a fresh local Ray each, so memory is not shared):
parse-only through the same Ray Data stream (the ceiling), the student end to end (jobs/screen.py)
with 2 and 1 workers, one seed's student alone (fp32, and bf16 on the subset), the GNN teacher
(3 seeds and one) end to end and chemprop v2's predict (.venv-chemprop, one model) on the first
`--subset` molecules. Peak RSS and PSS are summed over each command's process tree, and the PSS
of each process at the peak is kept in results.json.
Writes <out>/results.json and prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHEMPROP = ROOT / ".venv-chemprop" / "bin" / "chemprop"


def parse_only(library: str, output: str, workers: int) -> int:
    """The parse-only pipeline (read → parse → write), for the ceiling."""
    import ray.data

    from gallon.screen.bench import ParseOnly
    from gallon.screen.library import open_library, write_predictions
    from gallon.screen.udf import BATCH_SIZE

    # the same local Ray as jobs/screen.py's
    ray.init(num_cpus=workers, object_store_memory=1024**3, include_dashboard=False)
    started = time.perf_counter()
    ds = open_library(library, workers=workers).map_batches(
        ParseOnly,
        batch_size=BATCH_SIZE,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=workers),
    )
    write_predictions(ds, output, workers)
    print(json.dumps({"seconds": round(time.perf_counter() - started, 2)}))
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--run", type=Path, required=True, help="a run folder with student/ and gnn/")
    p.add_argument("--size", type=int, default=1_000_000)
    p.add_argument("--subset", type=int, default=100_000, help="molecules for GNN and chemprop")
    p.add_argument("--out", type=Path, default=Path("runs/bench-screen"))
    p.add_argument("--skip", default="", help="comma-separated steps to skip")
    p.add_argument("--parse-only", nargs=3, metavar=("LIB", "OUT", "W"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.parse_only:
        return parse_only(args.parse_only[0], args.parse_only[1], int(args.parse_only[2]))

    import pyarrow.parquet as pq

    from gallon.measure import run_measured
    from gallon.screen.bench import build_library

    out, py, skip = args.out.resolve(), sys.executable, set(args.skip.split(","))
    t0 = time.perf_counter()
    library = build_library(args.size, out / f"library_{args.size}.parquet")
    subset = out / f"library_{args.subset}.parquet"
    if not subset.exists():
        pq.write_table(pq.read_table(library).slice(0, args.subset), subset)
    print(f"library: {args.size} SMILES ({time.perf_counter() - t0:.0f} s)", flush=True)
    full, sub = (str(library), args.size), (str(subset), args.subset)

    def screen(lib: tuple[str, int], model: str, name: str, workers: int, *extra: str):
        cmd = [py, str(ROOT / "jobs" / "screen.py"), "-q", "--input", lib[0]]
        cmd += ["--model", str(args.run / model), "--output", str(out / name)]
        return [*cmd, "--workers", str(workers), *extra], lib[1]

    parse = [py, __file__, "--run", str(args.run), "--parse-only", str(library)]
    steps = {
        "parse_2w": ([*parse, str(out / "parse"), "2"], args.size),
        "student_2w": screen(full, "student", "student", 2),
        "student1_2w": screen(full, "student/seed_0", "student1", 2),
        "student1_2w_subset": screen(sub, "student/seed_0", "student1_s", 2),
        "student1_2w_bf16": screen(sub, "student/seed_0", "s1bf16", 2, "--precision", "bf16"),
        "student_1w": screen(sub, "student", "student_1w", 1),
        "student_2w_subset": screen(sub, "student", "student_2ws", 2),
        "gnn_2w": screen(sub, "gnn", "gnn", 2),
        "gnn1_2w": screen(sub, "gnn/seed_0", "gnn1", 2),
    }
    models = sorted((args.run / "chemprop").rglob("best*.pt")) if CHEMPROP.exists() else []
    if models:
        csv = out / f"library_{args.subset}.csv"
        pq.read_table(subset).to_pandas().to_csv(csv, index=False)
        steps["chemprop"] = (
            [
                str(CHEMPROP),
                "predict",
                "-i",
                str(csv),
                "-s",
                "smiles",
                "-o",
                str(out / "chemprop_preds.csv"),
                "--model-paths",
                str(models[0]),
                "--num-workers",
                "0",
            ],
            args.subset,
        )
    results = {}
    for name, (cmd, n) in steps.items():
        if name in skip:
            continue
        m = run_measured(cmd, out / "logs" / f"{name}.log")
        results[name] = {
            "molecules": n,
            "seconds": m.seconds,
            "per_second": round(n / m.seconds),
            "peak_rss_mb": m.peak_rss_mb,
            "peak_pss_mb": m.peak_pss_mb,
            "peak_process_mb": m.peak_process_mb,
            "returncode": m.returncode,
            "pss_at_peak_by_process": m.at_peak,
        }
        print(name, {k: v for k, v in results[name].items() if "by_process" not in k}, flush=True)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    print(
        "| step | molecules | seconds | molecules/s | peak RSS (tree), MB | peak PSS (tree), MB "
        "| largest process, MB |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(
            f"| {name} | {r['molecules']} | {r['seconds']} | {r['per_second']} | "
            f"{r['peak_rss_mb']} | {r['peak_pss_mb']} | {r['peak_process_mb']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
