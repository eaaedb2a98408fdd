"""Benchmark the explanation stage against raw vLLM on the same prompts.

    python jobs/bench_explain.py --dataset bbbp [--limit 512] [--set explain.max_tokens=96]
    python jobs/bench_explain.py --dataset bbbp --limit 32 --raw-only \
        --set "explain.engine_kwargs={dtype: float32}"       # raw vLLM only, one engine setting

Runs, on the same machine and prompts: (1) `vllm.LLM.chat` in a plain process (engine start +
generation timed separately) and (2) gallon's Ray Data pipeline (`explain_molecules`, fresh
cache). Prints a JSON line and a Markdown row with wall times, output tokens/s and the Ray
pipeline's overhead. Both use the engine settings of `explain` in the config.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gallon.cli import base_parser, config_from_args, exits_cleanly, init_ray, setup_logging  # noqa: E402
from gallon.data.prepare import prepare  # noqa: E402


def raw_vllm(job: Path) -> None:
    """`--raw JOB.json`: construct vllm.LLM, generate all prompts, write timings back."""
    from vllm import LLM, SamplingParams

    spec = json.loads(job.read_text())
    t0 = time.perf_counter()
    llm = LLM(model=spec["model"], **spec["engine"])
    t1 = time.perf_counter()
    outs = llm.chat(spec["prompts"], SamplingParams(**spec["sampling"]), use_tqdm=False)
    t2 = time.perf_counter()
    result = {
        "start_s": t1 - t0,
        "generate_s": t2 - t1,
        "output_tokens": sum(len(o.outputs[0].token_ids) for o in outs),
        "prompt_tokens": sum(len(o.prompt_token_ids) for o in outs),
    }
    job.write_text(json.dumps(result))


def run_raw(model: str, engine: dict, prompts: list, sampling: dict) -> dict:
    """Raw vLLM in a separate plain process (as a user would run it), same prompts."""
    with tempfile.TemporaryDirectory() as tmp:
        job = Path(tmp) / "job.json"
        spec = {"model": model, "engine": engine, "prompts": prompts, "sampling": sampling}
        job.write_text(json.dumps(spec))
        subprocess.run([sys.executable, __file__, "--raw", str(job)], check=True)
        return json.loads(job.read_text())


@exits_cleanly
def main() -> int:
    p = base_parser(__doc__.splitlines()[0])
    p.add_argument("--limit", type=int, default=None, help="first N molecules only")
    p.add_argument("--raw-only", action="store_true", help="time raw vLLM only, not the pipeline")
    args = p.parse_args()
    setup_logging(args.quiet)
    cfg = config_from_args(args)
    prepared = prepare(cfg.data, cfg.split)
    molecules = prepared.molecules.slice(0, args.limit) if args.limit else prepared.molecules
    info, ec = prepared.info, cfg.explain

    from rdkit import Chem

    from gallon.explain.backends import engine_kwargs
    from gallon.explain.inputs import bond_lines, render_png
    from gallon.explain.models import resolve_model
    from gallon.explain.prompts import Modalities, build_messages, load_template
    from gallon.explain.stage import explain_molecules

    template = load_template(
        info.name,
        list(info.targets),
        info.task,
        Modalities(ec.smiles, ec.bonds, ec.image),
        ec.image_size,
        ec.prompt,
    )
    prompts = []
    for s in molecules.column("smiles").to_pylist():
        mol = Chem.MolFromSmiles(s)
        prompts.append(
            build_messages(
                template,
                s,
                bond_lines(mol) if ec.bonds else [],
                render_png(mol, ec.image_size) if ec.image else None,
            )
        )
    model = resolve_model(ec.model, ec.model_cache)
    engine = engine_kwargs(ec)
    raw = run_raw(model, engine, prompts, ec.sampling())
    if args.raw_only:
        tok_s = raw["output_tokens"] / raw["generate_s"]
        row = {"dataset": info.name, "molecules": len(prompts), "engine": engine, **raw}
        print(json.dumps(row))
        print(f"| {engine.get('dtype')} | {raw['start_s']:.0f} s | {tok_s:.1f} tokens/s |")
        return 0

    init_ray(cfg)
    with tempfile.TemporaryDirectory() as cache:
        t0 = time.perf_counter()
        _, _, stats = explain_molecules(
            molecules, info.name, list(info.targets), info.task, replace(ec, cache_dir=cache)
        )
        ray_s = time.perf_counter() - t0
    raw_s = raw["start_s"] + raw["generate_s"]
    result = {
        "dataset": info.name,
        "molecules": molecules.num_rows,
        "model": ec.model,
        "modalities": "+".join(template.modalities.names()),
        "max_tokens": ec.max_tokens,
        "batch_size": ec.batch_size,
        "engine": engine,
        "raw": raw,
        "raw_total_s": round(raw_s, 1),
        "raw_tok_per_s": round(raw["output_tokens"] / raw["generate_s"], 1),
        "ray_total_s": round(ray_s, 1),
        "ray_output_tokens": stats.output_tokens,
        "ray_tok_per_s": round(stats.output_tokens / ray_s, 1),
        "overhead_total": round(ray_s / raw_s - 1, 3),
        "failed": stats.failed,
    }
    print(json.dumps(result))
    print(
        f"| {info.name} | {molecules.num_rows} | {result['modalities']} | {ec.max_tokens} | "
        f"{raw_s:.0f} s ({raw['start_s']:.0f} s start) | {result['raw_tok_per_s']} | "
        f"{ray_s:.0f} s | {result['ray_tok_per_s']} | {100 * result['overhead_total']:+.0f} % |"
    )
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--raw":
        raw_vllm(Path(sys.argv[2]))
    else:
        sys.exit(main())
