"""BatchNorm statistics from one full pass over the training molecules (`train.bn_stats`).

In evaluation a BatchNorm layer normalises with its running statistics: by default PyTorch's
exponential average over the last ~10 training batches. The D-MPNN's `norm` readout sums atom
states, so those statistics swing with the sizes of the molecules in the last batches, and the
validation curve swings with them (ESOL: 0.81 to 0.98 RMSE between neighbouring epochs late in
training). `full_pass` replaces them before each validation by their average over every
training batch of the epoch (the model otherwise in evaluation mode), as
`torch.optim.swa_utils.update_bn` does for an averaged model, so the epoch that validation keeps
is chosen on the weights rather than on the sizes of the last batches.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn.modules.batchnorm import _BatchNorm


@torch.no_grad()
def recompute_batchnorm(
    task, model: torch.nn.Module, data, positions: np.ndarray, batch_size: int, device=None
) -> int:
    """Set every BatchNorm's running mean/var to the statistics over `positions`; returns the
    number of BatchNorm layers. Only the BatchNorm layers run in training mode (dropout stays off,
    so no random numbers are drawn and training continues exactly as it would have); the model
    is left in eval mode, its momenta as they were."""
    norms = [m for m in model.modules() if isinstance(m, _BatchNorm)]
    if not norms:
        return 0
    momenta = [m.momentum for m in norms]
    model.eval()
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # a cumulative average over the whole pass
        m.train()
    for batch in task.batches(data, np.sort(positions), batch_size):
        task.forward(model, batch.to(device) if device is not None else batch)
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum
        m.eval()
    return len(norms)
