"""A small model registry: `@register("gine")` on a class, `build_model({"name": "gine", ...})`.

Every registered model maps a batch of graphs to `(out (B, num_tasks), h (B, embed_dim))`:
raw outputs (logits or scaled regression values) and the pooled graph representation that
representation distillation aligns. Its constructor takes keyword hyperparameters only, which
are saved as `hparams.json` next to the weights.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from gallon.errors import ConfigError
from gallon.models.ensemble import MemberMean

MODELS: dict[str, type[nn.Module]] = {}


def register(name: str):
    def wrap(cls: type[nn.Module]) -> type[nn.Module]:
        if name in MODELS:
            raise ValueError(f"model '{name}' is registered twice")
        MODELS[name] = cls
        cls.registry_name = name
        if not hasattr(cls, "uses_bonds"):
            cls.uses_bonds = True  # message passing over bonds unless the class says otherwise
        return cls

    return wrap


def build_model(hparams: dict[str, Any]) -> nn.Module:
    """Instantiate the registered model `hparams['name']` with the remaining keys; with
    `members` > 1, that many independently initialised copies (`MemberMean`)."""
    kwargs = dict(hparams)
    name = kwargs.pop("name")
    members = kwargs.pop("members", 1)
    if name not in MODELS:
        raise ConfigError(
            f"unknown model '{name}'; registered models: {', '.join(sorted(MODELS))}."
        )
    if members > 1:
        return MemberMean([MODELS[name](**kwargs) for _ in range(members)])
    return MODELS[name](**kwargs)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
