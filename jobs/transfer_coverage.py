"""Validation/test atoms whose Morgan environment bucket no training or transfer molecule has.

    python jobs/transfer_coverage.py runs/ema43/freesolv

The student embeds each atom's Morgan environment ids (radius 0-2, folded to 2,048 buckets, as
`features.student_atoms` computes them); a bucket no training or transfer molecule has keeps its
random initial embedding. For one finished run (molecules.parquet, splits.json) this prints the
share of validation and test atoms whose radius-1 and radius-2 bucket is unseen with the training
molecules alone and with each transfer pool (random 10,000 and 30,000, brics 10,000), each drawn
as the pipeline draws it (held-out scaffolds from the canonical SMILES). Deterministic; writes
nothing. Behind the `brics` paragraph of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from rdkit import Chem, RDLogger

from gallon.data.transfer import brics_analogues, transfer_pool
from gallon.features.environments import EnvironmentFeaturizer
from gallon.io import read_json, read_table

RADII = (1, 2)


def _buckets(featurizer: EnvironmentFeaturizer, smiles: Iterable[str]) -> np.ndarray:
    """(atoms, 3) environment buckets at radius 0-2 of the parseable molecules, stacked."""
    mols = [m for m in (Chem.MolFromSmiles(s) for s in smiles) if m is not None]
    return np.concatenate([featurizer.ids(m) for m in mols])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run", type=Path)
    args = p.parse_args()
    RDLogger.DisableLog("rdApp.*")
    split = read_json(args.run / "splits.json")
    table = read_table(args.run / "molecules.parquet", ("row", "smiles"))
    smiles = dict(zip(table.column("row").to_pylist(), table.column("smiles").to_pylist()))
    train = [smiles[r] for r in split["train"]]
    held = [smiles[r] for r in split["val"] + split["test"]]
    featurizer = EnvironmentFeaturizer(radius=2, buckets=2048)
    held_atoms = _buckets(featurizer, held)
    seen = [set(c) for c in _buckets(featurizer, train).T]
    own = list(smiles.values())
    pools = {
        "training molecules alone": [],
        "+ random 10,000": transfer_pool(own, held, 10000, 0),
        "+ random 30,000": transfer_pool(own, held, 30000, 0),
        "+ brics 10,000": transfer_pool(own, held, 10000, 0, brics_analogues(train, 20000, 0)),
    }
    print(f"{args.run}: {len(held_atoms)} validation and test atoms")
    for name, pool in pools.items():
        extra = _buckets(featurizer, pool).T if pool else [[]] * 3
        known = [seen[r] | set(extra[r]) for r in range(3)]
        shares = [np.mean([b not in known[r] for b in held_atoms[:, r]]) for r in RADII]
        print(f"{name}: unseen at radius 1 {shares[0]:.3f}, radius 2 {shares[1]:.3f}")


if __name__ == "__main__":
    main()
