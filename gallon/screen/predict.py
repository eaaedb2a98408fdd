"""Score SMILES with one or more trained models (pure; its Ray Data wrapper is screen/udf.py).

Models that ignore bonds (the student) get atom features only, batched as one (atoms, F) matrix
without building graph objects, and run folded for inference (gallon/screen/fused.py): the cheap
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
from gallon.chem import canonical_smiles, parse_smiles, standardize
from gallon.errors import InputError
from gallon.evaluation.metrics import to_predictions
from gallon.screen.fused import FusedStudents

PRECISIONS = {"fp32": torch.float32, "bf16": torch.bfloat16}


class Scorer:
    """Members loaded once; `score(ids, smiles) -> pa.Table` with one row per input row."""

    def __init__(
        self,
        members: list[Predictor],
        threads: int = 1,
        precision: str = "fp32",
        standardize: bool = False,
    ) -> None:
        """`standardize`: score each molecule's largest fragment, neutralised (gallon.chem), and
        write what was scored to `scored_smiles`."""
        torch.set_num_threads(threads)
        self.standardize = standardize
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
        if not self.bonds:
            self.fused = FusedStudents([m.model for m in members], PRECISIONS[precision])
        elif precision != "fp32":
            raise InputError("bf16 applies to graph-free students only; score GNNs in fp32.")

    @classmethod
    def from_path(
        cls, path: str | Path, threads: int = 1, precision: str = "fp32", standardize: bool = False
    ) -> Scorer:
        return cls(load_model(path), threads, precision, standardize)

    def _raw(self, x, edge_index, edge_attr, batch, num_graphs: int) -> list[np.ndarray]:
        """Each member's raw outputs, (B, T) per member."""
        if self.fused is not None:
            return list(self.fused(x, batch, num_graphs).numpy())
        with torch.no_grad():
            return [
                m.model(x, edge_index, edge_attr, batch, num_graphs)[0].numpy()
                for m in self.members
            ]

    def _member_predictions(self, mols) -> np.ndarray:
        """(members, N, T) predictions for parsed molecules."""
        sizes = np.fromiter((m.GetNumAtoms() for m in mols), dtype=np.int64, count=len(mols))
        x = torch.from_numpy(self.featurizer.atoms.many(mols))
        batch = torch.from_numpy(np.repeat(np.arange(len(mols)), sizes))
        if self.bonds:
            edges = [self.featurizer.bonds(m) for m in mols]
            shift = np.repeat(
                np.concatenate([[0], np.cumsum(sizes)[:-1]]), [e[0].shape[1] for e in edges]
            )
            edge_index = torch.from_numpy(np.concatenate([e[0] for e in edges], axis=1) + shift)
            edge_attr = torch.from_numpy(np.concatenate([e[1] for e in edges]))
        else:
            edge_index = torch.zeros(2, 0, dtype=torch.long)
            edge_attr = torch.zeros(0, self.featurizer.bond_dim)
        out = []
        for m, raw in zip(self.members, self._raw(x, edge_index, edge_attr, batch, len(mols))):
            mean, std = m.hparams.get("y_mean"), m.hparams.get("y_std")
            out.append(
                to_predictions(
                    raw,
                    self.task,
                    None if mean is None else np.asarray(mean),
                    None if std is None else np.asarray(std),
                )
            )
        return np.stack(out)

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
        preds = np.full((n, len(self.targets)), np.nan)
        spread = np.full((n, len(self.targets)), np.nan)
        if mols:
            member = self._member_predictions(mols)
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
