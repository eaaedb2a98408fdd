"""Acceptance checks: a gap counts only beyond the seeds' spread."""

from gallon.evaluation.acceptance import better_than, checks, within


def met(mark: str) -> bool:
    """A check counts as met when it says yes (a tie is not a pass)."""
    return mark.startswith("yes")


def s(mean: float, std: float) -> dict:
    return {"mean": mean, "std": std}


def test_better_than_needs_a_gap_beyond_the_spread():
    assert better_than(s(0.80, 0.01), s(0.90, 0.02), higher=False) == "yes (win)"
    assert better_than(s(0.90, 0.01), s(0.80, 0.02), higher=False) == "no"
    assert better_than(s(0.85, 0.01), s(0.86, 0.02), higher=False).startswith("tie")
    assert better_than(s(0.70, 0.01), s(0.65, 0.02), higher=True) == "yes (win)"
    assert better_than(s(0.70, 0.06), s(0.65, 0.02), higher=True).startswith("tie")


def test_within_tolerance_for_rmse_and_auc():
    assert within(s(1.04, 0.0), s(1.0, 0.0), False, 1.05, 0.01).startswith("yes (+4.0 %")
    assert within(s(1.10, 0.01), s(1.0, 0.01), False, 1.05, 0.01).startswith("no")
    # misses the 5 % line by 0.02, less than the spread 0.03: a tie, not a pass
    mark = within(s(1.07, 0.03), s(1.0, 0.01), False, 1.05, 0.01)
    assert mark.startswith("tie") and not met(mark)
    assert met(within(s(0.745, 0.0), s(0.75, 0.0), True, 1.05, 0.01))
    assert within(s(0.70, 0.0), s(0.75, 0.0), True, 1.05, 0.01).startswith("no")


def test_checks_pick_the_stronger_teacher():
    models = {
        "gnn": s(0.80, 0.01),
        "lm": s(0.70, 0.01),
        "mlp": s(1.0, 0.01),
        "student": s(0.76, 0.01),
    }
    marks = checks(models, s(0.82, 0.01), higher=False)
    assert met(marks["gnn_vs_chemprop"]) and marks["student_vs_mlp"] == "yes (win)"
    assert marks["student_vs_teacher"].startswith("no")  # 0.76 is 8.6 % above the LM's 0.70
    assert met(marks["student_vs_chemprop"])
    assert "gnn_vs_chemprop" not in checks(models, None, higher=False)
