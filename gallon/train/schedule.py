"""Learning-rate schedules, stepped once per optimisation step (torch's schedulers, composed).

- `constant`: `train.lr` throughout.
- `warmup_exp` (chemprop's schedule): linear warm-up from `lr·lr_start_factor` to `lr` over
  `warmup_epochs`, then exponential decay to `lr·lr_end_factor` at the last epoch.
"""

from __future__ import annotations

import torch
from torch.optim.lr_scheduler import ConstantLR, ExponentialLR, LinearLR, LRScheduler, SequentialLR

from gallon.config.schema import TrainConfig

SCHEDULES = ("constant", "warmup_exp")


def steps_per_epoch(n_examples: int, batch_size: int) -> int:
    """Batches an epoch yields (a lone last example joins the previous batch, see `batches`)."""
    full, rest = divmod(n_examples, batch_size)
    return max(1, full + (1 if rest > 1 or (rest == 1 and full == 0) else 0))


def build_scheduler(
    optimizer: torch.optim.Optimizer, train: TrainConfig, steps: int
) -> LRScheduler:
    """The schedule named by `train.schedule` for `train.epochs` epochs of `steps` steps."""
    kind = train.schedule
    if kind == "constant":
        return ConstantLR(optimizer, factor=1.0, total_iters=0)
    if kind != "warmup_exp":
        raise ValueError(f"unknown schedule '{kind}'; choose one of {SCHEDULES}")
    warm = max(1, round(train.warmup_epochs * steps))
    decay = max(1, train.epochs * steps - warm)
    return SequentialLR(
        optimizer,
        [
            LinearLR(optimizer, train.lr_start_factor, 1.0, total_iters=warm),
            ExponentialLR(optimizer, gamma=train.lr_end_factor ** (1.0 / decay)),
        ],
        milestones=[warm],
    )
