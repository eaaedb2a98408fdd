"""Featurisation cost per molecule, one thread: parse, each atom featurizer, bonds.

    python jobs/profile_features.py --n 5000          # HIV molecules, randomised SMILES

Molecules are parsed fresh for each featurizer (RDKit caches Crippen contributions on a
molecule, so a second pass over the same objects would read the cache). The last rows time the
default student's network (folded, as screening runs it) on four of the featurizers, and with
`student.members` 2 and 3 on the default one. Prints a
Markdown table of µs per molecule and the ratio to parsing; docs/benchmarks.md quotes it.
"""

from __future__ import annotations

import argparse
import random
import sys
import time

import pandas as pd
from rdkit import Chem

from gallon.data.registry import DATASETS
from gallon.features.atoms import ATOM_FEATURIZERS, build_atom_featurizer
from gallon.features.bonds import BondFeaturizer


def randomised(n: int, seed: int) -> list[str]:
    """`n` HIV molecules written as random (non-canonical) SMILES, as a library would hold."""
    spec = DATASETS["hiv"]
    frame = pd.read_csv(spec.path).sample(n, random_state=seed)
    out = []
    for s in frame[spec.smiles_column]:
        mol = Chem.MolFromSmiles(s)
        if mol is not None:
            out.append(Chem.MolToSmiles(mol, doRandom=True, canonical=False))
    return out


def per_molecule_us(fn, smiles: list[str]) -> float:
    mols = [Chem.MolFromSmiles(s) for s in smiles]  # fresh molecules: nothing cached
    started = time.perf_counter()
    fn(mols)
    return 1e6 * (time.perf_counter() - started) / len(mols)


def network_us(atoms: str, smiles: list[str], batch: int = 1024, members: int = 1) -> float:
    """The default-config student (untrained weights: the cost does not depend on them), folded
    for screening, one model of `members` members, over batches of `batch` molecules: µs per
    molecule."""
    import numpy as np
    import torch

    from gallon.config import Config
    from gallon.models import build_model
    from gallon.screen.fused import FusedStudents

    torch.set_num_threads(1)
    featurizer, net = build_atom_featurizer(atoms), Config().student
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    model = build_model(
        {"name": net.model, "in_dim": len(featurizer), "num_tasks": 1, "hidden": net.hidden,
         "layers": net.layers, "pool": net.pool, "head_hidden": net.head_hidden,
         "id_columns": featurizer.id_columns, "id_buckets": featurizer.id_buckets,
         "members": members}
    ).eval()  # fmt: skip
    fused = FusedStudents([model])
    inputs = []
    for i in range(0, len(mols), batch):
        part = mols[i : i + batch]
        sizes = np.fromiter((m.GetNumAtoms() for m in part), dtype=np.int64)
        member = torch.from_numpy(np.repeat(np.arange(len(part)), sizes))
        inputs.append((torch.from_numpy(featurizer.many(part)), member, len(part)))
    started = time.perf_counter()
    for x, member, n in inputs:
        fused(x, member, n)
    return 1e6 * (time.perf_counter() - started) / len(mols)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=5000)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    random.seed(args.seed)  # RDKit's doRandom draws from its own generator, seeded below
    Chem.rdBase.SeedRandomNumberGenerator(args.seed)
    smiles = randomised(args.n, args.seed)
    started = time.perf_counter()
    for s in smiles:
        Chem.MolFromSmiles(s)
    parse = 1e6 * (time.perf_counter() - started) / len(smiles)
    rows = [("RDKit parse + sanitise", parse)]
    for name in ATOM_FEATURIZERS:
        featurizer = build_atom_featurizer(name)
        rows.append(
            (
                f"atom features `{name}` ({len(featurizer)} columns)",
                per_molecule_us(featurizer.many, smiles),
            )
        )
    bonds = BondFeaturizer()
    rows.append(("bond features", per_molecule_us(lambda ms: [bonds(m) for m in ms], smiles)))
    for name in ("lean_morgan_hops", "lean_morgan", "rich_morgan", "morgan"):
        rows.append(
            (f"default student network on `{name}`, folded, fp32", network_us(name, smiles))
        )
    for members in (2, 3):  # `student.members`: each member's matmuls, one lookup table each
        rows.append(
            (
                f"the same on `lean_morgan_hops`, {members} members",
                network_us("lean_morgan_hops", smiles, members=members),
            )
        )
    print(f"{len(smiles)} HIV molecules, randomised SMILES, one thread\n")
    print("| step, per molecule | µs | × parse |\n|---|---|---|")
    for label, us in rows:
        print(f"| {label} | {us:.0f} | {us / parse:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
