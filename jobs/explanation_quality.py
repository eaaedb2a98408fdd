"""How good are the explanations? Near-duplicates and functional groups named correctly.

    python jobs/explain.py --dataset bbbp --set data.subset=300 --out runs/expl-smollm2
    python jobs/explain.py --dataset bbbp --set data.subset=300 --set explain.backend=rdkit \
        --out runs/expl-rdkit
    python jobs/explanation_quality.py runs/expl-smollm2 runs/expl-rdkit

Reads each run folder's explanations.parquet (or a Parquet file given directly) and prints one
JSON line per source with the measures of gallon.explain.quality.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pyarrow.compute as pc

from gallon.explain.quality import measure
from gallon.io import read_table


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("sources", nargs="+", type=Path, help="run folders or explanations.parquet")
    args = p.parse_args(argv)
    for source in args.sources:
        path = source / "explanations.parquet" if source.is_dir() else source
        table = read_table(path, ("smiles", "explanation", "model"))
        ok = table.filter(pc.is_valid(table.column("explanation")))
        quality = measure(ok.column("smiles").to_pylist(), ok.column("explanation").to_pylist())
        models = sorted(set(ok.column("model").to_pylist()))
        print(json.dumps({"source": str(source), "model": models, **quality.as_dict()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
