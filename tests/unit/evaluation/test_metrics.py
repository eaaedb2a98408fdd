import math

import numpy as np

from gallon.evaluation.metrics import evaluate, is_better, summarize, to_predictions


def test_roc_auc_masks_and_skips_single_class_tasks():
    y = np.array([[1, 0, np.nan], [0, 0, 1], [1, np.nan, 1], [0, 0, np.nan]], dtype=float)
    p = np.array([[0.9, 0.1, 0.2], [0.2, 0.3, 0.4], [0.4, 0.5, 0.6], [0.3, 0.2, 0.1]])
    m = evaluate("classification", y, p)
    assert m["roc_auc_per_task"][0] == 1.0
    assert m["skipped_tasks"] == [1, 2]  # task 1 all 0, task 2 all 1
    assert m["roc_auc"] == 1.0


def test_regression_metrics_by_hand():
    y = np.array([[1.0], [2.0], [3.0], [np.nan]])
    p = np.array([[1.5], [2.0], [2.0], [100.0]])
    m = evaluate("regression", y, p)
    assert math.isclose(m["rmse"], math.sqrt((0.25 + 0 + 1) / 3))
    assert math.isclose(m["mae"], 1.5 / 3)
    assert math.isclose(m["r2"], 1 - 1.25 / 2.0)


def test_predictions_and_helpers():
    assert np.allclose(to_predictions(np.array([[0.0]]), "classification"), 0.5)
    assert np.allclose(
        to_predictions(np.array([[1.0]]), "regression", np.array([2.0]), np.array([3.0])), 5.0
    )
    assert (
        is_better("roc_auc", 0.8, 0.7)
        and is_better("rmse", 0.7, 0.8)
        and is_better("rmse", 1.0, None)
    )
    assert not is_better("rmse", float("nan"), 1.0)
    s = summarize([1.0, 2.0, 3.0])
    assert s == {"mean": 2.0, "std": 1.0, "per_seed": [1.0, 2.0, 3.0]}
    assert summarize([0.5])["std"] == 0.0


def test_pr_auc_by_hand_and_per_task_summary_in_metrics_json():
    from gallon.evaluation.summary import summarize_runs
    from gallon.train.stage import ModelRun

    y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]], dtype=float)
    p = np.array([[0.9, 0.2], [0.8, 0.6], [0.7, 0.1], [0.1, 0.3]])
    m = evaluate("classification", y, p)
    # task 0 ranks 1, 0, 1, 0: precision 1 at the first positive, 2/3 at the second
    assert math.isclose(m["pr_auc_per_task"][0], (1.0 + 2 / 3) / 2)
    assert math.isclose(m["roc_auc_per_task"][0], 0.75)
    runs = [ModelRun("gnn", s, {"val": m, "test": m}, {"epochs_run": 1}, 10) for s in (0, 1)]
    splits = {"method": "scaffold", "train": [0], "val": [1], "test": [2]}
    info = {"name": "x", "task": "classification", "metric": "roc_auc", "targets": ["a", "b"]}
    out = summarize_runs(runs, info, splits, 4, 0, [0, 1])["models"]["gnn"]
    assert out["per_task"]["test"]["a"]["roc_auc"]["per_seed"] == [0.75, 0.75]
    assert set(out["per_task"]["val"]) == {"a", "b"}
    assert math.isclose(out["extra"]["test"]["pr_auc"]["mean"], m["pr_auc"])


def test_a_regression_target_without_labels_keeps_its_position():
    y = np.array([[1.0, np.nan], [2.0, np.nan]])
    m = evaluate("regression", y, np.array([[1.0, 0.0], [3.0, 0.0]]))
    assert math.isnan(m["rmse_per_task"][1]) and math.isclose(m["rmse"], math.sqrt(0.5))
