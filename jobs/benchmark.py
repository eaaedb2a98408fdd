"""Benchmark the foundation pipeline over several datasets and print a Markdown results table.

    python jobs/benchmark.py --datasets bbbp,bace,esol,freesolv,lipophilicity --seeds 0,1,2 \
        --out runs/bench

Each dataset is a full `run_all.py` run (same config and flags; one shared local Ray); the table
lands in <out>/summary.md and on stdout (copy it into docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run_all  # noqa: E402  (the job we benchmark)

ROLES = ("gnn", "mlp", "student")


def _cell(entry: dict) -> str:
    return f"{entry['mean']:.3f} ± {entry['std']:.3f}"


def table(results: dict[str, tuple[dict, float]]) -> str:
    head = [
        "dataset",
        "metric",
        "GNN teacher",
        "plain MLP",
        "student",
        "student − MLP",
        "student vs GNN",
        "wall",
    ]
    lines = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for name, (m, wall) in results.items():
        models, higher = m["models"], m["metric"] == "roc_auc"
        g, p, s = (models[r]["test"]["mean"] for r in ROLES)
        gain = (s - p) if higher else (p - s)  # positive = student better
        vs = f"{s - g:+.3f}" if higher else f"{100 * (s - g) / g:+.1f} %"
        lines.append(
            f"| {name} | {m['metric']} {'↑' if higher else '↓'} | {_cell(models['gnn']['test'])} | "
            f"{_cell(models['mlp']['test'])} | {_cell(models['student']['test'])} | "
            f"{gain:+.3f} | {vs} | {wall / 60:.1f} min |"
        )
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", default="bbbp,bace,esol,freesolv,lipophilicity")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--out", default="runs/bench")
    p.add_argument("--set", action="append", default=[], dest="overrides")
    p.add_argument("--config", action="append", default=[])
    args = p.parse_args()
    results = {}
    for name in args.datasets.split(","):
        out = Path(args.out) / name
        argv = ["--dataset", name, "--seeds", args.seeds, "--out", str(out), "--quiet"]
        argv += [f"--config={c}" for c in args.config] + [f"--set={o}" for o in args.overrides]
        started = time.perf_counter()
        if run_all.main(argv) != 0:
            return 1
        metrics = json.loads((out / "metrics.json").read_text())
        results[name] = (metrics, time.perf_counter() - started)
    text = table(results)
    host = f"{platform.machine()}, {__import__('os').cpu_count()} CPUs"
    summary = f"Test set, mean ± std over seeds {args.seeds} ({host}).\n\n{text}\n"
    (Path(args.out) / "summary.md").write_text(summary)
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
