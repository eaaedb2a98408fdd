"""Stage `evaluate`: per-seed model metrics → the run's `metrics.json` structure."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from gallon.evaluation.metrics import summarize
from gallon.train.stage import ModelRun

EXTRA = {"classification": ("pr_auc",), "regression": ("mae", "r2")}
PER_TASK = {"classification": ("roc_auc", "pr_auc"), "regression": ("rmse",)}


def summarize_runs(
    runs: list[ModelRun],
    info: dict[str, Any],
    splits: dict[str, Any],
    n_molecules: int,
    n_rejected: int,
    seeds: list[int],
) -> dict[str, Any]:
    """{"dataset", "task", "metric", "split", "n_molecules", "n_rejected", "seeds", "models"}.

    models[role][split] = {"mean", "std", "per_seed"} of the primary metric; extra metrics
    (PR-AUC for classification, MAE and R² for regression) sit under
    models[role]["extra"][split][name], and each target's under
    models[role]["per_task"][split][target][name] (ROC-AUC and PR-AUC, or RMSE).
    """
    metric, task = info["metric"], info["task"]
    by_role: dict[str, list[ModelRun]] = defaultdict(list)
    for run in runs:
        by_role[run.role].append(run)
    models: dict[str, Any] = {}
    for role, role_runs in by_role.items():
        role_runs.sort(key=lambda r: r.seed)
        entry: dict[str, Any] = {
            "seeds": [r.seed for r in role_runs],
            "parameters": role_runs[0].parameters,
        }
        for split in ("val", "test"):
            entry[split] = summarize([r.metrics[split][metric] for r in role_runs])
        entry["extra"] = {
            split: {m: summarize([r.metrics[split][m] for r in role_runs]) for m in EXTRA[task]}
            for split in ("val", "test")
        }
        entry["per_task"] = {
            split: {
                target: {
                    m: summarize([r.metrics[split][f"{m}_per_task"][t] for r in role_runs])
                    for m in PER_TASK[task]
                }
                for t, target in enumerate(info["targets"])
            }
            for split in ("val", "test")
        }
        skipped = role_runs[0].metrics["test"].get("skipped_tasks") or []
        if skipped:
            entry["skipped_test_tasks"] = [info["targets"][t] for t in skipped]
        entry["epochs"] = [r.summary.get("epochs_run") for r in role_runs]
        models[role] = entry
    return {
        "dataset": info["name"],
        "task": task,
        "metric": metric,
        "split": splits["method"],
        "split_sizes": {k: len(splits[k]) for k in ("train", "val", "test")},
        "targets": list(info["targets"]),
        "n_molecules": n_molecules,
        "n_rejected": n_rejected,
        "seeds": seeds,
        "models": models,
    }


def format_table(metrics: dict[str, Any]) -> str:
    """A fixed-width summary table for the console."""
    metric = metrics["metric"]
    lines = [f"{'model':<16}{'val ' + metric:>22}{'test ' + metric:>22}{'params':>10}"]
    for role, m in metrics["models"].items():
        val, test = m["val"], m["test"]
        lines.append(
            f"{role:<16}{val['mean']:>14.4f} ± {val['std']:.4f}{test['mean']:>14.4f} ± "
            f"{test['std']:.4f}{m['parameters']:>10}"
        )
    return "\n".join(lines)
