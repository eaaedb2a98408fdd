"""What every entry script shares: common flags, config loading, the run folder, error exits."""

from __future__ import annotations

import argparse
import contextlib
import functools
import logging
import os
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
    p.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="every log line on the terminal: per-epoch lines, Ray's and vLLM's own output",
    )
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


LOG_FORMAT = "%(asctime)s %(name)s: %(message)s"
_HANDLERS: dict[str, logging.Handler] = {}  # gallon's own: the terminal's and the run.log's
_TERMINAL: Any = None  # a copy of the terminal's stderr while `divert_output` is on


def _install(key: str, handler: logging.Handler, level: int, datefmt: str) -> None:
    root = logging.getLogger()
    if key in _HANDLERS:  # a second job in this process: replace, never stack
        old = _HANDLERS.pop(key)
        root.removeHandler(old)
        old.close()
    handler.setFormatter(logging.Formatter(LOG_FORMAT, datefmt))
    handler.setLevel(level)
    root.addHandler(handler)
    root.setLevel(min(root.level or logging.INFO, logging.INFO))
    _HANDLERS[key] = handler


def setup_logging(quiet: bool = False, terminal: int = logging.INFO) -> None:
    """Log lines to stderr: warnings only with `quiet`, else from the `terminal` level up (jobs
    with a progress display pass WARNING and keep INFO for their run.log)."""
    level = logging.WARNING if quiet else terminal
    _install("terminal", logging.StreamHandler(sys.stderr), level, "%H:%M:%S")


def log_to_file(path: Path) -> None:
    """From now on every INFO line of the driver also goes to `path` (the run folder's run.log;
    a later run in the same process moves it to that run's)."""
    _install("file", logging.FileHandler(path, encoding="utf-8"), logging.INFO, "%Y-%m-%d %H:%M:%S")


def divert_output(path: Path) -> Callable[[], None]:
    """Send what is written straight to this process's stdout and stderr (file descriptors 1
    and 2: Ray core's C++ lines, vLLM's prints, the workers' lines that Ray relays to the
    driver) to `path`, while gallon's own terminal lines (its log handler, the progress
    display through `terminal()`) keep the terminal. Returns the function that undoes it.

    A no-op when stderr is not file descriptor 2 (pytest's capture, a notebook): nothing is
    written to the terminal through it then."""
    try:
        real = sys.stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):
        real = False
    if not real:
        return lambda: None
    global _TERMINAL
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = (os.dup(1), os.dup(2))
    _TERMINAL = os.fdopen(os.dup(2), "w", buffering=1, encoding="utf-8", errors="replace")
    log = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.environ["RAY_COLOR_PREFIX"] = "0"  # the relayed lines' prefixes without colour codes
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    handler = _HANDLERS.get("terminal")
    previous = handler.setStream(_TERMINAL) if isinstance(handler, logging.StreamHandler) else None

    def restore() -> None:
        global _TERMINAL
        if _TERMINAL is None:
            return
        # Ray relays the workers' lines asynchronously, so a worker's last words (a traceback
        # from its exit) can arrive after the job is done: stop the local Ray this job started
        # while its output still goes to the file.
        ray = sys.modules.get("ray")
        if ray is not None and ray.is_initialized():
            ray.shutdown()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)
        if previous is not None:
            handler.setStream(previous)
        _TERMINAL.close()
        _TERMINAL = None

    return restore


def divert_unless_verbose(path: Path, verbose: bool) -> Callable[[], None]:
    """`divert_output(path)` for a job on a local Ray without -v; a no-op with -v or under
    `ray job submit` (RAY_ADDRESS), where the driver's output is the job's log. Returns the
    function that undoes it."""
    if verbose or os.environ.get("RAY_ADDRESS"):
        return lambda: None
    return divert_output(path)


def diverted() -> bool:
    """Whether this process's output is diverted now (`terminal()` is then a copy of it)."""
    return _TERMINAL is not None


