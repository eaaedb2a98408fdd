"""Benchmark gallon against chemprop v2 on the identical splits, several datasets, one command.

    make chemprop-venv          # once: chemprop 2.3.1 in .venv-chemprop
    python jobs/benchmark.py --datasets esol,freesolv,lipophilicity,bbbp,bace,clintox \
        --seeds 0,1,2 --out runs/bench

Each dataset is a full `run_all.py` run (same config and flags, `--set` overrides apply); the
split is written first, and chemprop (defaults, `--data-seed`/`--pytorch-seed` per seed) trains
on it in a thread beside gallon, each on one CPU (local Ray gets `run.num_cpus=1`), so the two
share the machine evenly. The table with the acceptance checks (a win or a miss counts only
beyond the seeds' spread: gallon.evaluation.acceptance) lands in <out>/summary.md;
`--render a/summary.json b/summary.json` prints one table from several such runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import threading
import time
from pathlib import Path

from gallon.commands import compare as compare_chemprop
from gallon.commands import run as run_all  # the job we benchmark
from gallon.evaluation import acceptance

ROLES = ("gnn", "mlp", "student")


def _cell(entry: dict | None) -> str:
    return "–" if not entry else f"{entry['mean']:.3f} ± {entry['std']:.3f}"


def table(results: dict[str, dict], split: str = "test") -> str:
    """The issue's acceptance table: means ± std on `split` (test, or val: the same checks as
    validation sees them, which is what gallon selects on), each decided by the seeds' spread."""
    head = ["dataset", "metric", "chemprop v2", "GNN teacher", "plain MLP", "student"]
    head += [
        "GNN ≤1.02× / ≥−0.01 chemprop",
        "student > MLP",
        "student ≈ teacher",
        "student ≈ chemprop",
    ]
    head += ["gallon wall", "chemprop wall"] if split == "test" else []
    lines = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for name, r in results.items():
        m, chem = r["metrics"], r.get("chemprop") or {}
        higher = m["metric"] == "roc_auc"
        scores = {role: entry[split] for role, entry in m["models"].items()}
        marks = acceptance.checks(scores, chem.get(split), higher)
        keys = ("gnn_vs_chemprop", "student_vs_mlp", "student_vs_teacher", "student_vs_chemprop")
        cells = [
            name,
            f"{m['metric']} {'↑' if higher else '↓'}",
            _cell(chem.get(split)),
            *(_cell(scores.get(role)) for role in ROLES),
            *(marks.get(k, "–") for k in keys),
        ]
        if split == "test":
            cells.append(f"{r['wall'] / 60:.1f} min")
            cells.append(f"{sum(chem['train_seconds']['per_seed']) / 60:.1f} min" if chem else "–")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary_text(results: dict[str, dict], seeds: str) -> str:
    host = f"{platform.machine()}, {os.cpu_count()} CPUs"
    return (
        f"Test set, mean ± std over seeds {seeds} ({host}).\n\n{table(results)}\n\n"
        f"The same checks on the validation set:\n\n{table(results, 'val')}\n"
    )


def _merge(paths: list[Path]) -> dict[str, dict]:
    """Earlier runs' summary.json files, with each dataset's chemprop summary re-read from its
    run folder (where `compare_chemprop.py --validation-only` may have added validation)."""
    merged: dict[str, dict] = {}
    for path in paths:
        for name, result in json.loads(path.read_text()).items():
            chem = path.parent / name / "chemprop" / "summary.json"
            if chem.is_file():
                result["chemprop"] = json.loads(chem.read_text())
            merged[name] = result
    return merged


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", default="esol,freesolv,lipophilicity,bbbp,bace,clintox")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--out", default="runs/bench")
    p.add_argument("--set", action="append", default=[], dest="overrides")
    p.add_argument("--config", action="append", default=[])
    p.add_argument("--no-chemprop", action="store_true", help="gallon only")
    p.add_argument("--chemprop", type=Path, default=compare_chemprop.DEFAULT_CHEMPROP)
    p.add_argument(
        "--render",
        nargs="+",
        type=Path,
        metavar="SUMMARY_JSON",
        help="train nothing: print one table from earlier runs' summary.json files",
    )
    args = p.parse_args()
    if args.render:
        merged = _merge(args.render)
        seeds = sorted({s for r in merged.values() for s in r["metrics"]["seeds"]})
        print(summary_text(merged, ",".join(map(str, seeds))))
        return 0
    # Ray starts its workers at nice 15; beside chemprop's thread (nice 0) gallon would get a
    # sliver of the CPU. Equal priority makes the side-by-side run fair (measured: 15 → 0).
    os.environ.setdefault("RAY_worker_niceness", "0")
    seeds = [int(s) for s in args.seeds.split(",")]
    with_chemprop = not args.no_chemprop
    if with_chemprop and not args.chemprop.exists():
        print(f"error: {args.chemprop} not found; run make chemprop-venv first.", file=sys.stderr)
        return 2
    results: dict[str, dict] = {}
    queue: list[Path] = []
    ready = threading.Condition()
    done_marker = Path("/")

    def chemprop_worker() -> None:
        while True:
            with ready:
                ready.wait_for(lambda: queue)
                run = queue.pop(0)
            if run == done_marker:
                return
            results[run.name]["chemprop"] = compare_chemprop.compare(run, seeds, args.chemprop)

    worker = threading.Thread(target=chemprop_worker, daemon=True)
    if with_chemprop:
        worker.start()
    for name in args.datasets.split(","):
        out = Path(args.out) / name
        argv = ["--dataset", name, "--seeds", args.seeds, "--out", str(out), "--quiet"]
        argv += [f"--config={c}" for c in args.config]
        argv += ["--set=run.num_cpus=1", "--set=features.concurrency=1"] if with_chemprop else []
        argv += [f"--set={o}" for o in args.overrides]
        results[name] = {}
        started = time.perf_counter()
        watcher = threading.Thread(target=_hand_over, args=(out, queue, ready), daemon=True)
        if with_chemprop:
            watcher.start()  # chemprop starts as soon as this run's split is written
        if run_all.main(argv) != 0:
            return 1
        results[name]["wall"] = time.perf_counter() - started
        results[name]["metrics"] = json.loads((out / "metrics.json").read_text())
    if with_chemprop:
        with ready:
            queue.append(done_marker)
            ready.notify_all()
        worker.join()
    summary = summary_text(results, args.seeds)
    (Path(args.out) / "summary.md").write_text(summary)
    (Path(args.out) / "summary.json").write_text(json.dumps(results, indent=1, default=str))
    print(summary)
    return 0


def _hand_over(out: Path, queue: list[Path], ready: threading.Condition) -> None:
    """Queue `out` for chemprop once run_all has written its split and molecules (dataset.json
    comes last; one left by an earlier run is older than this call)."""
    since = time.time()
    marker = out / "dataset.json"
    while not (marker.exists() and marker.stat().st_mtime >= since - 1):
        time.sleep(1.0)
    with ready:
        queue.append(out)
        ready.notify_all()


if __name__ == "__main__":
    sys.exit(main())
