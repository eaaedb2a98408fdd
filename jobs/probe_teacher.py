"""Probe how the GNN teacher's kept model is chosen: best epoch against weight averaging.

    python jobs/probe_teacher.py runs/bench30_esol/esol --seeds 0,1,2,3,4 --out runs/c31/esol.npz
    python jobs/probe_teacher.py runs/c31/esol.npz --report          # validation only
    python jobs/probe_teacher.py runs/c31/esol.npz --report --test   # after the choice

Trains the run's GNN teacher again in-process (its config, features and split, `--set`
overrides), keeping every epoch's weights, and scores on the validation (and test) molecules:
- `best`: the epoch of least validation loss (the default). Its validation figure is the minimum
  of a noisy curve, so it flatters itself; `best, split-half` is the honest estimate: the epoch
  chosen on one random half of the validation set is scored on the other half (200 halvings).
- `swa@k`: the uniform average of the weights of epochs k..end (stochastic weight averaging,
  `torch.optim.swa_utils`), BatchNorm statistics re-estimated on the training molecules.
Experiments behind docs/benchmarks.md; test figures only with `--test`, after a choice.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from torch.optim.swa_utils import AveragedModel

from gallon.cli import exits_cleanly, setup_logging
from gallon.config.loader import load_config
from gallon.io import copy_run_parts
from gallon.pipeline import prepare_inputs
from gallon.roles import ROLES
from gallon.train.batchnorm import recompute_batchnorm
from gallon.train.loop import LocalSession, build_train_module, run_loop
from gallon.train.spec import WorkerSpec
from gallon.train.tasks import get_task, predict

COPIED = ("molecules.parquet", "splits.json", "dataset.json", "features", "features.json",
          "errors.parquet", "config.yaml")  # fmt: skip
STARTS = (10, 20, 25, 30, 40)


class KeepEveryEpoch(LocalSession):
    """A LocalSession that keeps each reported epoch's module weights."""

    def __init__(self) -> None:
        super().__init__()
        self.weights: list[dict[str, torch.Tensor]] = []

    def report(self, metrics, state):
        super().report(metrics, None)
        self.weights.append(copy.deepcopy(state["module"]))


def train_seed(ctx, seed: int) -> dict[str, np.ndarray]:
    """(epochs, n) outputs (standardised, or logits) on val/test per epoch, and per SWA start."""
    spec = WorkerSpec.parse(ROLES["gnn"].spec(ctx, seed))
    spec = spec.replace(train=dataclasses.replace(spec.train, checkpoint_every=1))
    task = get_task(spec.kind)
    session = KeepEveryEpoch()
    run_loop(spec, session)
    data = task.load(spec)
    module = build_train_module(task, spec, data)
    out: dict[str, list] = {"val": [], "test": [], "val_pbn": [], "test_pbn": []}
    for w in session.weights:
        module.load_state_dict(w)
        for split in ("val", "test"):
            out[split].append(predict(task, module.model, data, data.index[split])[0][:, 0])
        recompute_batchnorm(task, module.model, data, data.index["train"], spec.train.batch_size)
        for split in ("val", "test"):
            pred = predict(task, module.model, data, data.index[split])[0][:, 0]
            out[f"{split}_pbn"].append(pred)
    result = {f"{s}_epochs": np.stack(v) for s, v in out.items()}
    for k in STARTS:
        avg = AveragedModel(module.model)
        for w in session.weights[k:]:
            module.load_state_dict(w)
            avg.update_parameters(module.model)
        recompute_batchnorm(task, avg.module, data, data.index["train"], spec.train.batch_size)
        for split in ("val", "test"):
            result[f"{split}_swa{k}"] = predict(task, avg.module, data, data.index[split])[0][:, 0]
    regression = data.y_mean is not None
    for split in ("val", "test"):
        y = data.y[data.index[split], 0]
        result[f"{split}_y"] = (y - data.y_mean[0]) / data.y_std[0] if regression else y
    result["y_std"] = np.asarray(data.y_std[0] if regression else np.nan)
    return result


def figure(pred, y, scale) -> float:
    """RMSE in target units (regression: `scale` = the label std), or ROC-AUC (`scale` NaN)."""
    if np.isnan(scale):
        return float(roc_auc_score(y, pred))
    return float(np.sqrt(np.mean((pred - y) ** 2)) * scale)


