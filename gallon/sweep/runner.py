"""Run (or resume) the Tune search and turn its trials into `results.csv`, `best.yaml`, a plot.

Trials are ranked on the validation metric only (`best_val`: the best epoch's value, the epoch
whose weights the student would keep). The test split is never read here.
"""

from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from gallon.errors import ConfigError
from gallon.evaluation.metrics import PRIMARY
from gallon.sweep.space import config_value, plain_params, tune_space
from gallon.sweep.trial import train_trial
from gallon.testing import faults
from gallon.train.stage import Role, RunContext

logger = logging.getLogger(__name__)

TUNE_NAME = "tune"


@dataclass
class SweepResult:
    table: pd.DataFrame  # one row per trial: trial_id, params…, best_val, epochs, status, seconds
    requested: int
    wall_seconds: float

    @property
    def finished(self) -> bool:
        return int((self.table["status"] != "not run").sum()) >= self.requested

    def best_params(self, keys: list[str]) -> dict[str, Any]:
        ok = self.table[self.table["status"].isin(["finished", "stopped by ASHA"])]
        if ok.empty:
            raise ConfigError("no sweep trial produced a validation metric; see the Tune logs.")
        row = ok.iloc[0]  # the table is sorted best first
        return {k: _plain(row[k]) for k in keys}


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _searcher(ctx: RunContext, metric: str, mode: str):
    """The search algorithm, holding at most `sweep.max_concurrent_trials` trials at once.

    The limit lives in the searcher: Tune ignores `TuneConfig.max_concurrent_trials` for its
    default variant generator (it only logs a warning), which would let a cluster start every
    trial at once."""
    sweep = ctx.cfg.sweep
    if sweep.search == "optuna":
        try:
            from ray.tune.search.optuna import OptunaSearch
        except ImportError:
            raise ConfigError(
                "sweep.search optuna needs the optuna package (pip install -e '.[tune]')."
            ) from None
        from ray.tune.search import ConcurrencyLimiter

        return ConcurrencyLimiter(
            OptunaSearch(metric=metric, mode=mode, seed=sweep.seed),
            max_concurrent=sweep.max_concurrent_trials,
        )
    from ray.tune.search import BasicVariantGenerator

    return BasicVariantGenerator(
        random_state=sweep.seed, max_concurrent=sweep.max_concurrent_trials
    )


def _tuner(ctx: RunContext, role: Role, storage: str | Path, resume: bool):
    from ray import tune

    sweep, task = ctx.cfg.sweep, ctx.info.task
    metric, mode = "best_val", ("max" if PRIMARY[task] == "roc_auc" else "min")
    trainable = tune.with_resources(
        tune.with_parameters(
            train_trial,
            ctx=ctx,
            role=role,
            seed=sweep.seed,
            cpus=sweep.cpus_per_trial,
            gpus=sweep.gpus_per_trial,
        ),
        {"cpu": sweep.cpus_per_trial, "gpu": sweep.gpus_per_trial},
    )
    path = f"{str(storage).rstrip('/')}/{TUNE_NAME}"  # a folder or a pyarrow.fs URI
    # Short trials checkpoint every few seconds and each one forces an experiment snapshot (what
    # --resume restores from); Tune warns about that frequency on every snapshot. Locally it is
    # cheap, so keep the snapshots and drop the warning unless the user set a threshold.
    os.environ.setdefault("TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S", "0")
    if resume:
        if not tune.Tuner.can_restore(path):
            raise ConfigError(f"--resume found no interrupted sweep in {path}.")
        logger.info("resuming the sweep in %s", path)
        return tune.Tuner.restore(path, trainable=trainable, resume_errored=True)
    scheduler = None
    if sweep.scheduler == "asha":
        from ray.tune.schedulers import ASHAScheduler

        scheduler = ASHAScheduler(
            time_attr="training_iteration",
            max_t=ctx.cfg.student.train.epochs,
            grace_period=min(sweep.grace_epochs, ctx.cfg.student.train.epochs),
            reduction_factor=3,
        )
    return tune.Tuner(
        trainable,
        param_space=tune_space(sweep),
        tune_config=tune.TuneConfig(
            metric=metric,
            mode=mode,
            num_samples=1 if sweep.search == "grid" else sweep.trials,
            search_alg=_searcher(ctx, metric, mode),
            scheduler=scheduler,
            reuse_actors=False,
        ),
        run_config=tune.RunConfig(
            name=TUNE_NAME,
            storage_path=str(storage),
            callbacks=faults.sweep_interrupts(),
            checkpoint_config=tune.CheckpointConfig(num_to_keep=1),
            verbose=1,
        ),
    )


def _status(result, epochs: int) -> str:
    m = result.metrics or {}
    if result.error is not None:
        return "error"
    if not m.get("training_iteration"):
        return "not run"
    if m.get("stop"):
        return "finished"
    return "stopped by ASHA" if m.get("training_iteration", 0) < epochs else "interrupted"


def run_sweep(
    ctx: RunContext, role: Role, storage: str | Path, resume: bool = False
) -> SweepResult:
    """Run the search (or continue an interrupted one) and tabulate every trial."""
    started = time.perf_counter()
    grid = ctx.cfg.sweep.search == "grid"
    tuner = _tuner(ctx, role, storage, resume)
    results = tuner.fit()
    keys = list(ctx.cfg.sweep.space)
    epochs = ctx.cfg.student.train.epochs
    rows = []
    for result in results:
        m, params = result.metrics or {}, result.config or {}
        rows.append(
            {
                "trial_id": m.get("trial_id", Path(result.path).name if result.path else ""),
                **plain_params(ctx.cfg, {k: params[k] for k in keys if k in params}),
                "best_val": m.get("best_val", math.nan),
                "epochs": m.get("training_iteration", 0),
                "status": _status(result, epochs),
                "seconds": round(m.get("time_total_s", math.nan), 1),
            }
        )
    table = pd.DataFrame(rows)
    for key in keys:  # trials that never ran leave gaps; keep integer keys integers
        if key in table and isinstance(config_value(ctx.cfg, key), int):
            table[key] = table[key].astype("Int64")
    ascending = PRIMARY[ctx.info.task] != "roc_auc"
    table = table.sort_values("best_val", ascending=ascending, na_position="last")
    requested = len(table) if grid else ctx.cfg.sweep.trials
    return SweepResult(table.reset_index(drop=True), requested, time.perf_counter() - started)
