"""Report figures (matplotlib, Agg): learning curves, ROC or parity plot, model comparison bars."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import roc_curve  # noqa: E402


def seed_band(histories: list[list[dict]], key: str) -> tuple[np.ndarray, ...]:
    """One value per epoch across seeds: (epochs, mean, min, max), NaN where no seed has it
    (seeds stop at different epochs); `key` is a history field such as "val_rmse"."""
    length = max((len(h) for h in histories), default=0)
    grid = np.full((len(histories), length), np.nan)
    for i, history in enumerate(histories):
        for j, record in enumerate(history):
            grid[i, j] = record.get(key, np.nan)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an epoch no seed reached
        return (np.arange(1, length + 1), np.nanmean(grid, 0), np.nanmin(grid, 0),
                np.nanmax(grid, 0))  # fmt: skip


def learning_curves(histories: dict[str, list[list[dict]]], metric: str, path: Path) -> Path:
    """Supervised train loss and validation metric per epoch: per model the mean over seeds,
    shaded from the lowest to the highest seed. The loss is the supervised part for every
    model (a student's distillation terms are not in it), so the curves compare."""
    fig, (ax_loss, ax_val) = plt.subplots(1, 2, figsize=(10, 3.6))
    for color, (role, runs) in zip(plt.cm.tab10.colors, histories.items()):
        loss_key = "train_sup" if any("train_sup" in r for h in runs for r in h) else "train_loss"
        for ax, key in ((ax_loss, loss_key), (ax_val, f"val_{metric}")):
            epochs, mean, lo, hi = seed_band(runs, key)
            ax.plot(epochs, mean, color=color, label=role)
            if len(runs) > 1:
                ax.fill_between(epochs, lo, hi, color=color, alpha=0.2, lw=0)
    ax_loss.set(xlabel="epoch", ylabel="train loss (supervised part)", yscale="log")
    ax_val.set(xlabel="epoch", ylabel=f"validation {metric}")
    ax_val.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def roc_or_parity(
    task: str, y: np.ndarray, preds: dict[str, np.ndarray], targets: list[str], path: Path
) -> Path:
    """Test-set ROC curves (classification, first task) or parity plot (regression)."""
    fig, ax = plt.subplots(figsize=(4.6, 4.4))
    mask = ~np.isnan(y[:, 0])
    if task == "classification":
        for role, p in preds.items():
            if len(np.unique(y[mask, 0])) > 1:
                fpr, tpr, _ = roc_curve(y[mask, 0], p[mask, 0])
                ax.plot(fpr, tpr, label=role)
        ax.plot([0, 1], [0, 1], "k:", lw=0.8)
        ax.set(
            xlabel="false positive rate", ylabel="true positive rate", title=f"ROC, {targets[0]}"
        )
    else:
        for role, p in preds.items():
            ax.scatter(y[mask, 0], p[mask, 0], s=8, alpha=0.6, label=role)
        lo, hi = np.nanmin(y[mask, 0]), np.nanmax(y[mask, 0])
        ax.plot([lo, hi], [lo, hi], "k:", lw=0.8)
        ax.set(xlabel="measured", ylabel="predicted", title=f"parity, {targets[0][:40]}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def comparison_bars(models: dict[str, Any], metric: str, path: Path) -> Path:
    """Test metric per model: bars at the mean ± std over seeds, a dot per seed."""
    fig, ax = plt.subplots(figsize=(1.3 * len(models) + 2, 3.4))
    names = list(models)
    means = [models[n]["test"]["mean"] for n in names]
    stds = [models[n]["test"]["std"] for n in names]
    ax.bar(names, means, yerr=stds, capsize=4, color=plt.cm.tab10.colors[: len(names)])
    seeds = [models[n]["test"].get("per_seed") or [] for n in names]
    for i, values in enumerate(seeds):  # each seed as a dot: the spread, not only its std
        ax.scatter([i] * len(values), values, color="k", s=10, zorder=3)
    lo = min([m - s for m, s in zip(means, stds)] + [v for vs in seeds for v in vs])
    hi = max([m + s for m, s in zip(means, stds)] + [v for vs in seeds for v in vs])
    pad = 0.15 * (hi - lo) + 1e-3
    ax.set_ylim(max(0.0, lo - pad), hi + pad)
    ax.set(ylabel=f"test {metric}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def sweep_scatter(table, keys: list[str], metric: str, path: Path) -> Path:
    """Validation metric of each finished trial against each of `keys` (e.g. alpha and beta);
    weight axes are symmetric-log so that 0 (teacher off) is shown."""
    keys = [k for k in keys if k in table.columns]
    fig, axes = plt.subplots(1, len(keys), figsize=(4.2 * len(keys), 3.4), squeeze=False)
    done = table[table["best_val"].notna()]
    for ax, key in zip(axes[0], keys):
        stopped = done["status"] != "finished"
        for mask, label, marker in ((~stopped, "finished", "o"), (stopped, "stopped early", "x")):
            ax.scatter(done[key][mask], done["best_val"][mask], label=label, marker=marker)
        ax.set_xscale("symlog", linthresh=1e-3)
        ax.set(xlabel=key, ylabel=f"val {metric}")
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
