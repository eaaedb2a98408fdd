"""How far one RDKit descriptor goes alone: a straight line in it, fitted on a run's training split.

    python jobs/descriptor_baseline.py runs/ablate41-lipophilicity/smiles_only --descriptor MolLogP

A reference row for regression tables (for instance, what the Crippen logP inside RDKit's facts
could give the LM teacher by itself). Reads molecules.parquet and splits.json of a run folder,
fits y = a·d + b by least squares on the training molecules (first target), prints the RMSE on
validation and test, and that of predicting the training mean. Deterministic; nothing is written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from rdkit import Chem
from rdkit.Chem import Descriptors

from gallon.io import read_json, read_table


def _rmse(pred: np.ndarray, y: np.ndarray) -> float:
    return float(np.sqrt(np.mean((pred - y) ** 2)))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run", type=Path)
    p.add_argument("--descriptor", default="MolLogP", help="a name in rdkit.Chem.Descriptors")
    args = p.parse_args()
    describe = dict(Descriptors.descList).get(args.descriptor)
    if describe is None:
        raise SystemExit(f"rdkit.Chem.Descriptors has no descriptor '{args.descriptor}'")
    molecules = read_table(args.run / "molecules.parquet", ("row", "smiles", "y")).to_pydict()
    if read_json(args.run / "dataset.json")["task"] != "regression":
        raise SystemExit(f"{args.run} is not a regression run")
    by_row = {
        row: (describe(Chem.MolFromSmiles(smiles)), float(y[0]))
        for row, smiles, y in zip(molecules["row"], molecules["smiles"], molecules["y"])
    }
    splits = read_json(args.run / "splits.json")
    parts = {name: np.array([by_row[r] for r in splits[name]]) for name in ("train", "val", "test")}
    a, b = np.polyfit(parts["train"][:, 0], parts["train"][:, 1], 1)
    print(f"{args.descriptor}: y = {a:.3f}·d + {b:.3f}, fitted on {len(parts['train'])} molecules")
    mean = parts["train"][:, 1].mean()
    for name in ("train", "val", "test"):
        d, y = parts[name][:, 0], parts[name][:, 1]
        print(
            f"{name:>5}: RMSE {_rmse(a * d + b, y):.3f} (training mean {_rmse(mean, y):.3f}), "
            f"Pearson r {np.corrcoef(d, y)[0, 1]:.3f}"
        )


if __name__ == "__main__":
    main()
