"""The training loop shared by every model (GNN teacher, plain MLP, distilled student).

`run_loop(spec, session)` is pure PyTorch: the `session` supplies rank/world size, DDP wrapping,
metric reporting, checkpoint save/restore. `gallon.train.ray_fit` gives it a Ray Train session;
`LocalSession` runs it in-process (unit tests, debugging).

A checkpoint holds the epoch, model+projection and optimizer state, the best weights so far, the
early-stopping counter, the history and the RNG state, so a resumed run continues exactly.
"""

from __future__ import annotations

import copy
import logging
import time
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from gallon.evaluation.metrics import PRIMARY, evaluate, is_better, to_predictions
from gallon.models.ensemble import members_of
from gallon.train.batchnorm import recompute_batchnorm
from gallon.train.objectives import Objective, TrainModule, resolve_terms, supervised_loss
from gallon.train.schedule import build_scheduler, steps_per_epoch
from gallon.train.spec import WorkerSpec
from gallon.train.tasks import TrainTask, get_task, predict

logger = logging.getLogger(__name__)


class Session(Protocol):
    rank: int
    world_size: int
    device: torch.device

    def wrap(self, module: torch.nn.Module) -> torch.nn.Module: ...

    def restore(self) -> dict[str, Any] | None: ...

    def report(self, metrics: dict[str, Any], state: dict[str, Any] | None) -> None: ...


@dataclass
class FitResult:
    best_state: dict[str, torch.Tensor]  # the model's weights at the best validation epoch
    summary: dict[str, Any]  # run_loop's return value


class LocalSession:
    """Single process, no Ray: keeps the last saved state in memory."""

    rank, world_size = 0, 1
    device = torch.device("cpu")

    def __init__(self) -> None:
        self.saved: dict[str, Any] | None = None
        self.reports: list[dict[str, Any]] = []

    def wrap(self, module):
        return module

    def restore(self):
        return self.saved

    def report(self, metrics, state):
        self.reports.append(metrics)
        if state is not None:  # a copy, as a checkpoint on disk would be
            self.saved = copy.deepcopy(state)


def build_train_module(task: TrainTask, spec: WorkerSpec, data) -> TrainModule:
    """Model + one objective per member; representation terms need each member's pooled size
    (probed once)."""
    model = task.build_model(spec)
    dist = spec.distill
    terms = resolve_terms(spec.task, dist.kind, dist.weights, data.teacher_dims)
    model.eval()
    probe = next(iter(task.batches(data, data.index["train"][:2], 2)))
    args = (dist.temperature, dist.projection, spec.label_smoothing)
    objectives = []
    for member in members_of(model):
        with torch.no_grad():
            _, h = task.forward(member, probe)
        objectives.append(Objective(spec.task, terms, h.shape[1], *args))
    return TrainModule(model, objectives, task.forward)


def score_split(task: TrainTask, model, data, split: str, spec_task: str, device=None) -> dict:
    """The split's metrics, plus `loss`: the supervised loss on it (no label smoothing)."""
    idx = data.index[split]
    out, _ = predict(task, model, data, idx, device=device)
    pred = to_predictions(out, spec_task, data.y_mean, data.y_std)
    y = data.y[idx]
    scaled = y if data.y_mean is None else (y - data.y_mean) / data.y_std
    loss = supervised_loss(
        torch.from_numpy(out).float(), torch.from_numpy(scaled).float(), spec_task
    )
    return {**evaluate(spec_task, y, pred), "loss": float(loss)}


def epoch_positions(index: dict, per_epoch: int, seed: int, epoch: int) -> np.ndarray:
    """(n_train + n_transfer_this_epoch,) data positions one epoch trains on, unshuffled.

    Transfer molecules (unlabelled, teacher-scored) are trained on beside the labelled ones: all
    of them, or with `per_epoch` > 0 a fresh draw of that many per (seed, epoch), so a large
    transfer set costs per epoch what a small one does."""
    transfer = index.get("transfer", np.zeros(0, int))
    if 0 < per_epoch < len(transfer):
        rng = np.random.default_rng([seed, epoch, 1])  # not the shuffle's stream
        transfer = np.sort(rng.choice(transfer, per_epoch, replace=False))
    return np.concatenate([index["train"], transfer])


