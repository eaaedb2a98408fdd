"""Probe student variants in-process on a finished run's GNN teacher (regression, one target).

    python jobs/probe_student.py runs/t/lipophilicity --seed 0 --gamma 0     # the default student
    python jobs/probe_student.py runs/t/lipophilicity --seed 0 --gamma 1     # + atom states
    python jobs/probe_student.py runs/t/lipophilicity --seed 0 --gamma 0 --dropout 0
    python jobs/probe_student.py runs/t/lipophilicity --seed 0 --gamma 0 --id-dropout 0.15

Experiments behind docs/benchmarks.md ("what was tried"), none of them a pipeline option: none
beat the default on validation. `--gamma` weighs the atom-state term: the D-MPNN teacher pools
per-atom states a_v (N, 300), each a function of the atom's 3-bond neighbourhood, so a per-atom
student whose inputs carry that neighbourhood could be taught every atom's state instead of one
number per molecule:

    loss = MSE(y) + α·MSE(out, out_GNN) + γ·mean_atoms ‖(W·s_v − a_v) / sd(a)‖² / 300

on the training molecules and a transfer set drawn as the pipeline draws it
(`gallon.data.transfer.transfer_pool`; held-out scaffolds from the canonical SMILES only).
In-process, one thread, the default student otherwise (`atom_mlp`, its features, width,
schedule, selection on validation RMSE): `--gamma 0` with no other flag is the default student.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import torch

from gallon.artifacts import load_artifact
from gallon.batches import PackedGraphs
from gallon.chem import parse_smiles
from gallon.config.schema import TrainConfig
from gallon.data.transfer import transfer_pool
from gallon.features.graphs import GraphFeaturizer
from gallon.io import read_json
from gallon.models import build_model
from gallon.train.schedule import build_scheduler, steps_per_epoch


def teacher_states(model, packed: PackedGraphs, chunk: int = 512):
    """Teacher's per-atom states (atoms, D) and raw outputs (N, T) for every molecule."""
    states, outs = [], []
    with torch.no_grad():
        for start in range(0, len(packed), chunk):
            b = packed.gather(np.arange(start, min(start + chunk, len(packed))))
            a = model.atom_states(b.x, b.edge_index, b.edge_attr)
            states.append(a.numpy())
            outs.append(model.readout(a, b.batch, b.num_graphs)[0].numpy())
    return np.concatenate(states), np.concatenate(outs)


def unseen_environments(mols: list, train: np.ndarray, held: np.ndarray) -> str:
    """Share of the `held` molecules' atoms whose Morgan environment id at radius 0, 1, 2
    (exact: 2**24 buckets) no `train` molecule has; and of the training atoms whose id occurs
    at most twice there."""
    from collections import Counter

    from gallon.features.environments import EnvironmentFeaturizer

    ids = EnvironmentFeaturizer(radius=2, buckets=2**24).ids
    seen = np.concatenate([ids(mols[i]) for i in train])
    new = np.concatenate([ids(mols[i]) for i in held])
    unseen = [np.isin(new[:, r], seen[:, r], invert=True).mean() for r in range(3)]
    counts = [Counter(seen[:, r].tolist()) for r in range(3)]
    rare = [np.mean([counts[r][v] <= 2 for v in seen[:, r].tolist()]) for r in range(3)]
    return (
        "unseen ids in held-out atoms (radius 0/1/2): "
        + " / ".join(f"{u:.3f}" for u in unseen)
        + "; training atoms with an id seen <= 2 times: "
        + " / ".join(f"{r:.3f}" for r in rare)
    )