def terminal() -> Any:
    """The stream that reaches the user's terminal: stderr, or its copy while output is
    diverted (`divert_output`)."""
    return _TERMINAL if _TERMINAL is not None else sys.stderr


def _user_error(err: BaseException) -> GallonError | None:
    """The GallonError behind `err`: itself, or one raised in a Ray task or actor (Ray wraps
    those, keeping the original as `cause` / `__cause__`), else None."""
    seen = 0
    while err is not None and seen < 8:
        if isinstance(err, GallonError) and not hasattr(err, "cause"):
            return err
        err = getattr(err, "cause", None) or err.__cause__
        seen += 1
    return None


def exits_cleanly(main: Callable[..., int | None]) -> Callable[..., int]:
    """Turn a GallonError into its one sentence on stderr and exit code 2 (no traceback)."""

    @functools.wraps(main)
    def wrapper(*args: Any, **kwargs: Any) -> int:
        try:
            return main(*args, **kwargs) or 0
        except Exception as err:
            user = _user_error(err)
            if user is None:
                raise
            print(f"error: {user}", file=sys.stderr)
            return EXIT_USAGE

    return wrapper


def init_ray(cfg: Config, verbose: bool = True, relay_workers: bool | None = None) -> None:
    """Join the cluster named by RAY_ADDRESS (ray job submit) or start a local Ray.

    Not `verbose`, on a local Ray: the workers' output (per-epoch lines, vLLM's engine logs) and
    Ray's and Ray Data's own lines stay in Ray's session logs instead of the terminal. Under
    `ray job submit` the workers' output stays in the job's logs (`ray job logs`), the only place
    a cluster user sees it. `relay_workers` (default: `verbose`) has a local Ray print the
    workers' output in this process anyway: where `divert_output` sends it to the run folder."""
    import ray

    if ray.is_initialized():
        return
    # "Started a local Ray instance" and the like, from ray.init itself
    level = logging.INFO if verbose else logging.WARNING
    if not verbose:
        # transformers' and the hub's bars (weights loading) here and in the workers, which
        # inherit this environment on a local Ray
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    if os.environ.get("RAY_ADDRESS"):
        ray.init(logging_level=level)
    else:
        # A local Ray trains many small models in a row: Train's controller polls every 2 s by
        # default and starts a preemption watcher (useful on spot clusters, not on a laptop);
        # both add ~7 s per model on 2 cores. The dashboard stays on: Train's state checks
        # need it.
        os.environ.setdefault("RAY_TRAIN_HEALTH_CHECK_INTERVAL_S", "0.25")
        os.environ.setdefault("RAY_TRAIN_ENABLE_PREEMPTION_WATCHER", "0")
        relay = verbose if relay_workers is None else relay_workers
        ray.init(num_cpus=cfg.run.num_cpus, log_to_driver=relay, logging_level=level)
    if not verbose:
        quiet_ray()
    # where Ray's own and the workers' logs went (run.log keeps this line); a private API:
    # without it only the pointer is missing
    with contextlib.suppress(AttributeError):
        logs = ray._private.worker.global_worker.node.get_logs_dir_path()
        logger.info("Ray's and the workers' own logs: %s", logs)


def quiet_ray() -> None:
    """Ray's, Ray Data's and Ray Train's own INFO lines and Python warnings off the terminal
    (they stay in Ray's session logs); after ray.init, which sets Ray's loggers up."""
    import warnings

    import ray.data

    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.issue_detectors_config.detectors = []  # "operator uses N MiB" advice, every 30 s
    for name in ("ray", "ray.train", "ray.tune"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # Ray Data logs a failed task's traceback at ERROR before raising it here: the exception
    # itself still arrives (one sentence for a bad input, else its traceback), once
    logging.getLogger("ray.data").setLevel(logging.CRITICAL)
    # ... and the warning that we turned Ray Data's progress bars off (ours is on)
    logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module=r"ray(\..*)?")
