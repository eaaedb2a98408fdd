"""Train chemprop v2 with its defaults on the identical split of finished gallon runs.

    make chemprop-venv                                   # once: chemprop in .venv-chemprop
    python jobs/compare_chemprop.py runs/bench/bbbp runs/bench/esol --seeds 0,1,2

For each run folder it writes the run's molecules as chemprop's CSV (the SMILES as written in
the input file, targets), the split as chemprop's --splits-file (positions in that CSV, from
splits.json), trains one model per seed (`chemprop train ... --data-seed S --pytorch-seed S`,
everything else at chemprop's defaults, one CPU thread), scores its test predictions and, with
`chemprop predict`, its validation predictions with gallon's metrics, and writes
<run>/chemprop/summary.json. Validation is what gallon selects on, so it shows whether a gap on
test is one validation could have seen. A seed trained earlier on identical inputs (the same
data.csv, splits.json and flags) is reused, so a comparison that was stopped (HIV's chemprop
takes hours per seed) goes on from its last finished seed when run again. `--validation-only`
scores the models a finished comparison left (no training):

    python jobs/compare_chemprop.py runs/bench/esol --validation-only
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from gallon.evaluation.metrics import evaluate, summarize

# `make chemprop-venv` installs it into .venv-chemprop of the checkout; else it is on PATH.
DEFAULT_CHEMPROP = Path(shutil.which("chemprop") or Path(".venv-chemprop/bin/chemprop").resolve())


def export(run: Path, out: Path) -> tuple[dict, np.ndarray, dict[str, list[int]]]:
    """data.csv, val.csv and splits.json for chemprop; returns (dataset info, labels (N, T),
    positions in data.csv per split)."""
    info = json.loads((run / "dataset.json").read_text())
    mols = pq.read_table(run / "molecules.parquet").to_pydict()
    y = np.asarray(mols["y"], dtype=float)
    column = info["smiles_column"]
    if info["source"].endswith(".parquet"):
        source = pd.read_parquet(info["source"], columns=[column])
    else:
        source = pd.read_csv(info["source"], usecols=[column])
    written = source[column].iloc[mols["row"]].astype(str).str.strip()
    frame = pd.DataFrame({"smiles": written.to_numpy()})
    for j, target in enumerate(info["targets"]):
        frame[target] = y[:, j]
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / "data.csv", index=False)
    position = {row: i for i, row in enumerate(mols["row"])}
    splits = json.loads((run / "splits.json").read_text())
    chosen = {
        name: [position[r] for r in splits[name] if r in position]
        for name in ("train", "val", "test")
    }
    (out / "splits.json").write_text(json.dumps([chosen]))
    frame.iloc[chosen["val"]].to_csv(out / "val.csv", index=False)
    return info, y, chosen


def train(chemprop: Path, out: Path, info: dict, seed: int, extra: list[str]) -> float:
    started = time.perf_counter()
    _run(
        [
            str(chemprop),
            "train",
            "-i",
            str(out / "data.csv"),
            "-s",
            "smiles",
            "--target-columns",
            *info["targets"],
            "-t",
            info["task"],
            "--splits-file",
            str(out / "splits.json"),
            "-o",
            str(out / f"seed_{seed}"),
            "--data-seed",
            str(seed),
            "--pytorch-seed",
            str(seed),
            *extra,
        ]
    )
    return time.perf_counter() - started


def _inputs_key(out: Path, seed: int, extra: list[str]) -> str:
    """What a seed's model depends on: the exported data and split, the seed and the flags."""
    digest = hashlib.sha256()
    for name in ("data.csv", "splits.json"):
        digest.update((out / name).read_bytes())
    digest.update(json.dumps([seed, extra]).encode())
    return digest.hexdigest()


def _trained_seed(
    chemprop: Path, out: Path, info: dict, seed: int, extra: list[str]
) -> tuple[float, bool]:
    """Train one seed, or reuse the one an earlier run finished on identical inputs; returns
    (training seconds, reused). A seed folder without the marker of a finished training (a run
    stopped mid-seed) is moved aside, never deleted, and the seed trains again."""
    folder, key = out / f"seed_{seed}", _inputs_key(out, seed, extra)
    marker = folder / "gallon_trained.json"
    if marker.is_file():
        done = json.loads(marker.read_text())
        if done.get("inputs") == key:
            return float(done["train_seconds"]), True
    if folder.exists():
        stamp, n = time.strftime("%Y%m%d-%H%M%S"), 0
        while (aside := folder.with_name(f"{folder.name}.earlier-{stamp}-{n}")).exists():
            n += 1
        folder.rename(aside)
        print(f"chemprop seed {seed}: an unfinished or different earlier training moved to {aside}")
    wall = train(chemprop, out, info, seed, extra)
    marker.write_text(json.dumps({"inputs": key, "train_seconds": wall}))
    return wall, False


