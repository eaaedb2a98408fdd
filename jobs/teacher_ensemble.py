"""A run's teacher per seed and the mean of its seeds (what `distill.teacher_seeds: mean` distils).

    python jobs/teacher_ensemble.py runs/t/lipophilicity [--role gnn]

Reads predictions/<role>/seed_*.parquet (raw outputs), the labels and the split of a finished
run; prints validation and test metric of every seed, their mean ± std, and of the mean of the
seeds' outputs (an ensemble: averaged in the units the students distil, scaled targets or
logits). Nothing is trained or written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from gallon.evaluation.metrics import PRIMARY, evaluate, to_predictions
from gallon.io import read_json, read_table


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run", type=Path)
    p.add_argument("--role", default="gnn")
    args = p.parse_args()
    paths = sorted((args.run / "predictions" / args.role).glob("seed_*.parquet"))
    if not paths:
        raise SystemExit(f"{args.run} has no predictions/{args.role}/seed_*.parquet")
    splits = read_json(args.run / "splits.json")
    molecules = read_table(args.run / "molecules.parquet", ("row", "y")).to_pydict()
    labels = dict(zip(molecules["row"], molecules["y"]))
    outputs = {}
    for path in paths:
        table = read_table(path, ("row", "output")).to_pydict()
        outputs[path.stem] = dict(zip(table["row"], table["output"]))
    hp = read_json(args.run / args.role / paths[0].stem / "hparams.json")
    task, metric = hp["task"], PRIMARY[hp["task"]]
    y_mean = None if hp["y_mean"] is None else np.asarray(hp["y_mean"])
    y_std = None if hp["y_std"] is None else np.asarray(hp["y_std"])

    def score(out: dict, split: str) -> float:
        rows = [r for r in splits[split] if r in out]
        raw = np.asarray([out[r] for r in rows], dtype=np.float64)
        y = np.asarray([labels[r] for r in rows], dtype=np.float64)
        return evaluate(task, y, to_predictions(raw, task, y_mean, y_std))[metric]

    common = set.intersection(*(set(o) for o in outputs.values()))
    mean = {r: np.mean([o[r] for o in outputs.values()], axis=0) for r in common}
    for split in ("val", "test"):
        each = [score(o, split) for o in outputs.values()]
        print(
            f"{args.role} {split} {metric}: "
            + " / ".join(f"{v:.4f}" for v in each)
            + f" (mean {np.mean(each):.4f} ± {np.std(each, ddof=1) if len(each) > 1 else 0:.4f});"
            + f" mean of the {len(each)} seeds' outputs {score(mean, split):.4f}"
        )


if __name__ == "__main__":
    main()
