"""The `gallon` command: `gallon run | explain | sweep | screen | export | compare`.

Each subcommand is one job module here with a `main(argv)`; `jobs/<job>.py` are the same jobs as
scripts (what `ray job submit -- python jobs/run_all.py` runs). `gallon <command> --help` lists
a command's flags.
"""

from __future__ import annotations

import importlib
import sys

# command → (module, extra leading arguments, one line of help)
COMMANDS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "run": ("run", (), "train the whole method on a dataset (jobs/run_all.py)"),
    "explain": ("explain", (), "explain molecules with an LLM, cached (jobs/explain.py)"),
    "sweep": ("sweep", (), "tune the distillation or a teacher on Ray Tune (jobs/sweep.py)"),
    "screen": ("screen", (), "score a molecule library with trained models (jobs/screen.py)"),
    "export": ("screen", ("--export", "onnx"), "export the students to ONNX, every seed"),
    "compare": ("compare", (), "train chemprop v2 on finished runs' splits"),
}


def usage() -> str:
    lines = ["usage: gallon <command> [flags]   (gallon <command> --help for its flags)", ""]
    lines += [f"  {name:<9} {text}" for name, (_, _, text) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"gallon: unknown command '{name}'\n\n{usage()}", file=sys.stderr)
        return 2
    module, extra, _ = COMMANDS[name]
    job = importlib.import_module(f"gallon.commands.{module}")
    sys.argv[0] = f"gallon {name}"  # argparse's usage line names the subcommand
    return int(job.main([*extra, *rest]) or 0)
