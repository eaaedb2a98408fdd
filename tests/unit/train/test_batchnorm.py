import numpy as np
import torch

from gallon.roles import ROLES
from gallon.train.batchnorm import recompute_batchnorm
from gallon.train.loop import fit_local
from gallon.train.spec import WorkerSpec
from gallon.train.tasks import get_task


def _student(tiny_run):
    """One atom-MLP network (one member): BatchNorm after each per-atom layer, dropout 0.1."""
    spec = WorkerSpec.parse(ROLES["mlp"].spec(tiny_run(overrides=("student.members=1",)), 0))
    task = get_task(spec.kind)
    data = task.load(spec)
    torch.manual_seed(0)
    return task, data, task.build_model(spec)


def test_statistics_are_the_average_over_the_training_batches(tiny_run):
    task, data, model = _student(tiny_run)
    norm = next(m for m in model.modules() if isinstance(m, torch.nn.BatchNorm1d))
    seen: list[torch.Tensor] = []
    norm.register_forward_hook(lambda m, inputs, out: seen.append(inputs[0].detach().clone()))
    train = data.index["train"]
    rng_before = torch.get_rng_state()
    assert recompute_batchnorm(task, model, data, train, batch_size=8) == len(model.norms)
    assert torch.equal(torch.get_rng_state(), rng_before)  # dropout stayed off: no draws
    assert not model.training and norm.momentum == 0.1  # left in eval mode, momentum restored
    means = torch.stack([x.mean(0) for x in seen]).mean(0)
    variances = torch.stack([x.var(0) for x in seen]).mean(0)  # unbiased, as BatchNorm keeps
    assert len(seen) > 1
    torch.testing.assert_close(norm.running_mean, means, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(norm.running_var, variances, rtol=1e-5, atol=1e-6)


def test_full_pass_changes_what_validation_sees_not_what_training_does(tiny_run):
    ctx = tiny_run()
    spec = ROLES["mlp"].spec(ctx, 0)
    train = {**spec["train"], "patience": 100}
    running = fit_local({**spec, "train": {**train, "bn_stats": "running"}}).summary["history"]
    full = fit_local({**spec, "train": {**train, "bn_stats": "full_pass"}}).summary["history"]
    assert [h["train_loss"] for h in running] == [h["train_loss"] for h in full]
    assert not np.allclose([h["val_loss"] for h in running], [h["val_loss"] for h in full])