def run_loop(spec: dict[str, Any] | WorkerSpec, session: Session) -> dict[str, Any]:
    """Train with early stopping on the validation metric; returns a small summary.

    `spec` is parsed on arrival (`WorkerSpec.parse`): a missing or unknown key fails here."""
    spec = WorkerSpec.parse(spec)
    tc, task, seed = spec.train, spec.task, spec.seed
    torch.manual_seed(seed)
    torch.set_num_threads(tc.cpus_per_worker)
    kind = get_task(spec.kind)
    gs = kind.load(spec)
    module = build_train_module(kind, spec, gs)
    ddp = session.wrap(module)
    model = module.model
    optimizer = kind.optimizer(ddp.parameters(), tc)
    transfer = getattr(spec.data, "transfer", None)  # graph tasks only
    per_epoch = transfer.per_epoch if transfer is not None else 0
    shard_size = len(epoch_positions(gs.index, per_epoch, seed, 0)) // session.world_size
    scheduler = build_scheduler(optimizer, tc, steps_per_epoch(shard_size, tc.batch_size))
    # the weights validation sees and the run keeps: the model's, or their moving average
    averaged = None
    if tc.ema > 0:
        averaged = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(tc.ema), use_buffers=True)
    evaluated = model if averaged is None else averaged.module
    metric = PRIMARY[task]
    select = metric if tc.select == "metric" else "loss"  # what picks the kept epoch
    state: dict[str, Any] = {
        "epoch": 0,
        "best_value": None,  # the validation metric at the kept epoch
        "best_select": None,  # what chose it (the metric, or the validation loss)
        "best_epoch": -1,
        "best_state": None,
        "bad_epochs": 0,
        "history": [],
        "resumed_from": [],
    }
    saved = session.restore()
    if saved is not None:
        module.load_state_dict(saved["module"])
        if averaged is not None:
            averaged.load_state_dict(saved["averaged"])
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        torch.set_rng_state(saved["rng"])
        state = {k: saved.get(k, state[k]) for k in state}
        state["resumed_from"] = [*state["resumed_from"], state["epoch"]]
        logger.info("%s: resumed from checkpoint at epoch %d", spec.name, state["epoch"])
    # a checkpoint written when early stopping fired is a finished run: no epoch after it
    last = state["epoch"] if state["bad_epochs"] >= tc.patience else tc.epochs
    for epoch in range(state["epoch"], last):
        t0 = time.perf_counter()
        train_pos = epoch_positions(gs.index, per_epoch, seed, epoch)
        perm = train_pos[np.random.default_rng([seed, epoch]).permutation(len(train_pos))]
        shard = perm[: len(perm) // session.world_size * session.world_size]
        shard = shard[session.rank :: session.world_size]
        ddp.train()
        totals: dict[str, float] = {}
        n_batches = 0
        for batch in kind.batches(gs, shard, tc.batch_size):
            optimizer.zero_grad()
            loss, parts = ddp(batch.to(session.device))
            loss.backward()
            optimizer.step()
            scheduler.step()
            if averaged is not None:
                averaged.update_parameters(model)
            n_batches += 1
            for k, v in parts.items():
                totals[k] = totals.get(k, 0.0) + v
        if tc.bn_stats == "full_pass":
            recompute_batchnorm(kind, evaluated, gs, train_pos, tc.batch_size, session.device)
        val = score_split(kind, evaluated, gs, "val", task, session.device)
        value = val[metric]
        if is_better(select, val[select], state["best_select"]) or state["best_state"] is None:
            state.update(
                best_value=value,
                best_select=val[select],
                best_epoch=epoch,
                bad_epochs=0,
                best_state={k: v.detach().cpu().clone() for k, v in evaluated.state_dict().items()},
            )
        else:
            state["bad_epochs"] += 1
        record = {
            "epoch": epoch,
            **{f"train_{k}": v / max(n_batches, 1) for k, v in totals.items()},
            f"val_{metric}": value,
            "val_loss": val["loss"],
            "seconds": time.perf_counter() - t0,
        }
        state["history"].append(record)
        state["epoch"] = epoch + 1
        stop = state["bad_epochs"] >= tc.patience or state["epoch"] >= tc.epochs
        if session.rank == 0:
            logger.info(
                "%s epoch %d/%d loss %.4f val_%s %.4f best %.4f@%d%s",
                spec.name,
                epoch + 1,
                tc.epochs,
                record.get("train_loss", float("nan")),
                metric,
                value,
                state["best_value"] if state["best_value"] is not None else float("nan"),
                state["best_epoch"] + 1,
                " (early stop)" if stop and state["epoch"] < tc.epochs else "",
            )
        checkpoint = stop or state["epoch"] % tc.checkpoint_every == 0
        full = None
        if checkpoint:
            full = {
                **state,
                "module": module.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "rng": torch.get_rng_state(),
                **({} if averaged is None else {"averaged": averaged.state_dict()}),
            }
        session.report({"epoch": state["epoch"], f"val_{metric}": value, "stop": stop}, full)
        if stop:
            break
    return {
        "best_epoch": state["best_epoch"] + 1,
        "best_value": state["best_value"],
        "epochs_run": state["epoch"],
        "resumed_from": state["resumed_from"],
        "history": state["history"],
    }


def fit_local(
    spec: dict[str, Any] | WorkerSpec, storage: Any = None, name: str = "model"
) -> FitResult:
    """Train in this process without Ray (unit tests, quick experiments); same loop, same result."""
    session = LocalSession()
    summary = run_loop(WorkerSpec.parse(spec).replace(name=name), session)
    return FitResult(session.saved["best_state"], summary)
