from gallon.evaluation.ablation import ablation_table


def _run(metric: str, **val: tuple[float, float]) -> dict:
    """A metrics.json with validation (mean, std) per role; test = validation - 0.1."""
    models = {
        role: {
            "val": {"mean": m, "std": s},
            "test": {"mean": m - 0.1, "std": s},
        }
        for role, (m, s) in val.items()
    }
    return {"dataset": "bbbp", "metric": metric, "models": models}


def test_verdicts_are_on_validation_and_need_a_gap_beyond_the_spread():
    full = _run(
        "roc_auc",
        lm=(0.90, 0.01),
        mlp=(0.80, 0.01),
        student_gnn=(0.85, 0.01),  # +0.05 over the MLP: win
        student_lm=(0.805, 0.01),  # +0.005: tie
        student=(0.86, 0.02),  # +0.01 over the GNN-only student, spread 0.02: tie
    )
    runs = {
        "smiles": full,
        "lm_smiles_only": _run("roc_auc", lm=(0.95, 0.01), student=(0.86, 0.01)),
        "rdkit_facts": _run("roc_auc", lm=(0.95, 0.02), student=(0.86, 0.01)),
        "bonds": _run("roc_auc", lm=(0.90, 0.01), student=(0.87, 0.001)),
    }
    rows = ablation_table(runs, "0,1,2").splitlines()

    def row(variant: str, model: str) -> str:
        (hit,) = [r for r in rows if f"| {variant} | {model} |" in r]
        return hit

    assert "0.850 ± 0.010 | 0.750 ± 0.010 | yes (win) against none" in row("GNN", "student_gnn")
    assert "tie (0.005 < 0.010) against none" in row("LM", "student_lm")
    assert "tie (0.010 < 0.020) against GNN" in row("GNN + LM", "student")
    assert row("none (plain MLP)", "mlp").endswith("|  |")  # the reference: no verdict
    assert "no against SMILES only" in row("SMILES + LLM explanation", "lm")
    assert "tie (0.000 < 0.020) against SMILES only" in row(
        "SMILES + RDKit facts (not an LLM)", "lm"
    )
    assert "tie (0.010 < 0.020) against SMILES" in row("explanation: + bond list", "student")
    assert any("+ image | not run" in r and "--with-image" in r for r in rows)


def test_lower_is_better_for_rmse_and_lm_only_has_no_students():
    runs = {
        "smiles": _run("rmse", lm=(1.00, 0.01)),
        "lm_smiles_only": _run("rmse", lm=(0.90, 0.01)),
        "rdkit_facts": _run("rmse", lm=(0.80, 0.01)),
    }
    text = ablation_table(runs, "0", lm_only=True)
    assert "student" not in text.replace("students", "")
    assert (
        "| SMILES + RDKit facts (not an LLM) | lm | 0.800 ± 0.010 | 0.700 ± 0.010 | yes (win)"
        in text
    )
    assert "| SMILES + LLM explanation | lm | 1.000 ± 0.010 | 0.900 ± 0.010 | no against" in text
