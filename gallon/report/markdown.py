"""Stage `report`: metrics, errors and figures of a run → `report.md` (+ PNGs in figures/)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from gallon.io import read_json, read_table, write_text
from gallon.report import plots


def _fmt(entry: dict[str, float]) -> str:
    return f"{entry['mean']:.4f} ± {entry['std']:.4f}"


def results_table(metrics: dict[str, Any]) -> list[str]:
    metric = metrics["metric"]
    extra = sorted(
        {k for m in metrics["models"].values() for k in m.get("extra", {}).get("test", {})}
    )
    head = ["model", f"val {metric}", f"test {metric}", *[f"test {e}" for e in extra], "parameters"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for role, m in metrics["models"].items():
        cells = [role, _fmt(m["val"]), _fmt(m["test"])]
        cells += [_fmt(m["extra"]["test"][e]) for e in extra]
        cells.append(f"{m['parameters']:,}")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def per_seed_table(metrics: dict[str, Any]) -> list[str]:
    """Test metric of every model and seed (the spread behind each mean ± std)."""
    seeds = metrics["seeds"]
    head = ["model", *[f"seed {s}" for s in seeds]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for role, m in metrics["models"].items():
        by_seed = dict(zip(m["seeds"], m["test"]["per_seed"]))
        cells = [f"{by_seed[s]:.4f}" if s in by_seed else "–" for s in seeds]
        lines.append("| " + " | ".join([role, *cells]) + " |")
    return lines


def per_task_table(metrics: dict[str, Any]) -> list[str]:
    """Test metrics of every target (mean ± std over seeds), one row per model."""
    roles = [r for r, m in metrics["models"].items() if "per_task" in m]
    if not roles:
        return []
    names = list(next(iter(metrics["models"][roles[0]]["per_task"]["test"].values())))
    head = ["model", *[f"{t} {n}" for t in metrics["targets"] for n in names]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for role in roles:
        per = metrics["models"][role]["per_task"]["test"]
        cells = [_fmt(per[t][n]) for t in metrics["targets"] for n in names]
        lines.append("| " + " | ".join([role, *cells]) + " |")
    return lines


def error_summary(errors: pa.Table) -> list[str]:
    if len(errors) == 0:
        return ["No input row was rejected."]
    counts = Counter(zip(errors.column("stage").to_pylist(), errors.column("reason").to_pylist()))
    lines = [
        f"{len(errors)} rows were rejected (all listed in `errors.parquet`):",
        "",
        "| stage | reason | rows |",
        "|---|---|---|",
    ]
    for (stage, reason), n in counts.most_common(10):
        lines.append(f"| {stage} | {reason.replace('|', '/')} | {n} |")
    if len(counts) > 10:
        lines.append(f"| … | {len(counts) - 10} more reasons | |")
    return lines


def write_report(
    out: Path, metrics: dict[str, Any], extra_sections: list[str] | None = None
) -> Path:
    """Write report.md with a results table, figures, rejected rows and extra sections."""
    figures = out / "figures"
    figures.mkdir(exist_ok=True)
    metric, task, seed = metrics["metric"], metrics["task"], metrics["seeds"][0]
    roles = list(metrics["models"])
    histories = {
        r: [read_json(out / r / f"seed_{s}" / "history.json")["history"] for s in metrics["seeds"]]
        for r in roles
    }
    plots.learning_curves(histories, metric, figures / "learning_curves.png")
    preds, y = {}, None
    molecules = read_table(out / "molecules.parquet", ("row", "y"))
    label_of = dict(zip(molecules.column("row").to_pylist(), molecules.column("y").to_pylist()))
    for role in roles:
        table = read_table(
            out / "predictions" / role / f"seed_{seed}.parquet", ("row", "split", "prediction")
        )
        test = table.filter(pa.compute.equal(table.column("split"), "test"))
        preds[role] = np.asarray(test.column("prediction").to_pylist(), dtype=float)
        y = np.asarray([label_of[r] for r in test.column("row").to_pylist()], dtype=float)
    plots.roc_or_parity(task, y, preds, metrics["targets"], figures / "test_predictions.png")
    plots.comparison_bars(metrics["models"], metric, figures / "comparison.png")
    sizes = metrics["split_sizes"]
    lines = [
        f"# gallon run: {metrics['dataset']}",
        "",
        f"- task: {task} ({len(metrics['targets'])} target(s): {', '.join(metrics['targets'][:5])}"
        f"{' …' if len(metrics['targets']) > 5 else ''}); metric: {metric}",
        f"- molecules: {metrics['n_molecules']} used, {metrics['n_rejected']} rejected",
        f"- split: {metrics['split']}, train/val/test = "
        f"{sizes['train']}/{sizes['val']}/{sizes['test']}",
        f"- seeds: {', '.join(map(str, metrics['seeds']))} (mean ± sample std over seeds)",
        "",
        "## Results",
        "",
        *results_table(metrics),
        "",
        "Models are selected on validation only; test numbers are from the best-validation epoch.",
        "",
        f"Test {metric} per seed:",
        "",
        *per_seed_table(metrics),
        "",
        "Per target (test):",
        "",
        *per_task_table(metrics),
        "",
        "![comparison](figures/comparison.png)",
        "",
        "![learning curves](figures/learning_curves.png)  ",
        f"Learning curves: mean over seeds {', '.join(map(str, metrics['seeds']))}, shaded from "
        "the lowest to the highest seed; the loss is the supervised part for every model (the "
        "student's distillation terms are not in it).",
        "",
        "![test predictions](figures/test_predictions.png)  ",
        f"Test set, seed {seed}.",
        "",
        "## Rejected input",
        "",
        *error_summary(read_table(out / "errors.parquet")),
    ]
    skipped = {
        r: m["skipped_test_tasks"]
        for r, m in metrics["models"].items()
        if m.get("skipped_test_tasks")
    }
    if skipped:
        first = next(iter(skipped.values()))
        lines += [
            "",
            "Tasks with a single class in the test split (skipped in ROC-AUC): "
            f"{', '.join(first)}.",
        ]
    for section in extra_sections or []:
        lines += ["", section]
    return write_text("\n".join(lines) + "\n", out / "report.md")
