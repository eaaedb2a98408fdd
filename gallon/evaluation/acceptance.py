"""The accuracy issue's acceptance checks, with the seeds' spread deciding wins and ties.

Each check compares two summaries ({"mean", "std", ...} as `metrics.summarize` writes them) of
one metric over the same seeds. A difference counts only when it exceeds the spread: the larger
of the two sample standard deviations. Tolerance checks ("within 5 % RMSE / 0.01 ROC-AUC") pass
on the means, and say "tie" when they fail by less than the spread.
"""

from __future__ import annotations

from typing import Any

Summary = dict[str, Any]


def spread(a: Summary, b: Summary) -> float:
    """The larger of the two standard deviations over seeds."""
    return max(float(a.get("std", 0.0)), float(b.get("std", 0.0)))


def better_than(a: Summary, b: Summary, higher: bool) -> str:
    """'yes (win)' when a beats b by more than the spread, 'no' when b beats a by more, else
    'tie (gap < spread)'."""
    gap = (a["mean"] - b["mean"]) if higher else (b["mean"] - a["mean"])
    s = spread(a, b)
    if gap > s:
        return "yes (win)"
    if -gap > s:
        return "no"
    return f"tie ({abs(gap):.3f} < {s:.3f})"


def within(a: Summary, ref: Summary, higher: bool, rmse_ratio: float, auc_margin: float) -> str:
    """Whether a is within the tolerance of ref (or better): RMSE ≤ rmse_ratio × ref, ROC-AUC ≥
    ref − auc_margin. 'yes (+x %)' / 'yes (−0.00x)' when met, 'tie' when missed by less than
    the spread, 'no' otherwise."""
    if higher:
        limit, note = ref["mean"] - auc_margin, f"{a['mean'] - ref['mean']:+.3f}"
        miss = limit - a["mean"]
    else:
        limit, note = rmse_ratio * ref["mean"], f"{100 * (a['mean'] / ref['mean'] - 1):+.1f} %"
        miss = a["mean"] - limit
    if miss <= 0:
        return f"yes ({note})"
    s = spread(a, ref)
    return f"tie ({note}; misses by {miss:.3f} < {s:.3f})" if miss <= s else f"no ({note})"


def checks(models: dict[str, Summary], chemprop: Summary | None, higher: bool) -> dict[str, str]:
    """The four acceptance checks of one dataset, from test summaries keyed by role.

    models: {"gnn", "mlp", "student"[, "lm"]} → test summary; chemprop: its test summary or None.
    The student's best teacher is whichever teacher's test mean is better (the stricter check).
    """
    out: dict[str, str] = {}
    gnn, mlp, student = models.get("gnn"), models.get("mlp"), models.get("student")
    if gnn and chemprop:
        out["gnn_vs_chemprop"] = within(gnn, chemprop, higher, 1.02, 0.01)
    if student and mlp:
        out["student_vs_mlp"] = better_than(student, mlp, higher)
    teachers = [models[r] for r in ("gnn", "lm") if models.get(r)]
    if student and teachers:
        pick = max if higher else min
        best = pick(teachers, key=lambda t: t["mean"])
        out["student_vs_teacher"] = within(student, best, higher, 1.05, 0.01)
    if student and chemprop:
        out["student_vs_chemprop"] = within(student, chemprop, higher, 1.05, 0.01)
    return out
