"""The ablation table of `jobs/ablate.py`: one row per model of each variant, judged on validation.

`runs` maps a variant's name to its run's metrics.json (as `gallon.evaluation.summary` writes
it): `smiles` (the whole method, explanation from SMILES), `lm_smiles_only` (LM teacher on the
SMILES line), `rdkit_facts` (LM teacher on RDKit's facts, not an LLM) and, when run, `bonds`
(explanation from SMILES + bond list) and `image`. Each row shows validation and test and a
verdict on validation against its reference, a win only when the gap exceeds the larger of the
two spreads over seeds (`acceptance.better_than`); test is shown, never judged.
"""

from __future__ import annotations

from typing import Any

from gallon.evaluation.acceptance import better_than
from gallon.evaluation.metrics import HIGHER_IS_BETTER

Metrics = dict[str, Any]

# what each single-teacher student is judged against, in the whole-method run
STUDENTS = (
    ("mlp", "none (plain MLP)", None),
    ("student_gnn", "GNN", ("none", "mlp")),
    ("student_lm", "LM", ("none", "mlp")),
    ("student", "GNN + LM", ("GNN", "student_gnn")),
)
LM_INPUTS = (
    ("lm_smiles_only", "SMILES line only"),
    ("smiles", "SMILES + LLM explanation"),
    ("rdkit_facts", "SMILES + RDKit facts (not an LLM)"),
)
EXPLANATION_INPUTS = (
    ("smiles", "explanation: SMILES"),
    ("bonds", "explanation: + bond list"),
    ("image", "explanation: + image"),
)


def _summary(m: Metrics, role: str, split: str) -> str:
    s = m["models"][role][split]
    return f"{s['mean']:.3f} ± {s['std']:.3f}"


def _row(what: str, variant: str, m: Metrics, role: str, against: tuple[str, dict] | None) -> str:
    verdict = ""
    if against is not None:
        judged = better_than(m["models"][role]["val"], against[1], HIGHER_IS_BETTER[m["metric"]])
        verdict = f"{judged} against {against[0]}"
    val, test = _summary(m, role, "val"), _summary(m, role, "test")
    return f"| {what} | {variant} | {role} | {val} | {test} | {verdict} |"


def ablation_table(runs: dict[str, Metrics], seeds: str, lm_only: bool = False) -> str:
    """Markdown: the students' teachers (unless `lm_only`), the LM teacher's input, and the
    explanation's inputs (the variants in `runs`; the LM teacher and GALLON's student each)."""
    full = runs["smiles"]
    rows = [
        f"Dataset {full['dataset']}, {full['metric']}, mean ± std over seeds {seeds}; verdicts "
        "on validation, a win only when the gap exceeds the larger spread over seeds.",
        "",
        "| ablation | variant | model | validation | test | verdict (validation) |",
        "|---|---|---|---|---|---|",
    ]
    if not lm_only:
        for role, label, ref in STUDENTS:
            against = None if ref is None else (ref[0], full["models"][ref[1]]["val"])
            rows.append(_row("student distilled from", label, full, role, against))
    models = ("lm",) if lm_only else ("lm", "student")
    reference = runs["lm_smiles_only"]
    for name, label in LM_INPUTS:
        for role in models:
            vs = (
                None
                if name == "lm_smiles_only"
                else ("SMILES only", reference["models"][role]["val"])
            )
            rows.append(_row("LM teacher input", label, runs[name], role, vs))
    if lm_only:
        rows.append("| explanation inputs | + bond list, + image | not run | | | --lm-only |")
        return "\n".join(rows) + "\n"
    for name, label in EXPLANATION_INPUTS:
        if name not in runs:
            why = "needs a vision-language model (--with-image)" if name == "image" else ""
            rows.append(f"| explanation inputs | {label} | not run | | | {why} |")
            continue
        for role in models:
            vs = None if name == "smiles" else ("SMILES", full["models"][role]["val"])
            rows.append(_row("explanation inputs", label, runs[name], role, vs))
    return "\n".join(rows) + "\n"
