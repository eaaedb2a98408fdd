"""Where explanations come from: the `explain.backend` registry.

Each backend names its source (part of every cache key, so answers of different sources never
mix) and turns the molecules still to ask into result batches with the backends'
`RESULT_COLUMNS`: an LLM behind a `ray.data.llm` processor (`vllm`, `openai`; `PreparePrompts`
renders the diagram, bond list and prompt on Ray Data workers), RDKit's facts (`rdkit`, not an
LLM), or a user's file (`file`, a join on the driver).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

import pyarrow as pa

from gallon.config.schema import ExplainConfig
from gallon.explain.prompts import Modalities, PromptTemplate

AnswerFn = Callable[[dict[str, str], ExplainConfig, PromptTemplate], Iterator[pa.Table]]


class PreparePrompts:
    """Ray Data class UDF: (key, smiles) → + messages (OpenAI chat format)."""

    def __init__(self, template: dict[str, Any]) -> None:
        self.template = PromptTemplate(
            **{
                **template,
                "modalities": Modalities(**template["modalities"]),
                "examples": tuple(tuple(e) for e in template["examples"]),
            }
        )

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        from rdkit import Chem

        from gallon.explain.inputs import bond_lines, render_png
        from gallon.explain.prompts import build_messages

        m, messages = self.template.modalities, []
        for smiles in batch["smiles"]:
            mol = Chem.MolFromSmiles(smiles)
            bonds = bond_lines(mol) if m.bonds else []
            png = render_png(mol, self.template.image_size) if m.image else None
            messages.append(build_messages(self.template, smiles, bonds, png))
        return {"key": list(batch["key"]), "smiles": list(batch["smiles"]), "messages": messages}


def _todo_rows(todo: dict[str, str]):
    import ray

    return ray.data.from_items([{"key": k, "smiles": s} for k, s in todo.items()])


def _llm_answers(processor: Callable[[ExplainConfig], Any]) -> AnswerFn:
    """Answers of an LLM behind a `ray.data.llm` processor: render the prompts, then ask it."""

    def answers(todo: dict[str, str], cfg: ExplainConfig, template: PromptTemplate):
        import ray

        template_dict = {**asdict(template), "modalities": asdict(template.modalities)}
        ds = _todo_rows(todo).map_batches(
            PreparePrompts,
            fn_constructor_kwargs={"template": template_dict},
            batch_size=cfg.batch_size,
            compute=ray.data.ActorPoolStrategy(size=1),
            num_cpus=0.5,  # with the engine's bundle and the light (de)tokenizers: fits 2 CPUs
        )
        yield from processor(cfg)(ds).iter_batches(batch_size=None, batch_format="pyarrow")

    return answers


def _vllm(cfg: ExplainConfig):
    from gallon.explain import backends
    from gallon.explain.models import resolve_model

    return backends.vllm_processor(cfg, resolve_model(cfg.model, cfg.model_cache), cfg.sampling())


def _openai(cfg: ExplainConfig):
    from gallon.explain import backends

    return backends.openai_processor(cfg, cfg.sampling())


def _rdkit_answers(todo: dict[str, str], cfg: ExplainConfig, template: PromptTemplate):
    import ray

    from gallon.explain.offline import DescribeBatch

    ds = _todo_rows(todo).map_batches(
        DescribeBatch, batch_size=cfg.batch_size, compute=ray.data.ActorPoolStrategy(size=1)
    )
    yield from ds.iter_batches(batch_size=None, batch_format="pyarrow")


def _file_answers(todo: dict[str, str], cfg: ExplainConfig, template: PromptTemplate):
    from gallon.explain.offline import file_rows

    yield pa.table(file_rows(todo, cfg.file))  # a join on the driver: no model to run


def _rdkit_source(cfg: ExplainConfig) -> str:
    from gallon.explain.offline import RDKIT_SOURCE

    return RDKIT_SOURCE


def _file_source(cfg: ExplainConfig) -> str:
    from gallon.explain.offline import file_source

    return file_source(cfg.file)


@dataclass(frozen=True)
class Backend:
    """One `explain.backend`: who its explanations come from (the cache key's source), and the
    result batches (pyarrow, the backends' result columns) for the molecules still to ask."""

    source: Callable[[ExplainConfig], str]
    answers: AnswerFn


BACKENDS: dict[str, Backend] = {
    "vllm": Backend(lambda cfg: cfg.model, _llm_answers(_vllm)),
    "openai": Backend(lambda cfg: cfg.model, _llm_answers(_openai)),
    "rdkit": Backend(_rdkit_source, _rdkit_answers),
    "file": Backend(_file_source, _file_answers),
}


def source_name(cfg: ExplainConfig) -> str:
    """Who writes the explanations: the LLM's name, `rdkit-facts-v1`, or `file:<name>@<sha>`."""
    return BACKENDS[cfg.backend].source(cfg)
