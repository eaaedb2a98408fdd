"""Screening throughput and memory: parse-only ceiling, student, GNN teacher, chemprop.

    python jobs/bench_screen.py --run runs/bench/bbbp [--size 1000000] [--subset 100000]
    python jobs/bench_screen.py --student S --gnn G --chemprop-model best.pt --also-student S2

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


def _steps(args, out: Path, full: tuple[str, int], sub: tuple[str, int]) -> dict:
    """name → (command, molecules); `--steps` picks some."""
    py = sys.executable

    def screen(lib: tuple[str, int], model: Path, name: str, workers: int, *extra: str):
        cmd = [py, str(ROOT / "jobs" / "screen.py"), "-q", "--input", lib[0]]
        cmd += ["--model", str(model), "--output", str(out / name)]
        return [*cmd, "--workers", str(workers), *extra], lib[1]

    student, gnn = args.student or args.run / "student", args.gnn or args.run / "gnn"
    parse = [py, __file__, "--parse-only"]
    steps = {
        "parse_2w": ([*parse, full[0], str(out / "parse"), "2"], full[1]),
        "parse_2w_subset": ([*parse, sub[0], str(out / "parse_s"), "2"], sub[1]),
        "student_2w": screen(full, student, "student", 2),
        "student1_2w": screen(full, _one(student), "student1", 2),
        "student1_2w_subset": screen(sub, _one(student), "student1_s", 2),
        "student1_2w_bf16": screen(sub, _one(student), "s1bf16", 2, "--precision", "bf16"),
        "student_1w": screen(sub, student, "student_1w", 1),
        "student_2w_subset": screen(sub, student, "student_2ws", 2),
        "gnn_2w": screen(sub, gnn, "gnn", 2),
        "gnn1_2w": screen(sub, _one(gnn), "gnn1", 2),
    }
    for i, other in enumerate(args.also_student):  # another student (e.g. another featurizer)
        steps[f"also{i}_1_2w"] = screen(full, _one(other), f"also{i}", 2)
        steps[f"also{i}_1_2w_subset"] = screen(sub, _one(other), f"also{i}_s", 2)
    chemprop = args.chemprop_model
    if chemprop is None and args.run is not None and CHEMPROP.exists():
        chemprop = next(iter(sorted((args.run / "chemprop").rglob("best*.pt"))), None)
    if chemprop is not None:
        csv = out / f"library_{sub[1]}.csv"
        if not csv.exists():
            import pyarrow.parquet as pq

            pq.read_table(sub[0]).to_pandas().to_csv(csv, index=False)
        cmd = [str(CHEMPROP), "predict", "-i", str(csv), "-s", "smiles"]
        cmd += ["-o", str(out / "chemprop_preds.csv"), "--model-paths", str(chemprop)]
        steps["chemprop"] = ([*cmd, "--num-workers", "0"], sub[1])
    return steps


def _one(model: Path) -> Path:
    """One member of a model folder (its first seed), or the artifact itself."""
    from gallon.artifacts import find_artifacts

    return find_artifacts(model)[0]


def _ratios(results: dict) -> list[str]:
    """The issue's acceptance ratios, from the steps that ran (molecules/s by command time)."""
    rate = {k: v["per_second"] for k, v in results.items() if v["returncode"] == 0}
    lines = []
    pairs = [
        ("student1_2w", "parse_2w", "student / parse-only, whole library (≥ 0.5)"),
        ("student1_2w_subset", "parse_2w_subset", "student / parse-only, subset (≥ 0.5)"),
        ("student1_2w_subset", "gnn1_2w", "student / GNN teacher, subset (≥ 3)"),
        ("student1_2w_subset", "chemprop", "student / chemprop predict, subset (≥ 10)"),
    ]
    for name in rate:  # other students, as the first
        if name.startswith("also"):
            full = not name.endswith("_subset")
            pairs.append((name, "parse_2w" if full else "parse_2w_subset", f"{name} / parse-only"))
            if not full:
                pairs.append((name, "gnn1_2w", f"{name} / GNN teacher"))
                pairs.append((name, "chemprop", f"{name} / chemprop predict"))
    for a, b, what in pairs:
        if a in rate and b in rate:
            lines.append(f"- {what}: {rate[a] / rate[b]:.2f}")
    if "student_2w" in results:
        lines.append(
            f"- 3-model student, whole library: {results['student_2w']['peak_pss_mb']} MB PSS"
        )
    return lines


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--run", type=Path, help="a run folder with student/ and gnn/ (chemprop/)")
    p.add_argument("--student", type=Path, help="student model folder (default: <run>/student)")
    p.add_argument("--gnn", type=Path, help="GNN model folder (default: <run>/gnn)")
    p.add_argument(
        "--also-student", type=Path, action="append", default=[],
        help="another student, one model on the subset (repeatable)",
    )  # fmt: skip
    p.add_argument("--chemprop-model", type=Path, help="a chemprop .pt (default: <run>/chemprop)")
    p.add_argument("--size", type=int, default=1_000_000)
    p.add_argument("--subset", type=int, default=100_000, help="molecules for GNN and chemprop")
    p.add_argument("--out", type=Path, default=Path("runs/bench-screen"))
    p.add_argument("--steps", default="", help="comma-separated steps to run (default: all)")
    p.add_argument("--skip", default="", help="comma-separated steps to skip")
    p.add_argument("--parse-only", nargs=3, metavar=("LIB", "OUT", "W"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.parse_only:
        return parse_only(args.parse_only[0], args.parse_only[1], int(args.parse_only[2]))
    if args.run is None and (args.student is None or args.gnn is None):
        p.error("give --run, or --student and --gnn")

    import pyarrow.parquet as pq

    from gallon.measure import run_measured
    from gallon.screen.bench import build_library

    out, skip = args.out.resolve(), set(args.skip.split(","))
    t0 = time.perf_counter()
    library = build_library(args.size, out / f"library_{args.size}.parquet")
    subset = out / f"library_{args.subset}.parquet"
    if not subset.exists():
        pq.write_table(pq.read_table(library).slice(0, args.subset), subset)
    print(f"library: {args.size} SMILES ({time.perf_counter() - t0:.0f} s)", flush=True)
    steps = _steps(args, out, (str(library), args.size), (str(subset), args.subset))
    wanted = set(filter(None, args.steps.split(","))) or set(steps)
    results = {}
    for name, (cmd, n) in steps.items():
        if name in skip or name not in wanted:
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
    print("\n".join(_ratios(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
