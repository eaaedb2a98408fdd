"""Metrics over (molecules × tasks) arrays with NaN for missing labels.

Classification: ROC-AUC per task, averaged over tasks; a task with one class (or no labels) in
the evaluated split is skipped and named in `skipped_tasks`. Regression: RMSE (primary), MAE and
R², per task then averaged.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

PRIMARY = {"classification": "roc_auc", "regression": "rmse"}
HIGHER_IS_BETTER = {"roc_auc": True, "rmse": False}


def to_predictions(
    out: np.ndarray, task: str, mean: np.ndarray | None = None, std: np.ndarray | None = None
) -> np.ndarray:
    """Raw model outputs (N, T) → probabilities (classification) or target units (regression)."""
    if task == "classification":
        return expit(out)
    return out * std + mean if mean is not None else out


def classification_metrics(y: np.ndarray, prob: np.ndarray) -> dict:
    from sklearn.metrics import roc_auc_score  # here: scoring workers import this module too

    aucs, skipped = [], []
    for t in range(y.shape[1]):
        mask = ~np.isnan(y[:, t])
        labels = y[mask, t]
        if len(np.unique(labels)) < 2:
            skipped.append(t)
            aucs.append(float("nan"))
            continue
        aucs.append(float(roc_auc_score(labels, prob[mask, t])))
    valid = [a for a in aucs if not np.isnan(a)]
    return {
        "roc_auc": float(np.mean(valid)) if valid else float("nan"),
        "roc_auc_per_task": aucs,
        "skipped_tasks": skipped,
    }


def regression_metrics(y: np.ndarray, pred: np.ndarray) -> dict:
    rmse, mae, r2 = [], [], []
    for t in range(y.shape[1]):
        mask = ~np.isnan(y[:, t])
        if not mask.any():
            continue
        err = pred[mask, t] - y[mask, t]
        rmse.append(float(np.sqrt(np.mean(err**2))))
        mae.append(float(np.mean(np.abs(err))))
        ss_tot = float(np.sum((y[mask, t] - y[mask, t].mean()) ** 2))
        r2.append(1.0 - float(np.sum(err**2)) / ss_tot if ss_tot > 0 else float("nan"))
    return {
        "rmse": float(np.mean(rmse)) if rmse else float("nan"),
        "mae": float(np.mean(mae)) if mae else float("nan"),
        "r2": float(np.nanmean(r2)) if r2 else float("nan"),
        "rmse_per_task": rmse,
    }


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