def _run(command: list[str]) -> None:
    """One chemprop command on one CPU thread (as the side-by-side benchmark budgets it)."""
    subprocess.run(
        command,
        check=True,
        env={**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_predictions(folder: Path, targets: list[str]) -> np.ndarray:
    (path,) = sorted(folder.rglob("test_predictions.csv"))[:1]
    return pd.read_csv(path)[targets].to_numpy(dtype=float)


def val_predictions(chemprop: Path, out: Path, seed: int, targets: list[str]) -> np.ndarray:
    """The seed's trained model (`chemprop predict`) on val.csv → (N_val, T) predictions."""
    folder = out / f"seed_{seed}"
    (model,) = sorted(folder.rglob("best.pt"))[:1]
    preds = folder / "val_predictions.csv"
    command = [str(chemprop), "predict", "-i", str(out / "val.csv"), "-s", "smiles"]
    command += ["--model-paths", str(model), "-o", str(preds)]
    _run(command)
    return pd.read_csv(preds)[targets].to_numpy(dtype=float)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", type=Path)
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--chemprop", type=Path, default=DEFAULT_CHEMPROP)
    p.add_argument("--extra", default="", help="extra chemprop train flags, e.g. '--epochs 30'")
    p.add_argument(
        "--validation-only",
        action="store_true",
        help="train nothing: add the validation metric of the models an earlier comparison left",
    )
    args = p.parse_args(argv)
    if not args.chemprop.exists():
        print(f"error: {args.chemprop} not found; run make chemprop-venv first.", file=sys.stderr)
        return 2
    seeds = [int(s) for s in args.seeds.split(",")]
    for run in args.runs:
        if args.validation_only:
            print(json.dumps(add_validation(run, seeds, args.chemprop)))
        else:
            print(json.dumps(compare(run, seeds, args.chemprop, args.extra)))
    return 0


def compare(
    run: Path, seeds: list[int], chemprop: Path = DEFAULT_CHEMPROP, extra: str = ""
) -> dict:
    """Train chemprop on the run's split for each seed; writes and returns the summary."""
    out = run / "chemprop"
    info, y, split = export(run, out)
    scores, walls = [], []
    for seed in seeds:
        wall, reused = _trained_seed(chemprop, out, info, seed, extra.split())
        walls.append(wall)
        pred = test_predictions(out / f"seed_{seed}", info["targets"])
        scores.append(evaluate(info["task"], y[split["test"]], pred)[info["metric"]])
        print(
            f"chemprop {info['name']} seed {seed}: test {info['metric']} {scores[-1]:.4f} "
            f"({wall:.0f} s{', reused from an earlier run' if reused else ''})",
            flush=True,
        )
    summary = {
        "dataset": info["name"],
        "metric": info["metric"],
        "seeds": seeds,
        "val": _validation(chemprop, out, info, y, split["val"], seeds),
        "test": summarize(scores),
        "train_seconds": summarize(walls),
        "chemprop_flags": extra or "defaults",
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def add_validation(run: Path, seeds: list[int], chemprop: Path = DEFAULT_CHEMPROP) -> dict:
    """Score an earlier comparison's models on the validation split; updates its summary."""
    out = run / "chemprop"
    path = out / "summary.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run the comparison first.")
    summary = json.loads(path.read_text())
    info, y, split = export(run, out)
    summary["val"] = _validation(chemprop, out, info, y, split["val"], seeds)
    path.write_text(json.dumps(summary, indent=2))
    return summary


def _validation(
    chemprop: Path, out: Path, info: dict, y: np.ndarray, val: list[int], seeds: list[int]
) -> dict:
    scores = []
    for seed in seeds:
        pred = val_predictions(chemprop, out, seed, info["targets"])
        scores.append(evaluate(info["task"], y[val], pred)[info["metric"]])
    return summarize(scores)


if __name__ == "__main__":
    sys.exit(main())
