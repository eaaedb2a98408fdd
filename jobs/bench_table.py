"""Collect finished run folders into the Markdown tables of docs/benchmarks.md.

    python jobs/bench_table.py runs/bench/{bbbp,bace,clintox,esol,freesolv,lipophilicity}

Test metric (mean ± std over seeds) of every model in each run's metrics.json, chemprop's when
jobs/compare_chemprop.py has written <run>/chemprop/summary.json, the run's wall time, parameter
counts, and the inference time per 1,000 molecules of the student and the GNN teacher (seed 0,
SMILES → prediction including RDKit parsing and featurisation, one CPU thread, best of 3).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ORDER = ("gnn", "lm", "mlp", "student_gnn", "student_lm", "student")


def _cell(entry: dict | None) -> str:
    if not entry:
        return "–"
    t = entry["test"]
    return f"{t['mean']:.3f} ± {t['std']:.3f}"


def inference_ms(model_dir: Path, smiles: list[str]) -> float:
    """Milliseconds to predict 1,000 molecules (best of 3) with the Scorer used for screening."""
    import torch

    from gallon.screen.predict import Scorer

    torch.set_num_threads(1)
    scorer = Scorer.from_path(model_dir)
    batch = (smiles * (1000 // max(len(smiles), 1) + 1))[:1000]
    scorer.score([None] * 10, batch[:10])  # warm-up
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        scorer.score([None] * len(batch), batch)
        best = min(best, time.perf_counter() - t0)
    return best * 1000


def lm_inference_ms(run: Path, batch_size: int = 64) -> float:
    """Milliseconds for the seed-0 LM teacher to predict 1,000 molecules' texts (best of 3)."""
    import torch
    from safetensors.torch import load_file
    from transformers import AutoTokenizer

    from gallon.io import read_json, read_table
    from gallon.lm.encoder import TextRegressor
    from gallon.lm.text_task import make_text

    torch.set_num_threads(1)
    folder = run / "lm" / "seed_0"
    m = read_json(folder / "hparams.json")["model"]
    model = TextRegressor(m["encoder"], m["num_tasks"], m["pooling"], 0.0, m["precision"])
    model.load_state_dict(load_file(str(folder / "model.safetensors")))
    model.eval()
    expl = read_table(run / "explanations.parquet", ("smiles", "explanation"))
    use = m["text"] == "smiles+explanation"
    texts = [
        make_text(s, e, use)
        for s, e in zip(*(expl.column(c).to_pylist() for c in ("smiles", "explanation")))
    ]
    texts = (texts * (1000 // max(len(texts), 1) + 1))[:1000]
    tok = AutoTokenizer.from_pretrained(folder)

    def predict() -> None:
        enc = tok(texts, truncation=True, max_length=m["max_length"])["input_ids"]
        order = sorted(range(len(enc)), key=lambda i: len(enc[i]))  # as prediction does
        for start in range(0, len(order), batch_size):
            chunk = [enc[i] for i in order[start : start + batch_size]]
            ids = torch.zeros((len(chunk), max(map(len, chunk))), dtype=torch.long)
            mask = torch.zeros_like(ids)
            for j, x in enumerate(chunk):
                ids[j, : len(x)], mask[j, : len(x)] = torch.tensor(x), 1
            model(ids, mask)

    with torch.inference_mode():
        predict()  # warm-up
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            predict()
            best = min(best, time.perf_counter() - t0)
    return best * 1000


def _explain_s_per_1k(run: Path) -> str:
    path = run / "explain_stats.json"
    if not path.exists():
        return "–"
    stats = json.loads(path.read_text())
    if not stats.get("requested"):
        return "cached"
    return f"{stats['seconds'] / stats['requested'] * 1000:.0f} s ({stats['source']})"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", type=Path)
    p.add_argument("--no-timing", action="store_true")
    args = p.parse_args()
    import pyarrow.parquet as pq

    rows, extra = [], []
    header = "| dataset | metric | " + " | ".join(ORDER) + " | chemprop | wall |"
    for run in args.runs:
        m = json.loads((run / "metrics.json").read_text())
        models = m["models"]
        chem = run / "chemprop" / "summary.json"
        chem_cell = "–"
        if chem.exists():
            c = json.loads(chem.read_text())
            chem_cell = f"{c['test']['mean']:.3f} ± {c['test']['std']:.3f} ({len(c['seeds'])} seed)"
        better = "↑" if m["metric"] == "roc_auc" else "↓"
        cells = " | ".join(_cell(models.get(r)) for r in ORDER)
        rows.append(
            f"| {m['dataset']} | {m['metric']} {better} | {cells} | {chem_cell} | "
            f"{m['wall_seconds'] / 60:.1f} min |"
        )
        params = {r: models[r]["parameters"] for r in ORDER if r in models}
        timing = " | –" * 5
        if not args.no_timing:
            smiles = pq.read_table(run / "molecules.parquet").column("smiles").to_pylist()[:1000]
            student = inference_ms(run / "student" / "seed_0", smiles)
            gnn = inference_ms(run / "gnn" / "seed_0", smiles)
            timing = f" | {student:.0f} ms | {gnn:.0f} ms | {gnn / student:.1f}×"
            if (run / "lm" / "seed_0" / "model.safetensors").exists():
                timing += f" | {lm_inference_ms(run):.0f} ms | {_explain_s_per_1k(run)}"
            else:
                timing += " | – | –"
        counts = " | ".join(f"{params[r]:,}" if r in params else "–" for r in ORDER[:3])
        extra.append(f"| {m['dataset']} | {counts}{timing} |")
    print(header)
    print("|" + "---|" * (len(ORDER) + 4))
    print("\n".join(rows))
    print()
    print(
        "| dataset | GNN params | LM params | student params | student ms/1k | GNN ms/1k | ratio"
        " | LM ms/1k (text in hand) | explanations per 1k |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(extra))
    return 0


if __name__ == "__main__":
    sys.exit(main())
