"""What every entry script shares: common flags, config loading, the run folder, error exits."""

from __future__ import annotations

import argparse
import functools
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gallon.config import Config, load_config
from gallon.config.validate import validate_names
from gallon.errors import EXIT_USAGE, GallonError

logger = logging.getLogger("gallon")


def base_parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="YAML",
        help="config file(s), merged in order over the defaults",
    )
    p.add_argument(
        "--params",
        metavar="YAML",
        help="tuned settings (a sweep's best.yaml), merged over --config, under --set",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        dest="overrides",
        metavar="KEY=VALUE",
        help="override one config key, e.g. --set distill.alpha=0.5",
    )
    p.add_argument(
        "--dataset", help="bundled dataset name (bbbp, esol, ...) or a .csv/.parquet path"
    )
    p.add_argument("--smiles-column", help="SMILES column of a user file")
    p.add_argument("--targets", help="comma-separated label column(s) of a user file")
    p.add_argument("--task", choices=("classification", "regression"))
    p.add_argument("--seeds", help="comma-separated seeds, e.g. 0,1,2")
    p.add_argument("--out", help="run folder (default runs/<dataset>-<timestamp>)")
    p.add_argument("-q", "--quiet", action="store_true", help="only warnings and the summary")
    return p


def config_from_args(args: argparse.Namespace) -> Config:
    """Defaults ← --config files ← the flags above ← --set overrides."""
    extra: dict[str, Any] = {}
    data = {
        k: v
        for k, v in (
            ("dataset", args.dataset),
            ("smiles_column", args.smiles_column),
            ("task", args.task),
        )
        if v is not None
    }
    if args.targets:
        data["targets"] = [t.strip() for t in args.targets.split(",") if t.strip()]
    if data:
        extra["data"] = data
    run: dict[str, Any] = {}
    if args.seeds:
        run["seeds"] = args.seeds
    if args.out:
        run["out"] = args.out
    if run:
        extra["run"] = run
    # The defaults are the schema's (gallon.config.schema; jobs/configs/default.yaml is their
    # dump), so they come with the installed package; each --config file merges over them.
    paths = list(args.config)
    if getattr(args, "params", None):
        paths = [*paths, args.params]
    cfg = load_config(paths, args.overrides, extra)
    validate_names(cfg)
    return cfg


def run_folder(cfg: Config, name: str) -> Path:
    out = (
        Path(cfg.run.out)
        if cfg.run.out
        else Path("runs") / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    )
    out.mkdir(parents=True, exist_ok=True)
    return out.resolve()


def setup_logging(quiet: bool = False) -> None:
    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO,
        format="%(asctime)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )


def exits_cleanly(main: Callable[..., int | None]) -> Callable[..., int]:
    """Turn a GallonError into its one sentence on stderr and exit code 2 (no traceback)."""

    @functools.wraps(main)
    def wrapper(*args: Any, **kwargs: Any) -> int:
        try:
            return main(*args, **kwargs) or 0
        except GallonError as err:
            print(f"error: {err}", file=sys.stderr)
            return EXIT_USAGE

    return wrapper


def init_ray(cfg: Config) -> None:
    """Join the cluster named by RAY_ADDRESS (ray job submit) or start a local Ray."""
    import os

    import ray

    if ray.is_initialized():
        return
    if os.environ.get("RAY_ADDRESS"):
        ray.init()
        return
    # A local Ray trains many small models in a row: Train's controller polls every 2 s by default
    # and starts a preemption watcher (useful on spot clusters, not on a laptop); both add ~7 s
    # per model on 2 cores. The dashboard stays on: Train's state checks need it.
    os.environ.setdefault("RAY_TRAIN_HEALTH_CHECK_INTERVAL_S", "0.25")
    os.environ.setdefault("RAY_TRAIN_ENABLE_PREEMPTION_WATCHER", "0")
    ray.init(num_cpus=cfg.run.num_cpus)
