"""Prompts (GALLON's structure) from versioned template files, and the cache key.

A prompt is: a fixed expert instruction naming the inputs given, a per-dataset question (a
generic one naming the targets for user datasets), then the inputs: canonical SMILES, the diagram
(as an image content part, multimodal models only) and the bond list. The template version is
the SHA-256 of every template text and of the input switches, so any change to them re-asks.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from gallon.explain.inputs import png_data_url

TEMPLATES = resources.files("gallon.explain") / "templates"


@dataclass(frozen=True)
class Modalities:
    """Which inputs the LLM gets (each can be switched off for ablations)."""

    smiles: bool = True
    bonds: bool = True
    image: bool = False

    def names(self) -> list[str]:
        return [n for n in ("smiles", "image", "bonds") if getattr(self, n)]


def _read(name: str) -> str:
    return (TEMPLATES / name).read_text().strip()


@dataclass(frozen=True)
class PromptTemplate:
    instruction: str
    question: str
    layout: str
    modalities: Modalities
    image_size: int

    @property
    def version(self) -> str:
        """Hash of everything that shapes the prompt (short hex)."""
        blob = json.dumps(
            [
                self.instruction,
                self.question,
                self.layout,
                self.modalities.names(),
                self.image_size if self.modalities.image else None,
            ]
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def load_template(
    dataset: str, targets: list[str], task: str, modalities: Modalities, image_size: int = 500
) -> PromptTemplate:
    """The bundled question for `dataset`, or the generic one naming `targets`."""
    question_file = TEMPLATES / "questions" / f"{dataset}.txt"
    if question_file.is_file():
        question = question_file.read_text().strip()
    else:
        question = _read("generic.txt").format(task=task, targets=", ".join(targets))
    return PromptTemplate(
        _read("instruction.txt"), question, _read("layout.txt"), modalities, image_size
    )


def _inputs_sentence(m: Modalities) -> str:
    parts = []
    if m.smiles:
        parts.append("its SMILES (simplified molecular-input line-entry system) string")
    if m.image:
        parts.append("a diagram of its structure with numbered atoms")
    if m.bonds:
        parts.append("the list of its bonds between numbered atoms")
    if len(parts) > 1:
        return ", ".join(parts[:-1]) + " and " + parts[-1]
    return parts[0] if parts else "nothing but this question"


def build_messages(
    t: PromptTemplate, smiles: str, bonds: list[str], png: bytes | None
) -> list[dict[str, Any]]:
    """One user message in OpenAI chat format; the diagram is an image_url part when enabled."""
    m = t.modalities
    text = "\n".join(
        [
            t.instruction.format(inputs=_inputs_sentence(m)),
            t.question,
            t.layout.format(
                smiles_block=f"SMILES: {smiles}\n" if m.smiles else "",
                image_block="Diagram: the attached image.\n" if m.image else "",
                bonds_block="Bonds:\n" + "\n".join(bonds) if m.bonds else "",
            ).strip(),
        ]
    )
    if m.image and png is not None:
        content: Any = [
            {"type": "text", "text": text},
            {"type": "image_url", "image_url": {"url": png_data_url(png)}},
        ]
    else:
        content = text
    return [{"role": "user", "content": content}]


def cache_key(smiles: str, template_version: str, model: str, sampling: dict[str, Any]) -> str:
    """Explanations are reused exactly when all four agree."""
    blob = json.dumps([smiles, template_version, model, sorted(sampling.items())])
    return hashlib.sha256(blob.encode()).hexdigest()
