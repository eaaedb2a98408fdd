"""Metrics over (molecules × tasks) arrays with NaN for missing labels.

Classification: ROC-AUC and PR-AUC (average precision, which shows what ROC-AUC hides on
imbalanced sets such as HIV) per task, averaged over tasks; a task with one class (or no labels)
in the evaluated split is skipped and named in `skipped_tasks`. Regression: RMSE (primary), MAE and
R², per task then averaged.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

PRIMARY = {"classification": "roc_auc", "regression": "rmse"}
HIGHER_IS_BETTER = {"roc_auc": True, "rmse": False, "loss": False}


def to_predictions(
    out: np.ndarray, task: str, mean: np.ndarray | None = None, std: np.ndarray | None = None
) -> np.ndarray:
    """Raw model outputs (N, T) → probabilities (classification) or target units (regression)."""
    if task == "classification":
        return expit(out)
    return out * std + mean if mean is not None else out


def classification_metrics(y: np.ndarray, prob: np.ndarray) -> dict:
    # here, not at the top: scoring workers import this module too
    from sklearn.metrics import average_precision_score, roc_auc_score

    aucs, pr, skipped = [], [], []
    for t in range(y.shape[1]):
        mask = ~np.isnan(y[:, t])
        labels = y[mask, t]
        if len(np.unique(labels)) < 2:
            skipped.append(t)
            aucs.append(float("nan"))
            pr.append(float("nan"))
            continue
        aucs.append(float(roc_auc_score(labels, prob[mask, t])))
        pr.append(float(average_precision_score(labels, prob[mask, t])))  # PR-AUC

    def mean(values: list[float]) -> float:
        valid = [v for v in values if not np.isnan(v)]
        return float(np.mean(valid)) if valid else float("nan")

    return {
        "roc_auc": mean(aucs),
        "pr_auc": mean(pr),
        "roc_auc_per_task": aucs,
        "pr_auc_per_task": pr,
        "skipped_tasks": skipped,
    }


def regression_metrics(y: np.ndarray, pred: np.ndarray) -> dict:
    rmse, mae, r2 = [], [], []
    for t in range(y.shape[1]):
        mask = ~np.isnan(y[:, t])
        if not mask.any():  # no label of this target in the split: NaN keeps the positions
            rmse.append(float("nan"))
            mae.append(float("nan"))
            r2.append(float("nan"))
            continue
        err = pred[mask, t] - y[mask, t]
        rmse.append(float(np.sqrt(np.mean(err**2))))
        mae.append(float(np.mean(np.abs(err))))
        ss_tot = float(np.sum((y[mask, t] - y[mask, t].mean()) ** 2))
        r2.append(1.0 - float(np.sum(err**2)) / ss_tot if ss_tot > 0 else float("nan"))

    def mean(values: list[float]) -> float:
        valid = [v for v in values if not np.isnan(v)]
        return float(np.mean(valid)) if valid else float("nan")

    return {"rmse": mean(rmse), "mae": mean(mae), "r2": mean(r2), "rmse_per_task": rmse}


def evaluate(task: str, y: np.ndarray, pred: np.ndarray) -> dict:
    """All metrics for one split; `pred` are probabilities or target-unit values (N, T)."""
    if task == "classification":
        return classification_metrics(y, pred)
    return regression_metrics(y, pred)


def is_better(metric: str, new: float, old: float | None) -> bool:
    if old is None or np.isnan(old):
        return not np.isnan(new)
    if np.isnan(new):
        return False
    return new > old if HIGHER_IS_BETTER[metric] else new < old


def summarize(values: list[float]) -> dict:
    """{'mean', 'std', 'per_seed'} with the sample standard deviation (0 for one seed)."""
    arr = np.asarray(values, dtype=float)
    std = float(np.std(arr, ddof=1)) if len(arr) > 1 else 0.0
    return {"mean": float(np.mean(arr)), "std": std, "per_seed": [float(v) for v in arr]}
