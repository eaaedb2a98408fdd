"""The screening output folder: a user's files are never deleted.

`--output` may be a new folder, an empty one, or a previous screening output of gallon's (only
Parquet shards and `_summary.json`), which is replaced. Anything else is refused with one
sentence unless `--overwrite` is given, and even then never the working folder, one of its
parents, the home folder, nor a folder that holds the input or the model.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from gallon.errors import InputError

SUMMARY = "_summary.json"


def is_screening_output(folder: Path) -> bool:
    """Only what `jobs/screen.py` writes: Parquet shards and the summary."""
    names = [p for p in folder.iterdir()]
    return (folder / SUMMARY).is_file() and all(
        p.is_file() and (p.suffix == ".parquet" or p.name == SUMMARY) for p in names
    )


def _protected(folder: Path, keep: list[Path]) -> str | None:
    here, home = Path.cwd().resolve(), Path.home().resolve()
    if folder == here or folder in here.parents:
        return "it is the working folder or one of its parents"
    if folder == home or folder == Path(folder.anchor):
        return "it is the home folder or the filesystem root"
    for path in keep:
        if path == folder or folder in path.parents:
            return f"it holds {path}"
    return None


def prepare_output(output: str | Path, overwrite: bool, keep: list[str | Path]) -> Path:
    """Make `output` ready for a fresh write; raise InputError instead of deleting a user's file.

    keep: paths that must survive (the input library, the model folder).
    """
    folder = Path(output).resolve()
    if folder.exists() and not folder.is_dir():
        raise InputError(f"--output {output} is a file, not a folder; choose another --output.")
    if not folder.exists() or not any(folder.iterdir()):
        return folder
    reason = _protected(folder, [Path(p).resolve() for p in keep])
    if reason is not None:
        raise InputError(f"--output {output} cannot be replaced: {reason}.")
    if not (is_screening_output(folder) or overwrite):
        raise InputError(
            f"--output {output} exists and is not a screening output of gallon's; choose a new "
            "folder, or pass --overwrite to replace it."
        )
    shutil.rmtree(folder)
    return folder
