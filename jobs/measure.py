"""Run any command and record the memory of its whole process tree over time.

    python jobs/measure.py --timeline runs/bench/sweep-esol-memory.csv -- \\
        python jobs/sweep.py --dataset esol --trials 24

Prints wall time, peak summed RSS, peak summed PSS (shared pages split among their processes:
the honest total) and the largest process; `--timeline` writes one CSV row per sample.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gallon.measure import run_measured, write_timeline


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", type=Path, default=Path("runs/measure.log"))
    parser.add_argument("--timeline", type=Path, help="CSV of the samples")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between samples")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command")
    args = parser.parse_args(argv)
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not cmd:
        parser.error("give the command to measure after --")
    m = run_measured(cmd, args.log, args.interval)
    if args.timeline:
        args.timeline.parent.mkdir(parents=True, exist_ok=True)
        write_timeline(m, args.timeline)
    summary = {k: v for k, v in vars(m).items() if k not in ("timeline", "at_peak")}
    summary["processes_at_peak_pss"] = m.at_peak
    print(json.dumps({"command": " ".join(cmd), **summary}))
    return m.returncode


if __name__ == "__main__":
    sys.exit(main())
