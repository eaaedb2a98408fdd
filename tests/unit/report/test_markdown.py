"""report.md shows every seed and every target, not only seed 0 and the first task."""

from gallon.report.markdown import per_seed_table, per_task_table


def _entry(values):
    return {"mean": sum(values) / len(values), "std": 0.0, "per_seed": values}


METRICS = {
    "metric": "roc_auc",
    "seeds": [0, 1, 2],
    "targets": ["FDA_APPROVED", "CT_TOX"],
    "models": {
        "gnn": {
            "seeds": [0, 1, 2],
            "test": _entry([0.81, 0.82, 0.83]),
            "per_task": {
                "test": {
                    "FDA_APPROVED": {"roc_auc": _entry([0.7]), "pr_auc": _entry([0.9])},
                    "CT_TOX": {"roc_auc": _entry([0.8]), "pr_auc": _entry([0.3])},
                }
            },
        }
    },
}


def test_every_seed_has_a_column():
    head, _, row = per_seed_table(METRICS)
    assert head == "| model | seed 0 | seed 1 | seed 2 |"
    assert row == "| gnn | 0.8100 | 0.8200 | 0.8300 |"


def test_every_target_has_its_metrics():
    head, _, row = per_task_table(METRICS)
    assert "CT_TOX pr_auc" in head and "FDA_APPROVED roc_auc" in head
    assert "0.3000 ± 0.0000" in row and row.count("±") == 4


def test_learning_curves_span_every_seed_even_when_they_stop_at_different_epochs():
    from gallon.report.plots import seed_band

    runs = [
        [{"val_rmse": 1.0}, {"val_rmse": 0.8}, {"val_rmse": 0.7}],
        [{"val_rmse": 1.2}, {"val_rmse": 0.6}],  # stopped early
    ]
    epochs, mean, lo, hi = seed_band(runs, "val_rmse")
    assert epochs.tolist() == [1, 2, 3]
    assert mean.tolist() == [1.1, 0.7, 0.7] and lo.tolist() == [1.0, 0.6, 0.7]
    assert hi.tolist() == [1.2, 0.8, 0.7]
