"""Ablations of GALLON in one command: which teacher and which modality adds how much.

    python jobs/ablate.py --dataset bbbp --seeds 0,1,2 --out runs/ablate-bbbp [--with-image]
    python jobs/ablate.py --dataset esol --out runs/ablate-esol-lm --lm-only   # part 2 only

1. student distilled from {none (= plain MLP), GNN, LM, GNN+LM};
2. LM teacher on the SMILES line only vs SMILES + explanation vs SMILES + RDKit's facts
   (`explain.backend: rdkit`, not an LLM: the control for "any text about chemistry");
3. explanation inputs {SMILES, + bond list, + image (only with --with-image: the model must be a
   vision-language model)}: LM teacher and two-teacher student per variant.
Every variant is a run_all run in <out>/<variant>; identical models are reused across variants.
The Markdown table lands in <out>/ablation.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gallon.commands import run as run_all
from gallon.evaluation.ablation import ablation_table

ALL_STUDENTS = "[lm,gnn,mlp,student,student_gnn,student_lm]"


def _run(out: Path, name: str, base: list[str], *sets: str) -> dict:
    argv = [*base, "--out", str(out / name), "--quiet"]
    for s in sets:
        argv += ["--set", s]
    if run_all.main(argv) != 0:
        raise SystemExit(f"variant {name} failed")
    return json.loads((out / name / "metrics.json").read_text())


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="bbbp")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--out", type=Path, default=Path("runs/ablate"))
    p.add_argument("--config", action="append", default=[])
    p.add_argument("--set", action="append", default=[], dest="overrides")
    p.add_argument("--with-image", action="store_true", help="also the diagram (VLMs only)")
    p.add_argument(
        "--lm-only",
        action="store_true",
        help="only the LM teacher's input rows (no students, no bond-list variant)",
    )
    args = p.parse_args()
    base = ["--dataset", args.dataset, "--seeds", args.seeds]
    base += [f"--config={c}" for c in args.config] + [f"--set={o}" for o in args.overrides]

    lm_only = args.lm_only
    roles = "[lm]" if lm_only else "[lm,gnn,student]"  # of every variant but the first
    full_roles = "[lm]" if lm_only else ALL_STUDENTS
    runs = {
        "smiles": _run(args.out, "smiles", base, f"run.roles={full_roles}", "explain.bonds=false")
    }
    runs["lm_smiles_only"] = _run(
        args.out, "lm_smiles_only", base, f"run.roles={roles}", "explain.bonds=false",
        "lm.text=smiles",
    )  # fmt: skip
    # RDKit's facts in place of the LLM's text: separates "text about chemistry helps the LM
    # teacher" from "this LLM knows chemistry" (explain.backend rdkit is not an LLM)
    runs["rdkit_facts"] = _run(
        args.out, "rdkit_facts", base, f"run.roles={roles}", "explain.backend=rdkit"
    )
    if not lm_only:
        runs["bonds"] = _run(args.out, "bonds", base, f"run.roles={roles}", "explain.bonds=true")
    if args.with_image and not lm_only:
        runs["image"] = _run(
            args.out, "image", base, f"run.roles={roles}", "explain.bonds=true",
            "explain.image=true",
        )  # fmt: skip
    text = ablation_table(runs, args.seeds, lm_only)
    (args.out / "ablation.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
