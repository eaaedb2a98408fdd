"""Stage `explain`: molecules → LLM explanations, cached, resumable, on Ray Data.

The configured backend (`gallon.explain.sources`: an LLM through `ray.data.llm`, RDKit's
facts, or a user's file) answers the molecules not yet cached, and the driver writes each
finished batch to the cache as it arrives. Only keys without a successful cached answer are
sent, so a second run is a no-op and a killed run resumes where it stopped.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from gallon.config.schema import ExplainConfig
from gallon.errors import error_rows
from gallon.explain.cache import ExplanationCache
from gallon.explain.prompts import Modalities, PromptTemplate, cache_key, load_template
from gallon.explain.sources import BACKENDS, source_name
from gallon.io import cache_root
from gallon.testing import faults

logger = logging.getLogger(__name__)

EXPLANATION_COLUMNS = (
    "row",
    "smiles",
    "key",
    "model",
    "modalities",
    "explanation",
    "prompt_tokens",
    "output_tokens",
    "finish_reason",
    "error",
)


@dataclass
class ExplainStats:
    source: str = ""  # the LLM's name, rdkit-facts-v1 or file:<name>@<sha> (source_name)
    molecules: int = 0
    unique: int = 0
    cached: int = 0
    requested: int = 0
    succeeded: int = 0
    failed: int = 0
    output_tokens: int = 0
    at_max_tokens: int = 0  # answers that used every allowed token (likely cut off)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _normalize(batch: pa.Table, model: str, template: PromptTemplate) -> pa.Table:
    """Processor output (including error rows that bypassed postprocess) → cache rows."""
    d = batch.to_pydict()
    n = batch.num_rows
    inference_error = d.get("__inference_error__", [""] * n)
    errors = [
        (e or None) if not ie else f"LLM call failed: {ie}"[:500]
        for e, ie in zip(d.get("error", [None] * n), inference_error)
    ]
    return pa.table(
        {
            "key": d["key"],
            "smiles": d["smiles"],
            "model": [m or model for m in d.get("model", [None] * n)],
            "template": [template.version] * n,
            "modalities": ["+".join(template.modalities.names())] * n,
            "explanation": [
                None if e else x for x, e in zip(d.get("explanation", [None] * n), errors)
            ],
            "prompt_tokens": [int(v or 0) for v in d.get("prompt_tokens", [0] * n)],
            "output_tokens": [int(v or 0) for v in d.get("output_tokens", [0] * n)],
            "finish_reason": d.get("finish_reason", [None] * n),
            "error": errors,
            "created": [time.time()] * n,
        }
    )


def explain_molecules(
    molecules: pa.Table, dataset: str, targets: list[str], task: str, cfg: ExplainConfig
) -> tuple[pa.Table, pa.Table, ExplainStats]:
    """molecules (row, smiles) → (explanations `EXPLANATION_COLUMNS`, errors, stats)."""

    started = time.perf_counter()
    template = load_template(
        dataset,
        targets,
        task,
        Modalities(cfg.smiles, cfg.bonds, cfg.image),
        cfg.image_size,
        cfg.prompt,
    )
    rows, smiles = molecules.column("row").to_pylist(), molecules.column("smiles").to_pylist()
    source = source_name(cfg)
    keys = [cache_key(s, template.version, source, cfg.sampling()) for s in smiles]
    cache = ExplanationCache(cfg.cache_dir or cache_root() / "explanations")
    done = cache.successful_keys()
    todo = {k: s for k, s in zip(keys, smiles) if k not in done}
    stats = ExplainStats(source, len(keys), len(set(keys)), requested=len(todo))
    stats.cached = stats.unique - stats.requested
    logger.info(
        "explain: %d molecules, %d cached, %d to ask %s",
        stats.molecules,
        stats.cached,
        stats.requested,
        source,
    )
    if todo:
        after_batch, seen = faults.explain_exit(), set()  # a test's fault hook, else None
        answers = BACKENDS[cfg.backend].answers(todo, cfg, template)
        for written, batch in enumerate(answers, start=1):
            table = _normalize(batch, source, template)
            seen.update(table.column("key").to_pylist())
            cache.append(table)
            if after_batch is not None:
                after_batch(written)
        lost = [k for k in todo if k not in seen]
        if lost:  # blocks that failed outright (e.g. connection errors after all retries)
            cache.append(
                _normalize(
                    pa.table(
                        {
                            "key": lost,
                            "smiles": [todo[k] for k in lost],
                            "__inference_error__": ["no response from the LLM backend"] * len(lost),
                        }
                    ),
                    source,
                    template,
                )
            )
        cache.compact()
    table = _collect(cache, rows, smiles, keys)
    ok = pc.is_null(table.column("error"))
    stats.succeeded = int(pc.sum(ok.cast(pa.int64())).as_py() or 0)
    stats.failed = table.num_rows - stats.succeeded
    stats.output_tokens = int(pc.sum(table.column("output_tokens")).as_py() or 0)
    full = pc.greater_equal(table.column("output_tokens"), cfg.max_tokens)
    stats.at_max_tokens = int(pc.sum(pc.and_(full, ok).cast(pa.int64())).as_py() or 0)
    stats.seconds = round(time.perf_counter() - started, 1)
    failed = table.filter(pc.invert(ok))
    errors = error_rows(
        failed.column("row").to_pylist(),
        failed.column("smiles").to_pylist(),
        "explain",
        failed.column("error").to_pylist(),
    )
    return table, errors, stats


def _collect(
    cache: ExplanationCache, rows: list[int], smiles: list[str], keys: list[str]
) -> pa.Table:
    stored = cache.read()
    by_key = {k: i for i, k in enumerate(stored.column("key").to_pylist())}
    d = stored.to_pydict()
    out: dict[str, list] = {c: [] for c in EXPLANATION_COLUMNS}
    for row, s, key in zip(rows, smiles, keys):
        i = by_key.get(key)
        out["row"].append(row)
        out["smiles"].append(s)
        out["key"].append(key)
        for c in EXPLANATION_COLUMNS[3:]:
            out[c].append(d[c][i] if i is not None else None)
        if i is None:
            out["error"][-1] = "no answer stored"
            out["prompt_tokens"][-1] = out["output_tokens"][-1] = 0
    return pa.table(out)


def without_explanations(molecules: pa.Table) -> pa.Table:
    """molecules (row, smiles) → `EXPLANATION_COLUMNS` with no explanation: what an LM teacher
    on `lm.text: smiles` reads (the SMILES line alone), written without asking any LLM."""
    n, none = molecules.num_rows, pa.nulls(molecules.num_rows, pa.string())
    zero = pa.array([0] * n, pa.int64())
    columns = {"row": molecules.column("row"), "smiles": molecules.column("smiles")}
    columns |= {"key": none, "model": none, "modalities": none, "explanation": none}
    columns |= {"prompt_tokens": zero, "output_tokens": zero, "finish_reason": none, "error": none}
    return pa.table(columns)


MISSING_POLICY = {
    "smiles": "the LM teacher reads their SMILES line alone",
    "skip": "the LM teacher leaves them out of its training set and predicts them from their "
    "SMILES line alone",
}


def report_section(
    table: pa.Table, stats: ExplainStats, missing: str = "smiles", samples: int = 3
) -> str:
    """Markdown: counts, what the LM teacher does without an explanation, a few samples."""
    lines = [
        "## Explanations",
        "",
        f"Source: `{stats.source}`. {stats.molecules} molecules: {stats.cached} answers from "
        "the cache, "
        f"{stats.requested} asked, {stats.succeeded} explained, {stats.failed} failed "
        f"({stats.output_tokens} output tokens, {stats.seconds} s); {stats.at_max_tokens} "
        "answers used every allowed token (`explain.max_tokens`) and may be cut off.",
    ]
    if stats.failed:
        lines += [
            "",
            f"{stats.failed} molecules have no explanation (errors table, stage `explain`): "
            f"{MISSING_POLICY[missing]} (`lm.missing_explanation: {missing}`).",
        ]
    ok = table.filter(pc.is_valid(table.column("explanation")))
    for i in range(min(samples, ok.num_rows)):
        row = {c: ok.column(c)[i].as_py() for c in ("smiles", "model", "explanation")}
        text = " ".join(row["explanation"].split())
        lines += ["", f"**{row['smiles']}** ({row['model']}):", "", f"> {text[:1200]}"]
    return "\n".join(lines)
