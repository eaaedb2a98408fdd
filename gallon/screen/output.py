"""The screening output folder: a user's files are never deleted.

`--output` may be a new folder, an empty one, or a previous output of gallon's, which is
replaced: a screening output (Parquet shards, `_summary.json`, optionally `_predictions.csv` and
`_ray.log`) or an
export (`export.json`, ONNX models, `featurizer.json`). Anything else is refused with one
sentence unless `--overwrite` is given, and even then never the working folder, one of its
parents, the home folder, nor a folder that holds the input or the model.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from gallon.errors import InputError

SUMMARY = "_summary.json"
CSV = "_predictions.csv"  # "_": Parquet readers of the folder skip it, as _summary.json
RAY_LOG = "_ray.log"  # Ray's and the scoring actors' own output, without -v
MANIFEST = "export.json"  # gallon/screen/export.py writes it

# (the file that marks the output, the suffixes and names it may hold besides)
_OUTPUTS = (
    (SUMMARY, (".parquet",), (CSV, RAY_LOG)),
    (MANIFEST, (".onnx",), ("featurizer.json",)),
)


def is_screening_output(folder: Path) -> bool:
    """Only what `jobs/screen.py` writes: a screening output or an export, nothing else (an
    interrupted screening, shards and `_ray.log` without `_summary.json`, counts too)."""
    files = list(folder.iterdir())
    for marker, suffixes, names in _OUTPUTS:
        marked = (folder / marker).is_file() or (marker == SUMMARY and (folder / RAY_LOG).is_file())
        if marked and all(
            p.is_file() and (p.suffix in suffixes or p.name in (marker, *names)) for p in files
        ):
            return True
    return False


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


def write_csv(output: Path) -> Path:
    """_predictions.csv beside the shards, rows in input order (by file, then row).

    Read whole into memory to sort, and sorted into a copy: about twice (SMILES + id + 8 bytes
    per prediction column) per row, ~0.3 GB per million molecules with one target."""
    import pyarrow.csv as pacsv
    import pyarrow.dataset as pads

    table = pads.dataset(str(output), format="parquet").to_table()
    keys = [(c, "ascending") for c in ("file", "row") if c in table.column_names]
    path = output / CSV
    pacsv.write_csv(table.sort_by(keys), path)
    return path
