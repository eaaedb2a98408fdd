"""Training-step cost of the default student and GNN, one thread: Adam fused vs per-tensor.

    python jobs/profile_training.py --dataset lipophilicity --steps 40

Real batches (64 molecules of the dataset, the default featurizers and model sizes, untrained
weights: the cost does not depend on them); each configuration runs `--steps` optimisation
steps after a warm-up, and the configurations take turns `--rounds` times so that whatever
else runs on the machine weighs on both alike. Prints ms per step (median over rounds) and the
ratio; docs/benchmarks.md quotes it.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd
import torch

from gallon.batches import PackedGraphs, forward
from gallon.chem import parse_smiles
from gallon.config import Config
from gallon.data.registry import DATASETS
from gallon.features.graphs import GraphFeaturizer
from gallon.models import build_model


def batches(dataset: str, atoms: str, bonds: bool, n: int, size: int = 64) -> tuple:
    """(batches of `size` molecules of `dataset`, their featurizer)."""
    spec = DATASETS[dataset]
    smiles = pd.read_csv(spec.path)[spec.smiles_column].sample(n, random_state=0)
    mols = [m for m in (parse_smiles(s)[0] for s in smiles) if m is not None]
    featurizer = GraphFeaturizer(atoms)
    packed = PackedGraphs.from_molecules(mols, featurizer, bonds)
    order = np.arange(len(packed))
    chunks = [order[i : i + size] for i in range(0, len(order) - size + 1, size)]
    return [packed.gather(c) for c in chunks], featurizer


def ms_per_step(role: str, fused: bool, steps: int, data: tuple) -> float:
    cfg = Config()
    net = cfg.student if role == "student" else cfg.gnn
    featurizer = data[1]
    torch.manual_seed(0)
    model = build_model(
        {"name": net.model, "in_dim": featurizer.atom_dim, "edge_dim": featurizer.bond_dim,
         "num_tasks": 1, "hidden": net.hidden, "layers": net.layers, "dropout": net.dropout,
         "pool": net.pool, "head_hidden": net.head_hidden, **featurizer_ids(featurizer)}
    )  # fmt: skip
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=fused, foreach=not fused)
    model.train()
    for i in range(steps + 3):
        if i == 3:
            started = time.perf_counter()
        batch = data[0][i % len(data[0])]
        out, _ = forward(model, batch)
        loss = (out**2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return 1e3 * (time.perf_counter() - started) / steps


def featurizer_ids(featurizer: GraphFeaturizer) -> dict:
    return {"id_columns": featurizer.atoms.id_columns, "id_buckets": featurizer.atoms.id_buckets}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="lipophilicity")
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    torch.set_num_threads(1)
    cfg = Config()
    print("| model | Adam per-tensor (foreach), ms/step | Adam fused, ms/step | ratio |")
    print("|---|---|---|---|")
    for role, atoms, bonds in (
        ("student", cfg.features.student_atoms, False),
        ("gnn", cfg.features.atoms, True),
    ):
        data = batches(args.dataset, atoms, bonds, 64 * 20)
        times = {False: [], True: []}
        for _ in range(args.rounds):
            for fused in (False, True):
                times[fused].append(ms_per_step(role, fused, args.steps, data))
        slow, fast = statistics.median(times[False]), statistics.median(times[True])
        print(f"| {role} | {slow:.1f} | {fast:.1f} | {slow / fast:.2f}x |")


if __name__ == "__main__":
    main()
