"""Prompts (GALLON's structure) from versioned template files, and the cache key.

A prompt is: a fixed expert instruction naming the inputs given, a per-dataset question (a
generic one naming the targets for user datasets), then the inputs: canonical SMILES, the diagram
(as an image content part, multimodal models only) and the bond list. Which instruction and
question is a registered prompt style (`explain.prompt`): `gallon`, the paper's analysis, or
`groups`, a few-shot request for the list of functional groups, whose worked examples go before
the molecule as earlier chat turns. The template version is the SHA-256 of every template text,
example and input switch, so any change to them re-asks.
"""

from __future__ import annotations

import dataclasses
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
class PromptStyle:
    """Template files of one prompt style (paths under templates/)."""

    instruction: str
    question: str | None  # None: the dataset's own question (or the generic one)
    examples: str | None  # JSON list of [smiles, answer] worked examples, or none


# explain.prompt → its templates; a new style is a folder of text files and a line here
PROMPT_STYLES: dict[str, PromptStyle] = {
    "gallon": PromptStyle("instruction.txt", None, None),
    "groups": PromptStyle("groups/instruction.txt", "groups/question.txt", "groups/examples.json"),
}


@dataclass(frozen=True)
class PromptTemplate:
    instruction: str
    question: str
    layout: str
    modalities: Modalities
    image_size: int
    examples: tuple[tuple[str, str], ...] = ()  # (SMILES, answer) turns before the molecule

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
                *([[list(e) for e in self.examples]] if self.examples else []),
            ]
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def load_template(
    dataset: str,
    targets: list[str],
    task: str,
    modalities: Modalities,
    image_size: int = 500,
    style: str = "gallon",
) -> PromptTemplate:
    """The prompt `style`'s instruction and question: its own, or the bundled question for
    `dataset`, or the generic one naming `targets`."""
    files = PROMPT_STYLES[style]
    question_file = TEMPLATES / "questions" / f"{dataset}.txt"
    if files.question is not None:
        question = _read(files.question)
    elif question_file.is_file():
        question = question_file.read_text().strip()
    else:
        question = _read("generic.txt").format(task=task, targets=", ".join(targets))
    examples = json.loads(_read(files.examples)) if files.examples else []
    return PromptTemplate(
        _read(files.instruction),
        question,
        _read("layout.txt"),
        modalities,
        image_size,
        tuple((str(smiles), str(answer)) for smiles, answer in examples),
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


def _text(t: PromptTemplate, m: Modalities, smiles: str, bonds: list[str]) -> str:
    return "\n".join(
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


def _example_turns(t: PromptTemplate) -> list[dict[str, Any]]:
    """The worked examples as earlier user/assistant turns (SMILES and bond list, no diagram)."""
    from rdkit import Chem

    from gallon.explain.inputs import bond_lines

    text_only = dataclasses.replace(t.modalities, image=False)
    turns: list[dict[str, Any]] = []
    for smiles, answer in t.examples:
        bonds = bond_lines(Chem.MolFromSmiles(smiles)) if text_only.bonds else []
        turns.append({"role": "user", "content": _text(t, text_only, smiles, bonds)})
        turns.append({"role": "assistant", "content": answer})
    return turns


def build_messages(
    t: PromptTemplate, smiles: str, bonds: list[str], png: bytes | None
) -> list[dict[str, Any]]:
    """OpenAI chat messages: the style's worked examples (if any), then one user message for the
    molecule; the diagram is an image_url part when enabled."""
    m = t.modalities
    text = _text(t, m, smiles, bonds)
    if m.image and png is not None:
        content: Any = [
            {"type": "text", "text": text},
            {"type": "image_url", "image_url": {"url": png_data_url(png)}},
        ]
    else:
        content = text
    return [*_example_turns(t), {"role": "user", "content": content}]


def cache_key(smiles: str, template_version: str, model: str, sampling: dict[str, Any]) -> str:
    """Explanations are reused exactly when all four agree."""
    blob = json.dumps([smiles, template_version, model, sorted(sampling.items())])
    return hashlib.sha256(blob.encode()).hexdigest()