def losses(epochs: np.ndarray, y: np.ndarray, scale: float) -> np.ndarray:
    """(E,) validation loss per epoch: MSE (standardised) or binary cross-entropy on logits."""
    if np.isnan(scale):
        return (np.logaddexp(0, epochs) - y * epochs).mean(1)
    return ((epochs - y) ** 2).mean(1)


def split_half(epochs: np.ndarray, y: np.ndarray, scale: float, n: int = 200) -> float:
    """Mean RMSE on one half of the validation set of the epoch chosen on the other half."""
    rng, scores = np.random.default_rng(0), []
    for _ in range(n):
        if np.isnan(scale):  # halves stratified by class: each needs both for a ROC-AUC
            a = np.zeros(len(y), bool)
            for c in (0, 1):
                idx = rng.permutation(np.flatnonzero(y == c))
                a[idx[: len(idx) // 2]] = True
        else:
            a = rng.permutation(len(y)) < len(y) // 2
        for pick, score in ((a, ~a), (~a, a)):
            e = int(np.argmin(losses(epochs[:, pick], y[pick], scale)))
            scores.append(figure(epochs[e, score], y[score], scale))
    return float(np.mean(scores))


def report(path: Path, show_test: bool) -> None:
    z = np.load(path)
    seeds = sorted({int(k.split("_")[0][1:]) for k in z.files})
    rows: dict[str, list[float]] = {}
    add = lambda name, value: rows.setdefault(name, []).append(value)  # noqa: E731
    for s in seeds:
        g = {k.split("_", 1)[1]: z[k] for k in z.files if k.startswith(f"s{s}_")}
        sc, yv, yt = float(g["y_std"]), g["val_y"], g["test_y"]
        best = int(np.argmin(losses(g["val_epochs"], yv, sc)))
        best_bn = int(np.argmin(losses(g["val_pbn_epochs"], yv, sc)))
        add("best (the kept epoch's own validation)", figure(g["val_epochs"][best], yv, sc))
        add("best, split-half (honest)", split_half(g["val_epochs"], yv, sc))
        add("best, BN full pass (own validation)", figure(g["val_pbn_epochs"][best_bn], yv, sc))
        add("best, BN full pass, split-half", split_half(g["val_pbn_epochs"], yv, sc))
        add(
            "one epoch, mean over epochs 26-50",
            np.mean([figure(p, yv, sc) for p in g["val_epochs"][25:]]),
        )
        for k in STARTS:
            add(f"swa from epoch {k + 1}", figure(g[f"val_swa{k}"], yv, sc))
        if show_test:
            add("TEST best", figure(g["test_epochs"][best], yt, sc))
            add("TEST best, BN full pass", figure(g["test_pbn_epochs"][best_bn], yt, sc))
            for k in STARTS:
                add(f"TEST swa from epoch {k + 1}", figure(g[f"test_swa{k}"], yt, sc))
    print(f"{path}: seeds {seeds}, validation RMSE or ROC-AUC, mean ± std (per seed)")
    for name, v in rows.items():
        spread = np.std(v, ddof=1) if len(v) > 1 else 0.0
        per = " / ".join(f"{x:.3f}" for x in v)
        print(f"  {name:40s} {np.mean(v):.3f} ± {spread:.3f} ({per})")


@exits_cleanly
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run", type=Path, help="a finished run folder, or an .npz with --report")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--out", type=Path, help=".npz to write")
    p.add_argument("--report", action="store_true")
    p.add_argument("--test", action="store_true", help="also print test figures (after a choice)")
    p.add_argument("--set", action="append", default=[], dest="overrides", metavar="KEY=VALUE")
    args = p.parse_args(argv)
    if args.report:
        report(args.run, args.test)
        return 0
    setup_logging()
    src = args.run.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "run"
        copy_run_parts(src, work, COPIED)
        fixed = [f"run.out={work}", "run.reuse=false", "run.roles=[gnn]", "distill.transfer=0"]
        cfg = load_config([src / "config.yaml"], [*args.overrides, *fixed])
        ctx = prepare_inputs(cfg, work).ctx
        arrays = {}
        for s in (int(x) for x in args.seeds.split(",")):
            for k, v in train_seed(ctx, s).items():
                arrays[f"s{s}_{k}"] = v
            np.savez(args.out, **arrays)
    report(args.out, False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
