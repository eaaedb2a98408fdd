"""The LM teacher role: its Ray Train spec and how the fine-tuned model is saved."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from gallon.data.splits import Split, sample_train
from gallon.io import write_json

EXPLANATIONS = "explanations.parquet"


def lm_splits(cfg, splits: dict[str, Any]) -> Split:
    """The rows the LLM explains, per split: every row, or with `lm.subset` (smaller than the
    training split) a seeded sample of the training rows, validation and test whole. The LM
    teacher trains on the training rows it has explanations for."""
    if not _sampled(cfg, splits):
        return splits
    return sample_train(splits, cfg.lm.subset, cfg.lm.subset_seed)


def _sampled(cfg, splits: dict[str, Any]) -> bool:
    return cfg.lm.subset is not None and cfg.lm.subset < len(splits.get("train", []))


def sampled_teachers(cfg, splits: dict[str, Any]) -> list[str]:
    """Teacher roles whose outputs cover only some of the training molecules (the LM teacher
    with `lm.subset`): a student masks their terms on the molecules they did not score."""
    return ["lm"] if _sampled(cfg, splits) else []


def text_spec(role, ctx, seed: int) -> dict[str, Any]:
    """Spec for the `text` task: encoder, text format, data paths, training settings."""
    lm = ctx.cfg.lm
    return {
        "kind": "text",
        "seed": seed,
        "task": ctx.info.task,
        "model": {
            "encoder": lm.encoder,
            "pooling": lm.pooling,
            "text": lm.text,
            "max_length": lm.max_length,
            "dropout": lm.dropout,
            "precision": lm.precision,
            "num_tasks": len(ctx.info.targets),
        },
        "train": dataclasses.asdict(lm.train),
        "label_smoothing": lm.label_smoothing if ctx.info.task == "classification" else 0.0,
        "data": {
            "explanations": str(ctx.out / EXPLANATIONS),
            "molecules": str(ctx.out / "molecules.parquet"),
            "splits": ctx.splits,  # with lm.subset, explanations exist for its sample only
            "missing_explanation": lm.missing_explanation,
        },
        # no teachers; the other keys are inert, and fixed so that they never change reuse keys
        "distill": {"weights": {}, "kind": "auto", "temperature": 1.0, "projection": "student"},
    }


def save_text_model(
    folder: Path, model, spec: dict[str, Any], hparams: dict[str, Any], ctx
) -> None:
    """Weights (safetensors), hparams and the tokenizer, so the encoder reloads offline."""
    from safetensors.torch import save_file
    from transformers import AutoTokenizer

    from gallon.lm.encoder import resolve_encoder

    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(folder / "model.safetensors"))
    write_json(hparams, folder / "hparams.json")
    AutoTokenizer.from_pretrained(resolve_encoder(spec["model"]["encoder"])).save_pretrained(folder)
