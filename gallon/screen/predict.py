"""Score SMILES with one or more trained models (pure; its Ray Data wrapper is screen/udf.py).

Parse, featurise in one batched call, gather batches and run the models: the path of
`gallon.batches`, which training's own predictions take too. Models that ignore bonds (the
student) get atom features only and run folded for inference (gallon/screen/fused.py): the cheap
path GALLON's distillation exists for. Several models (one per seed) give the mean and the
standard deviation across members.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import torch

from gallon.artifacts import Predictor, load_model
from gallon.batches import GraphBatch, PackedGraphs, chunks, forward
from gallon.chem import canonical_smiles, parse_smiles, standardize
from gallon.errors import InputError
from gallon.features.graphs import featurize_molecules
from gallon.screen.fused import FusedStudents

PRECISIONS = {"fp32": torch.float32, "bf16": torch.bfloat16}


class Scorer:
    """Members loaded once; `score(ids, smiles) -> pa.Table` with one row per input row."""

    def __init__(
        self,
        members: list[Predictor],
        threads: int | None = 1,
        precision: str = "fp32",
        standardize: bool = False,
        fold: bool = True,
        batch_size: int = 4096,
    ) -> None:
        """`standardize`: score each molecule's largest fragment, neutralised (gallon.chem), and
        write what was scored to `scored_smiles`. `fold`: graph-free students run folded
        (`FusedStudents`, one pass for every member); False runs the modules as trained.
        `threads`: torch's intra-op threads (None: leave torch's setting). `batch_size`:
        molecules per forward pass."""
        if threads is not None:
            torch.set_num_threads(threads)
        self.standardize, self.batch_size = standardize, batch_size
        if precision not in PRECISIONS:
            choices = ", ".join(PRECISIONS)
            raise InputError(f"precision must be one of {choices}, not '{precision}'.")
        self.members = members
        specs = {str(m.featurizer.spec()) for m in members}
        if len(specs) != 1:
            raise InputError("the models use different featurizers; screen them separately.")
        self.featurizer = members[0].featurizer
        self.bonds = any(m.model.uses_bonds for m in members)
        self.targets = members[0].targets
        self.task = members[0].task
        self.fused = None
        if self.bonds and precision != "fp32":
            raise InputError("bf16 applies to graph-free students only; score GNNs in fp32.")
        if not self.bonds and fold:
            self.fused = FusedStudents([m.model for m in members], PRECISIONS[precision])
        elif precision != "fp32":
            raise InputError("bf16 runs folded students only; keep fold on for bf16.")

    @classmethod
    def from_path(
        cls, path: str | Path, threads: int = 1, precision: str = "fp32", standardize: bool = False
    ) -> Scorer:
        return cls(load_model(path), threads, precision, standardize)

    def _raw(self, batch: GraphBatch) -> list[np.ndarray]:
        """Each member's raw outputs, (B, T) per member."""
        if self.fused is not None:
            return list(self.fused(batch.x, batch.batch, batch.num_graphs).numpy())
        with torch.no_grad():
            return [forward(m.model, batch)[0].numpy() for m in self.members]

    def _member_predictions(self, packed: PackedGraphs) -> np.ndarray:
        """(members, N, T) predictions for featurised molecules."""
        parts = []
        for chunk in chunks(np.arange(len(packed)), self.batch_size):
            raw = self._raw(packed.gather(chunk))
            parts.append(np.stack([m.to_units(r) for m, r in zip(self.members, raw)]))
        return np.concatenate(parts, axis=1)

    def score(self, ids: Sequence[str | None], smiles: Sequence[str]) -> pa.Table:
        n, ensemble = len(smiles), len(self.members) > 1
        mols, ok, errors = [], [], [None] * n
        scored: list[str | None] = [None] * n
        for i, s in enumerate(smiles):
            mol, reason = parse_smiles(s)
            if mol is not None and self.standardize:
                mol, reason = standardize(mol)
                scored[i] = None if mol is None else canonical_smiles(mol)
            if mol is None:
                errors[i] = reason
            else:
                mols.append(mol)
                ok.append(i)
        packed, failed = featurize_molecules(mols, self.featurizer, self.bonds)
        for position, reason in failed:
            errors[ok[position]] = reason
        dropped = {position for position, _ in failed}
        ok = [i for position, i in enumerate(ok) if position not in dropped]
        preds = np.full((n, len(self.targets)), np.nan)
        spread = np.full((n, len(self.targets)), np.nan)
        if ok:
            member = self._member_predictions(packed)
            preds[ok] = member.mean(0)
            spread[ok] = member.std(0, ddof=1) if ensemble else 0.0
        cols = {
            "id": pa.array(list(ids), pa.string()),
            "smiles": pa.array(list(smiles), pa.string()),
        }
        if self.standardize:
            cols["scored_smiles"] = pa.array(scored, pa.string())
        for j, t in enumerate(self.targets):
            cols[t] = pa.array(preds[:, j], pa.float64(), from_pandas=True)  # NaN → null
            if ensemble:
                cols[f"{t}_std"] = pa.array(spread[:, j], pa.float64())
        cols["error"] = pa.array(errors, pa.string())
        return pa.table(cols)
