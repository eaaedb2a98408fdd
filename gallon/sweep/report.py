"""The sweep's entry in metrics.json and its section of report.md."""

from __future__ import annotations

from typing import Any

from gallon.config.schema import Config
from gallon.sweep.runner import SweepResult


def sweep_summary(result: SweepResult, best: dict[str, Any], cfg: Config) -> dict[str, Any]:
    counts = result.table["status"].value_counts().to_dict()
    return {
        "trials": len(result.table),
        "status": {str(k): int(v) for k, v in counts.items()},
        "search": cfg.sweep.search,
        "scheduler": cfg.sweep.scheduler,
        "teacher_seed": cfg.sweep.seed,
        "best_params": best,
        "best_val": float(result.table["best_val"].iloc[0]),
        "sweep_seconds": round(result.wall_seconds, 1),
    }


def sweep_section(metrics: dict[str, Any]) -> str:
    s, models, metric = metrics["sweep"], metrics["models"], metrics["metric"]

    def test(role: str) -> str:
        t = models[role]["test"]
        return f"{t['mean']:.4f} ± {t['std']:.4f}"

    status = ", ".join(f"{n} {k}" for k, n in sorted(s["status"].items()))
    lines = [
        "## Sweep",
        "",
        f"{s['trials']} trials ({status}), {s['search']} search, scheduler {s['scheduler']}, "
        f"{s['sweep_seconds']} s; trials distil from the teachers of seed {s['teacher_seed']} "
        f"and are ranked on validation {metric} only.",
        "",
        "| parameter | best |",
        "|---|---|",
        *[
            f"| {k} | {v:g} |" if isinstance(v, float) else f"| {k} | {v} |"
            for k, v in s["best_params"].items()
        ],
        "",
        f"Best trial: val {metric} {s['best_val']:.4f}. Test {metric} over seeds "
        f"{', '.join(map(str, metrics['seeds']))}, computed once after the search: "
        f"default student {test('student')}, tuned student {test('student_tuned')}.",
        "",
        "![sweep](sweep/sweep.png)",
        "",
        "Every trial: [sweep/results.csv](sweep/results.csv); the winner as a config: "
        "[sweep/best.yaml](sweep/best.yaml) (`run_all.py --params sweep/best.yaml`).",
    ]
    return "\n".join(lines)
