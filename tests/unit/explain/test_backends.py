from dataclasses import replace
from pathlib import Path

import pytest

from gallon.config import load_config
from gallon.errors import ConfigError
from gallon.explain import backends

GPU = Path(__file__).resolve().parents[3] / "jobs" / "configs" / "gpu.yaml"


def test_gpu_profile_builds_a_multimodal_vllm_processor():
    cfg = load_config([GPU]).explain
    assert cfg.image and cfg.gpus_per_engine == 1
    processor = backends.vllm_processor(cfg, cfg.model, cfg.sampling())
    names = [type(stage).__name__ for stage in processor.stages.values()]
    assert "PrepareMultimodalStage" in names and "vLLMEngineStage" in names
    engine = processor.get_stage_by_name("vLLMEngineStage")
    kwargs = engine.fn_constructor_kwargs
    assert kwargs["model"] == "Qwen/Qwen2.5-VL-7B-Instruct"
    assert kwargs["engine_kwargs"]["limit_mm_per_prompt"] == {"image": 1}


@pytest.mark.parametrize("native, dtype", [(True, "bfloat16"), (False, "float32")])
def test_cpu_engine_computes_in_bf16_only_where_the_cpu_has_it(monkeypatch, native, dtype):
    monkeypatch.setattr(backends, "cpu_has_bf16", lambda: native)
    cfg = load_config([]).explain
    assert cfg.gpus_per_engine == 0
    assert backends.engine_kwargs(cfg)["dtype"] == dtype
    mine = replace(cfg, engine_kwargs={"dtype": "float16", "max_model_len": 2048})
    assert backends.engine_kwargs(mine) == {
        **backends.CPU_ENGINE_DEFAULTS,
        "dtype": "float16",
        "max_model_len": 2048,
    }
    gpu = load_config([GPU]).explain
    assert backends.engine_kwargs(gpu) == {**backends.GPU_ENGINE_DEFAULTS, **gpu.engine_kwargs}


def test_postprocess_of_openai_answers_and_errors():
    ok = backends._openai_postprocess(
        {
            "key": "k",
            "smiles": "C",
            "http_response": {
                "choices": [{"message": {"content": "text"}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 7, "completion_tokens": 2},
            },
        }
    )
    assert (ok["explanation"], ok["prompt_tokens"], ok["output_tokens"], ok["error"]) == (
        "text",
        7,
        2,
        None,
    )
    bad = backends._openai_postprocess(
        {"key": "k", "smiles": "C", "http_response": {"object": "error", "message": "too long"}}
    )
    assert bad["explanation"] is None and bad["error"] == "endpoint error: too long"


def test_api_key_comes_from_the_named_variable(monkeypatch):
    cfg = load_config(overrides=["explain.backend=openai", "explain.api_key_env=MY_KEY"]).explain
    monkeypatch.delenv("MY_KEY", raising=False)
    with pytest.raises(ConfigError, match="MY_KEY, which is not set"):
        backends.api_key(cfg)
    monkeypatch.setenv("MY_KEY", "s3cret")
    assert backends.api_key(cfg) == "s3cret"


def test_vllm_rows_store_no_finish_reason_the_engine_did_not_report():
    # ray.data.llm's vLLM stage gives text and token counts only: a guess from the count
    # ("length" at max_tokens) would be stored as if the engine had said it
    row = backends._vllm_postprocess(
        {
            "key": "k",
            "smiles": "C",
            "generated_text": "text",
            "num_input_tokens": 7,
            "num_generated_tokens": 64,
        }
    )
    assert row["finish_reason"] is None
    assert (row["explanation"], row["prompt_tokens"], row["output_tokens"]) == ("text", 7, 64)
    answer = {"message": {"content": "x"}, "finish_reason": "length"}
    endpoint = backends._openai_postprocess(
        {"key": "k", "smiles": "C", "http_response": {"choices": [answer], "usage": {}}}
    )
    assert endpoint["finish_reason"] == "length"  # what the endpoint said, verbatim
