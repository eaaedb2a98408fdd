"""The stages every job shares before training: prepare → featurize → explain (when needed).

`run_all.py` and `sweep.py` both start here, so a sweep sees exactly the run folder, features,
explanations and split that `run_all.py` would produce for the same config.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from gallon.cli import divert_unless_verbose, diverted, init_ray, log_to_file, run_folder, terminal
from gallon.config import Config, dump_yaml
from gallon.data.prepare import Prepared, prepare, write_prepared
from gallon.evaluation.summary import summarize_runs
from gallon.features.stage import featurize
from gallon.io import write_json, write_table, write_text
from gallon.lm.stage import EXPLANATIONS, lm_splits
from gallon.progress import RunProgress, run_steps
from gallon.report.markdown import write_report
from gallon.roles import asks_llm, own_student_features, transfer_size
from gallon.storage import Storage
from gallon.train.stage import RunContext

logger = logging.getLogger(__name__)


@dataclass
class Inputs:
    """Everything the training stages of a run read, plus what the report needs."""

    ctx: RunContext
    prepared: Prepared
    errors: pa.Table  # every rejected row of every stage so far
    sections: list[str]  # extra Markdown sections for the report (the explain stage's)
    progress: RunProgress  # the run's display; the training steps are the caller's to mark
    restore_output: Callable[[], None] = lambda: None  # undoes `divert_output`

    def close(self, failed: bool = False) -> None:
        """End the display and give the terminal back its stdout and stderr (idempotent)."""
        self.progress.close(failed)
        self.restore_output()

    @property
    def out(self) -> Path:
        return self.ctx.out

    @property
    def n_molecules(self) -> int:
        return self.prepared.molecules.num_rows - self.ctx.features.errors.num_rows


def prepare_inputs(
    cfg: Config, out: Path | None = None, progress: bool = False, verbose: bool = True
) -> Inputs:
    """Validate and load the data (before Ray), start Ray, featurize, explain if an LM is trained.

    Writes config.yaml, molecules/splits/dataset files, features/, explanations,
    errors.parquet and run.log (the driver's log lines) into the run folder (`out`, default
    from `cfg.run.out`). `progress`: show the run's progress display on stderr; `verbose`:
    the workers' and Ray's own output on the terminal too. Not `verbose`, on a local Ray:
    that output goes to the run folder's ray.log instead, until `Inputs.close()` (the
    caller's to call, also after an error).
    """
    prepared = prepare(cfg.data, cfg.split)  # all input checks happen here, before Ray
    cfg = cfg.for_task(prepared.info.task)
    out = out or run_folder(cfg, prepared.info.name)
    out.mkdir(parents=True, exist_ok=True)
    log_to_file(out / "run.log")
    write_text(dump_yaml(cfg), out / "config.yaml")
    write_prepared(prepared, cfg.split, out)
    n_train = len((prepared.splits or {}).get("train", prepared.written))
    # under `ray job submit` the driver's output is the job's log (`ray job logs`): kept
    restore = divert_unless_verbose(out / "ray.log", verbose)
    steps = run_steps(cfg, prepared.molecules.num_rows, n_train)
    shown = RunProgress(steps, enabled=progress, stream=terminal())
    try:
        ctx, all_errors, sections = _prepare(cfg, prepared, out, shown, verbose, diverted())
    except BaseException:
        shown.close(failed=True)
        restore()  # the error's sentence or traceback reaches the terminal
        raise
    return Inputs(ctx, prepared, all_errors, sections, shown, restore)


def _prepare(
    cfg: Config, prepared: Prepared, out: Path, shown: RunProgress, verbose: bool, diverted: bool
) -> tuple[RunContext, pa.Table, list[str]]:
    """Ray, features, explanations and the transfer set: the part of a run's preparation that
    can fail after the output is diverted."""
    init_ray(cfg, verbose, relay_workers=verbose or diverted)
    if diverted:
        logger.info("Ray's, vLLM's and the workers' own output: %s", out / "ray.log")
    f, info = cfg.features, prepared.info
    sizes = (f.batch_size, f.concurrency, f.in_driver_below)
    with shown.step("features"):
        features = featurize(out / "molecules.parquet", out, f.atoms, *sizes)
        student_features = None
        if own_student_features(cfg):  # the graph-free models' own featurisation
            student_features = featurize(
                out / "molecules.parquet", out / "student_features", f.student_atoms, *sizes
            )
    errors, sections = [prepared.errors, features.errors], []
    if student_features is not None:
        errors.append(student_features.errors)
    if "lm" in cfg.run.roles and not asks_llm(cfg):
        from gallon.explain.stage import without_explanations

        # the LM teacher reads the SMILES line alone: an LLM pass would be hours on a big set
        logger.info("lm.text is smiles: the LM teacher reads no explanation, no LLM is asked")
        write_table(without_explanations(_lm_molecules(cfg, prepared)), out / EXPLANATIONS)
        sections.append(
            "## Explanations\n\nNone: `lm.text: smiles`, the LM teacher reads the SMILES line "
            "alone, so no LLM was asked."
        )
    elif asks_llm(cfg):
        from gallon.explain.stage import explain_molecules, report_section

        explain = cfg.explain
        if cfg.run.storage and not explain.cache_dir:  # one cache for every node and run
            explain = replace(explain, cache_dir=Storage(cfg.run.storage).uri("explanations"))
        molecules = _lm_molecules(cfg, prepared)
        with shown.step("explanations"):
            table, explain_errors, stats = explain_molecules(
                molecules, info.name, list(info.targets), info.task, explain
            )
        write_table(table, out / EXPLANATIONS)
        write_json(stats.as_dict(), out / "explain_stats.json")
        errors.append(explain_errors)
        section = report_section(table, stats, cfg.lm.missing_explanation)
        if molecules.num_rows < prepared.molecules.num_rows:
            section += (
                f"\n\n`lm.subset`: {molecules.num_rows} of {prepared.molecules.num_rows} "
                "molecules were explained: a seeded sample of the training molecules, which the "
                "LM teacher trained on and students distil it on, and every validation and test "
                "molecule. Every other role trains on every training molecule."
            )
        sections.append(section)
    all_errors = pa.concat_tables(errors)
    write_table(all_errors, out / "errors.parquet")
    ctx = RunContext(cfg, out, info, features, prepared.splits, student_features)
    if transfer_size(cfg):  # a GNN-only run (a teacher benchmark) has no use for one
        with shown.step("transfer set"):
            ctx.transfer = _transfer_set(cfg, prepared, out)
    ctx.publish()  # training workers on other nodes read features and explanations from there
    return ctx, all_errors, sections


def _lm_molecules(cfg: Config, prepared: Prepared) -> pa.Table:
    """The molecules the LLM explains: all, or with `lm.subset` the LM teacher's sample of the
    training molecules plus every validation and test molecule."""
    sample = lm_splits(cfg, prepared.splits)
    if sample is prepared.splits:
        return prepared.molecules
    rows = sorted(r for name in ("train", "val", "test") for r in sample[name])
    logger.info(
        "lm.subset: the LM teacher trains on %d of %d training molecules (seed %d); the LLM "
        "explains those and the %d validation and %d test molecules",
        len(sample["train"]),
        len(prepared.splits["train"]),
        cfg.lm.subset_seed,
        len(sample["val"]),
        len(sample["test"]),
    )
    keep = pc.is_in(prepared.molecules.column("row"), value_set=pa.array(rows, pa.int64()))
    return prepared.molecules.filter(keep)


def _transfer_set(cfg: Config, prepared: Prepared, out: Path):
    from gallon.data.transfer import brics_analogues
    from gallon.train.transfer import prepare_transfer

    rows = prepared.molecules.column("row").to_pylist()
    held = set(prepared.splits["val"]) | set(prepared.splits["test"])
    written = [s for r, s in zip(rows, prepared.written) if r in held]
    train = set(prepared.splits["train"])
    train_written = [s for r, s in zip(rows, prepared.written) if r in train]
    d = cfg.distill
    # pool `similar` ranks the candidates by nearness to the training molecules; pool `brics`
    # makes its candidates from their fragments (twice the size: the leak filter drops some)
    near = train_written if d.transfer_pool == "similar" else None
    candidates = None
    if d.transfer_pool == "brics":
        candidates = brics_analogues(train_written, 2 * d.transfer, d.transfer_seed)
    own = prepared.molecules.column("smiles").to_pylist()
    f = cfg.features
    return prepare_transfer(
        out,
        own,
        written,
        d.transfer,
        d.transfer_seed,
        f.student_atoms or f.atoms,  # only the graph-free student trains on the transfer set
        f.batch_size,
        f.concurrency,
        near,
        f.in_driver_below,
        candidates,
    )


def finish_run(
    inputs: Inputs,
    runs: list,
    started: float,
    extra: dict[str, Any] | None = None,
    sections: list[Callable[[dict[str, Any]], str]] | None = None,
) -> dict[str, Any]:
    """Summarise the trained models into metrics.json and report.md; returns the metrics.

    `extra` adds top-level keys to metrics.json; `sections` are Markdown sections built from the
    metrics (called with them) appended to the report after the pipeline's own.
    """
    cfg, info = inputs.ctx.cfg, inputs.ctx.info
    metrics = summarize_runs(
        runs,
        info.to_dict(),
        {"method": cfg.split.method, **inputs.prepared.splits},
        n_molecules=inputs.n_molecules,
        n_rejected=len(inputs.errors),
        seeds=list(cfg.run.seeds),
    )
    metrics.update(extra or {})
    metrics["wall_seconds"] = round(time.perf_counter() - started, 1)
    write_json(metrics, inputs.out / "metrics.json")
    built = [make(metrics) for make in (sections or [])]
    write_report(inputs.out, metrics, [*inputs.sections, *built])
    inputs.ctx.publish()
    return metrics
