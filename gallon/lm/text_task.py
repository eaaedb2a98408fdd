"""The `text` training task: the LM teacher on "The original SMILES string: {smiles}\\n{text}".

Texts are tokenized once (truncated to `max_length`); batches are padded to their longest text
(dynamic padding); `lengths` lets prediction run texts of similar length together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow.compute as pc
import torch

from gallon.config.schema import TrainConfig
from gallon.io import read_table
from gallon.lm.encoder import TextRegressor, resolve_encoder
from gallon.train.spec import WorkerSpec

TEXT_TEMPLATE = "The original SMILES string: {smiles}\n{explanation}"


def make_text(smiles: str, explanation: str | None, use_explanation: bool) -> str:
    """The paper's LM input; the second line is empty without an explanation (or SMILES only)."""
    return TEXT_TEMPLATE.format(
        smiles=smiles, explanation=(explanation or "") if use_explanation else ""
    )


@dataclass
class TextSet:
    ids: list[np.ndarray]  # token ids per molecule
    rows: np.ndarray
    y: np.ndarray
    index: dict[str, np.ndarray]
    pad_id: int
    y_mean: np.ndarray | None = None
    y_std: np.ndarray | None = None
    y_scaled: np.ndarray | None = None
    teacher_dims: dict[str, int] = field(default_factory=dict)


@dataclass
class TextBatch:
    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    y: torch.Tensor

    def to(self, device) -> TextBatch:
        return TextBatch(
            self.input_ids.to(device), self.attention_mask.to(device), self.y.to(device)
        )


def _labels(table) -> np.ndarray:
    col = table.column("y").combine_chunks()
    width = len(col[0]) if len(col) else 0
    return col.flatten().to_numpy(zero_copy_only=False).reshape(len(col), width)


class TextTask:
    def load(self, spec: WorkerSpec | dict) -> TextSet:
        from transformers import AutoTokenizer

        spec = WorkerSpec.parse(spec)
        d = spec.data
        expl = read_table(d.explanations, ("row", "smiles", "explanation")).sort_by("row")
        mols = read_table(d.molecules, ("row", "y")).sort_by("row")
        rows = expl.column("row").to_numpy()
        mol_rows = mols.column("row").to_numpy()
        keep = np.isin(rows, mol_rows)
        expl = expl.filter(pc.is_in(expl.column("row"), value_set=mols.column("row")))
        rows = rows[keep]
        labels = _labels(mols)
        y = labels[np.searchsorted(mol_rows, rows)]
        use = spec.model.text == "smiles+explanation"
        texts = [
            make_text(s, e, use)
            for s, e in zip(
                expl.column("smiles").to_pylist(), expl.column("explanation").to_pylist()
            )
        ]
        tok = AutoTokenizer.from_pretrained(resolve_encoder(spec.model.encoder))
        enc = tok(texts, truncation=True, max_length=spec.model.max_length)
        lookup = {int(r): i for i, r in enumerate(rows)}
        index = {
            name: np.asarray([lookup[r] for r in ids if r in lookup], dtype=np.int64)
            for name, ids in d.splits.items()
        }
        if use and d.missing_explanation == "skip":  # failed LLM calls: not trained on
            explained = np.asarray(
                [bool(e and e.strip()) for e in expl.column("explanation").to_pylist()]
            )
            index["train"] = index["train"][explained[index["train"]]]
        data = TextSet(
            [np.asarray(x, dtype=np.int64) for x in enc["input_ids"]],
            rows,
            y,
            index,
            tok.pad_token_id or 0,
        )
        data.y_scaled = y
        if spec.task == "regression":
            # scaled with the whole training split's labels, as every other role: with
            # lm.subset the LM trains on a sample, and its outputs must share the students' units
            every = {int(r): i for i, r in enumerate(mol_rows)}
            train = labels[[every[r] for r in d.splits["train"] if r in every]]
            data.y_mean, data.y_std = np.nanmean(train, 0), np.nanstd(train, 0)
            data.y_std = np.where(data.y_std > 0, data.y_std, 1.0)
            data.y_scaled = (y - data.y_mean) / data.y_std
        return data

    def build_model(self, spec: WorkerSpec | dict) -> torch.nn.Module:
        m = WorkerSpec.parse(spec).model
        return TextRegressor(m.encoder, m.num_tasks, m.pooling, m.dropout, m.precision)

    def lengths(self, data: TextSet, positions: np.ndarray) -> np.ndarray:
        """Tokens per text at these positions (prediction sorts by it)."""
        return np.asarray([len(data.ids[i]) for i in positions], dtype=np.int64)

    def batches(self, data: TextSet, order: np.ndarray, batch_size: int):
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            longest = max(len(data.ids[i]) for i in chunk)
            ids = torch.full((len(chunk), longest), data.pad_id, dtype=torch.long)
            mask = torch.zeros((len(chunk), longest), dtype=torch.long)
            for j, i in enumerate(chunk):
                n = len(data.ids[i])
                ids[j, :n] = torch.from_numpy(data.ids[i])
                mask[j, :n] = 1
            yield TextBatch(ids, mask, torch.tensor(data.y_scaled[chunk], dtype=torch.float32))

    def forward(self, model: torch.nn.Module, batch: TextBatch):
        out, h = model(batch.input_ids, batch.attention_mask)
        return out.float(), h.float()

    def optimizer(self, params, train: TrainConfig) -> torch.optim.Optimizer:
        return torch.optim.AdamW(params, lr=train.lr, weight_decay=train.weight_decay)
