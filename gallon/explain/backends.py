"""LLM backends, both through `ray.data.llm` processors.

- `vllm`: vLLM engines inside the Ray job (`vLLMEngineProcessorConfig`); GPU workers on a
  cluster, CPU placement bundles locally.
- `openai`: any OpenAI-compatible chat endpoint (first of all a self-hosted vLLM server) through
  the HTTP request processor, with qps and retries; the API key comes from the environment
  variable named in the config and only ever travels in a request header.

Both processors take rows with `key`, `smiles`, `messages` and return rows with the
`RESULT_COLUMNS`; a failed call comes back as a row with `error` set.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from gallon.errors import ConfigError
from gallon.hardware import cpu_has_bf16

logger = logging.getLogger(__name__)

RESULT_COLUMNS = (
    "key",
    "smiles",
    "explanation",
    "prompt_tokens",
    "output_tokens",
    "finish_reason",
    "error",
)
# vLLM on CPU reads gpu_memory_utilization as the share of RAM it reserves (KV cache included);
# its default (0.9) fails on a machine that runs anything else. Left to that share the KV cache
# took 4.6 GiB here and 17 s to allocate and warm at every engine start; 1 GiB holds ~45k tokens
# of SmolLM2-135M (dozens of prompts at once) and starts in ~4 s. The dtype is the machine's:
# `cpu_engine_defaults`.
CPU_ENGINE_DEFAULTS = {
    "max_model_len": 4096,
    "enable_prefix_caching": True,
    "gpu_memory_utilization": 0.25,
    "kv_cache_memory_bytes": 2**30,
}
GPU_ENGINE_DEFAULTS = {"max_model_len": 8192, "enable_prefix_caching": True}


def cpu_engine_defaults() -> dict[str, Any]:
    """`CPU_ENGINE_DEFAULTS` with the dtype this CPU computes fastest: bf16 where it is native
    (AVX512-BF16/AMX), else fp32. On an AVX2-only CPU emulated bf16 generated 8 tokens/s against
    fp32's 39 and started in 517 s against 320 (docs/benchmarks.md, explanation stage). Decided
    on the driver's CPU, which is the engine's on one machine; `engine_kwargs` overrides it."""
    return {**CPU_ENGINE_DEFAULTS, "dtype": "bfloat16" if cpu_has_bf16() else "float32"}


def engine_kwargs(cfg) -> dict[str, Any]:
    """The vLLM engine arguments of an `ExplainConfig`: gallon's defaults, then the user's."""
    defaults = GPU_ENGINE_DEFAULTS if cfg.gpus_per_engine > 0 else cpu_engine_defaults()
    return {**defaults, **cfg.engine_kwargs}


def _vllm_preprocess(sampling: dict[str, Any]) -> Callable[[dict], dict]:
    def pre(row: dict) -> dict:
        return {
            "key": row["key"],
            "smiles": row["smiles"],
            "messages": row["messages"],
            "sampling_params": dict(sampling),
        }

    return pre


def _vllm_postprocess(row: dict) -> dict:
    # ray.data.llm's vLLM stage returns text and token counts but not the engine's finish
    # reason, so none is stored (the report counts answers that used every allowed token).
    return {
        "key": row["key"],
        "smiles": row["smiles"],
        "explanation": row["generated_text"],
        "prompt_tokens": int(row.get("num_input_tokens") or 0),
        "output_tokens": int(row.get("num_generated_tokens") or 0),
        "finish_reason": None,
        "error": None,
    }


# The CPU stages around the engine only (de)tokenize. With Ray's default of one CPU each they
# deadlock a 2-CPU machine: engine + detokenizer hold both CPUs and the tokenizer never starts
# (seen in CI). A tenth of a CPU each lets all of them run beside the engine's bundle.
LIGHT_STAGE = {"num_cpus": 0.1, "concurrency": 1}
LIGHT_MAP = {"num_cpus": 0.1}  # the row-wise pre/postprocess maps, for the same reason


def vllm_processor(cfg, model_source: str, sampling: dict[str, Any]):
    """Ray Data processor running vLLM engines (one per `concurrency`) inside the job."""
    from ray.data.llm import build_processor, vLLMEngineProcessorConfig

    on_gpu = cfg.gpus_per_engine > 0
    engine = engine_kwargs(cfg)
    kwargs: dict[str, Any] = {}
    if on_gpu:
        kwargs["accelerator_type"] = cfg.accelerator_type
    else:
        kwargs["placement_group_config"] = {"bundles": [{"CPU": cfg.cpus_per_engine}]}
    config = vLLMEngineProcessorConfig(
        model_source=model_source,
        engine_kwargs=engine,
        batch_size=cfg.batch_size,
        concurrency=cfg.concurrency,
        should_continue_on_error=True,
        prepare_multimodal_stage={"enabled": bool(cfg.image), **LIGHT_STAGE},
        chat_template_stage=LIGHT_STAGE,
        tokenize_stage=LIGHT_STAGE,
        detokenize_stage=LIGHT_STAGE,
        **kwargs,
    )
    return build_processor(
        config,
        preprocess=_vllm_preprocess(sampling),
        postprocess=_vllm_postprocess,
        preprocess_map_kwargs=LIGHT_MAP,
        postprocess_map_kwargs=LIGHT_MAP,
    )


def _openai_preprocess(model: str, sampling: dict[str, Any]) -> Callable[[dict], dict]:
    def pre(row: dict) -> dict:
        return {
            "key": row["key"],
            "smiles": row["smiles"],
            "payload": {"model": model, "messages": row["messages"], **sampling},
        }

    return pre


def _openai_postprocess(row: dict) -> dict:
    resp = row.get("http_response") or {}
    base = {"key": row["key"], "smiles": row["smiles"]}
    choices = resp.get("choices") if isinstance(resp, dict) else None
    if not choices:
        err = resp.get("error", resp) if isinstance(resp, dict) else resp
        message = err.get("message", json.dumps(err)) if isinstance(err, dict) else str(err)
        return {
            **base,
            "explanation": None,
            "prompt_tokens": 0,
            "output_tokens": 0,
            "finish_reason": None,
            "error": f"endpoint error: {message}"[:500],
        }
    usage = resp.get("usage") or {}
    return {
        **base,
        "explanation": choices[0]["message"]["content"],
        "prompt_tokens": int(usage.get("prompt_tokens") or 0),
        "output_tokens": int(usage.get("completion_tokens") or 0),
        "finish_reason": choices[0].get("finish_reason"),
        "error": None,
    }


def api_key(cfg) -> str | None:
    """The key from the environment variable named by explain.api_key_env (never logged)."""
    if not cfg.api_key_env:
        return None
    key = os.environ.get(cfg.api_key_env)
    if not key:
        raise ConfigError(f"explain.api_key_env names {cfg.api_key_env}, which is not set.")
    return key


def check_endpoint(url: str, key: str | None, timeout: float = 10.0) -> None:
    """Fail early, in one sentence, when the endpoint cannot be reached at all."""
    request = urllib.request.Request(url.rstrip("/") + "/models")
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        urllib.request.urlopen(request, timeout=timeout).close()
    except urllib.error.HTTPError:
        return  # it answers; per-request errors become error rows
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise ConfigError(f"explain.url {url} cannot be reached ({reason}).") from None


def openai_processor(cfg, sampling: dict[str, Any]):
    """Ray Data processor posting chat completions to an OpenAI-compatible endpoint."""
    from ray.data.llm import HttpRequestProcessorConfig, build_processor

    key = api_key(cfg)
    check_endpoint(cfg.url, key)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    config = HttpRequestProcessorConfig(
        url=cfg.url.rstrip("/") + "/chat/completions",
        headers=headers,
        qps=cfg.qps,
        max_retries=cfg.max_retries,
        batch_size=cfg.batch_size,
        concurrency=cfg.concurrency,
    )
    return build_processor(
        config,
        preprocess=_openai_preprocess(cfg.model, sampling),
        postprocess=_openai_postprocess,
        preprocess_map_kwargs=LIGHT_MAP,
        postprocess_map_kwargs=LIGHT_MAP,
    )
