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