def atom_positions(offsets: np.ndarray, pos: np.ndarray) -> np.ndarray:
    return np.concatenate([np.arange(offsets[p], offsets[p + 1]) for p in pos])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run", help="a finished run folder with a GNN teacher (gnn/seed_<s>)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--gamma", type=float, default=1.0, help="weight of the atom-state term")
    p.add_argument("--alpha", type=float, default=1.0)
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--transfer", type=int, default=10000)
    p.add_argument("--features", default="lean_morgan_hops", help="name or JSON spec")
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--id-dropout", type=float, default=0.0, help="see AtomInput")
    p.add_argument("--lr", type=float, default=1e-3)
    args = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    started = time.perf_counter()
    table = pq.read_table(f"{args.run}/molecules.parquet").to_pydict()
    splits = read_json(Path(args.run) / "splits.json")
    at = {r: i for i, r in enumerate(table["row"])}
    idx = {k: np.array([at[r] for r in splits[k] if r in at]) for k in ("train", "val", "test")}
    smiles, y = table["smiles"], np.array([v[0] for v in table["y"]], dtype=np.float64)
    held = [smiles[i] for i in np.concatenate([idx["val"], idx["test"]])]
    pool = transfer_pool(smiles, held, args.transfer, 0) if args.transfer else []
    mols = [parse_smiles(s)[0] for s in [*smiles, *pool]]
    if any(m is None for m in mols):
        raise SystemExit("an unparseable molecule: the probe expects a cleaned run folder")
    train_pos = np.concatenate([idx["train"], np.arange(len(smiles), len(mols))])
    print(unseen_environments(mols, train_pos, np.concatenate([idx["val"], idx["test"]])))
    teacher = load_artifact(f"{args.run}/gnn/seed_{args.seed}")
    tm = teacher.model
    for w in tm.parameters():
        w.requires_grad_(False)
    spec = json.loads(args.features) if args.features.startswith("{") else args.features
    sf = GraphFeaturizer(spec)
    tp = PackedGraphs.from_molecules(mols, teacher.featurizer, True)
    sp = PackedGraphs.from_molecules(mols, sf, False)
    t_atoms, t_out = teacher_states(tm, tp)
    y_mean, y_std = teacher.hparams["y_mean"][0], teacher.hparams["y_std"][0]
    sd = t_atoms[: tp.atom_offsets[len(smiles)]].std(0)  # atom-state scale on own molecules
    inv_sd = torch.from_numpy(np.where(sd > 1e-3, 1.0 / np.maximum(sd, 1e-3), 0.0))
    inv_sd = inv_sd.float()

    student = build_model({
        "name": "atom_mlp", "in_dim": sf.atom_dim, "num_tasks": 1, "hidden": args.hidden,
        "layers": 3, "dropout": args.dropout, "pool": "mean_sum", "head_hidden": args.hidden,
        "id_columns": sf.atoms.id_columns, "id_buckets": sf.atoms.id_buckets,
        "id_dropout": args.id_dropout,
    })  # fmt: skip
    proj = torch.nn.Linear(args.hidden, t_atoms.shape[1])
    params = [*student.parameters(), *proj.parameters()]
    opt = torch.optim.Adam(params, lr=args.lr)
    tc = TrainConfig(epochs=args.epochs, batch_size=64, lr=args.lr, schedule="warmup_exp")
    sched = build_scheduler(opt, tc, steps_per_epoch(len(train_pos), 64))
    scaled = np.concatenate([(y - y_mean) / y_std, np.full(len(pool), np.nan)])
    per = {"y": torch.tensor(scaled, dtype=torch.float32)[:, None], "t": torch.from_numpy(t_out)}
    t_atoms = torch.from_numpy(t_atoms)

    def predict(pos: np.ndarray) -> np.ndarray:
        student.eval()
        with torch.no_grad():
            batches = (sp.gather(pos[s : s + 512]) for s in range(0, len(pos), 512))
            out = [student(b.x, None, None, b.batch, b.num_graphs)[0] for b in batches]
        return torch.cat(out)[:, 0].numpy() * y_std + y_mean

    def rmse(pred: np.ndarray, pos: np.ndarray) -> float:
        return float(np.sqrt(np.mean((pred - y[pos]) ** 2)))

    best = (np.inf, -1, None)
    for epoch in range(args.epochs):
        student.train()
        perm = train_pos[np.random.default_rng([args.seed, epoch]).permutation(len(train_pos))]
        for s in range(0, len(perm) - 1, 64):
            pos = perm[s : s + 64]
            b = sp.gather(pos, per)
            states = student.atom_states(b.x)
            out, _ = student.readout(states, b.batch, b.num_graphs)
            labelled = ~torch.isnan(b.y)
            loss = args.alpha * ((out - b.t) ** 2).mean()
            if labelled.any():
                loss = loss + ((out - b.y.nan_to_num()) ** 2)[labelled].mean()
            if args.gamma:
                target = t_atoms[atom_positions(tp.atom_offsets, pos)]
                loss = loss + args.gamma * (((proj(states) - target) * inv_sd) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        val = rmse(predict(idx["val"]), idx["val"])
        if val < best[0]:
            best = (val, epoch, {k: v.clone() for k, v in student.state_dict().items()})
        print(f"epoch {epoch + 1}: val rmse {val:.4f}", flush=True)
    student.load_state_dict(best[2])
    pred, t_pred = predict(idx["test"]), t_out[idx["test"], 0] * y_std + y_mean
    gap = float(np.sqrt(np.mean((pred - t_pred) ** 2)))
    print(
        f"gamma {args.gamma}, seed {args.seed}: val rmse {best[0]:.4f} (epoch {best[1] + 1}), "
        f"test rmse {rmse(pred, idx['test']):.4f}; teacher test {rmse(t_pred, idx['test']):.4f}; "
        f"student-teacher test RMSE {gap:.4f}; {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
