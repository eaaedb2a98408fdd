"""What this machine's CPU can do, where it decides how a stage computes."""

from __future__ import annotations

import functools


@functools.cache
def cpu_has_bf16() -> bool:
    """Whether this CPU has bf16 instructions that oneDNN uses (without them bf16 is emulated).

    AVX512-BF16 or AMX: there bf16 halves the LM teacher's time. On an AVX2-only CPU emulated
    bf16 made vLLM generate 4.7x slower than fp32 (docs/benchmarks.md, explanation stage).
    """
    import torch  # heavy; only the stages that compute need it

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False
