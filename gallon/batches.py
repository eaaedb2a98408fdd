"""Featurised molecules packed as whole-set arrays, batches gathered from them, one forward call.

The one path from molecules to model outputs, shared by training (its epochs and the
predictions it writes), `artifacts.Predictor` and the screening `Scorer`:

    PackedGraphs.from_molecules(mols, featurizer)   # or .from_table(features table), once
      → packed.gather(positions)                    # a GraphBatch: no per-molecule objects
      → forward(model, batch)                       # (out (B, T), h (B, D))

`PackedGraphs` keeps every molecule's atoms in one (atoms, F) matrix and every edge in one
(2, E) matrix of molecule-local atom indices, with offsets; a batch is a numpy gather, never a
list of PyG `Data` objects. Models that ignore bonds get batches without edges (`bonds=False`).
No training code here: inference imports this module, not gallon.train.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import torch


@dataclass
class GraphBatch:
    """Molecules of a batch: x (n, F), edge_index (2, e) batch-wide atom indices, edge_attr
    (e, bond_dim), batch (n,) molecule of each atom, and per-molecule tensors (y, row, t_*)
    readable as attributes."""

    x: torch.Tensor
    edge_index: torch.Tensor
    edge_attr: torch.Tensor
    batch: torch.Tensor
    num_graphs: int
    per_molecule: dict[str, torch.Tensor] = field(default_factory=dict)

    def __getattr__(self, name: str) -> torch.Tensor:
        per = self.__dict__.get("per_molecule", {})
        if name in per:
            return per[name]
        raise AttributeError(name)

    def to(self, device) -> GraphBatch:
        return GraphBatch(
            self.x.to(device),
            self.edge_index.to(device),
            self.edge_attr.to(device),
            self.batch.to(device),
            self.num_graphs,
            {k: v.to(device) for k, v in self.per_molecule.items()},
        )


def forward(model: torch.nn.Module, batch: GraphBatch) -> tuple[torch.Tensor, torch.Tensor]:
    """The model on a batch: (raw outputs (B, T), pooled representation (B, D))."""
    return model(batch.x, batch.edge_index, batch.edge_attr, batch.batch, batch.num_graphs)


def _offsets(sizes: np.ndarray) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])


def _ranges(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Concatenated aranges [starts[i], starts[i] + sizes[i]) without a Python loop."""
    total = int(sizes.sum())
    first = np.repeat(starts - _offsets(sizes)[:-1], sizes)
    return first + np.arange(total, dtype=np.int64)


@dataclass
class PackedGraphs:
    """N featurised molecules: x (atoms, F) float32 and atom_offsets (N + 1,); with bonds also
    edge_index (2, E) int64 of molecule-local atom indices, edge_attr (E, bond_dim) float32 and
    edge_offsets (N + 1,)."""

    x: np.ndarray
    atom_offsets: np.ndarray
    bond_dim: int
    edge_index: np.ndarray | None = None
    edge_attr: np.ndarray | None = None
    edge_offsets: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.atom_offsets) - 1

    @property
    def bonds(self) -> bool:
        return self.edge_index is not None

    @classmethod
    def from_molecules(cls, mols: Sequence[Any], featurizer: Any, bonds: bool = True):
        """Parsed RDKit molecules through a `GraphFeaturizer`: atom features in one batched
        call (`atoms.many`), bonds per molecule. Raises what the featurizer raises."""
        sizes = np.fromiter((m.GetNumAtoms() for m in mols), dtype=np.int64, count=len(mols))
        x = featurizer.atoms.many(mols).astype(np.float32, copy=False)
        if not bonds:
            return cls(x, _offsets(sizes), featurizer.bond_dim)
        edges = [featurizer.bonds(m) for m in mols]
        counts = np.fromiter((e[0].shape[1] for e in edges), dtype=np.int64, count=len(edges))
        index = (
            np.concatenate([e[0] for e in edges], axis=1) if edges else np.zeros((2, 0), np.int64)
        )
        attr = (
            np.concatenate([e[1] for e in edges])
            if edges
            else np.zeros((0, featurizer.bond_dim), np.float32)
        )
        return cls(x, _offsets(sizes), featurizer.bond_dim, index, attr, _offsets(counts))

    @classmethod
    def from_table(cls, table: pa.Table, atom_dim: int, bond_dim: int, bonds: bool = True):
        """A features table (`gallon.features.graphs.FEATURE_COLUMNS`) in its row order."""
        n_atoms = table.column("num_atoms").to_numpy().astype(np.int64)
        # one writable copy each (Arrow buffers are read-only; torch.from_numpy wants writable)
        x = np.array(table.column("x").combine_chunks().flatten().to_numpy())
        if x.size != int(n_atoms.sum()) * atom_dim:
            from gallon.errors import InputError

            raise InputError(
                f"features do not all have {atom_dim} columns: they were made by different "
                "featurizers."
            )
        packed = cls(x.reshape(-1, atom_dim), _offsets(n_atoms), bond_dim)
        if bonds:
            n_edges = table.column("num_edges").to_numpy().astype(np.int64)
            ei = table.column("edge_index").combine_chunks().flatten().to_numpy()
            ea = np.array(table.column("edge_attr").combine_chunks().flatten().to_numpy())
            e_off = _offsets(n_edges)
            # stored per molecule as sources then targets: (2, e_i) blocks back to one (2, E)
            pos = _ranges(2 * e_off[:-1], n_edges)
            packed.edge_index = np.stack([ei[pos], ei[pos + np.repeat(n_edges, n_edges)]])
            packed.edge_index = packed.edge_index.astype(np.int64)
            packed.edge_attr, packed.edge_offsets = ea.reshape(-1, bond_dim), e_off
        return packed

    def to_table(self, rows: Sequence[int]) -> pa.Table:
        """The features table of these molecules (`FEATURE_COLUMNS`), `rows` their data rows.
        Needs the bonds: the table always holds them."""
        if not self.bonds:
            raise ValueError("a features table holds bonds; pack the molecules with bonds=True")
        n_atoms = np.diff(self.atom_offsets)
        atom_dim = self.x.shape[1]
        n_edges = np.diff(self.edge_offsets)
        # per molecule, sources then targets (the layout `from_table` reads)
        src = _ranges(2 * self.edge_offsets[:-1], n_edges)
        flat = np.empty(2 * int(n_edges.sum()), np.int32)
        flat[src] = self.edge_index[0]
        flat[src + np.repeat(n_edges, n_edges)] = self.edge_index[1]

        def lists(values: np.ndarray, offsets: np.ndarray, dtype: pa.DataType) -> pa.Array:
            return pa.ListArray.from_arrays(
                pa.array(offsets.astype(np.int32)), pa.array(values.ravel(), type=dtype)
            )

        return pa.table(
            {
                "row": pa.array(np.asarray(rows, dtype=np.int64), pa.int64()),
                "num_atoms": pa.array(n_atoms.astype(np.int32), pa.int32()),
                "num_edges": pa.array(n_edges.astype(np.int32), pa.int32()),
                "x": lists(self.x, self.atom_offsets * atom_dim, pa.float32()),
                "edge_index": lists(flat, 2 * self.edge_offsets, pa.int32()),
                "edge_attr": lists(self.edge_attr, self.edge_offsets * self.bond_dim, pa.float32()),
            }
        )

    def gather(
        self, positions: np.ndarray, per_molecule: dict[str, torch.Tensor] | None = None
    ) -> GraphBatch:
        """The molecules at `positions` (in that order) as one batch; `per_molecule` tensors
        (N, ...) are indexed the same way."""
        positions = np.asarray(positions, dtype=np.int64)
        sizes = self.atom_offsets[positions + 1] - self.atom_offsets[positions]
        atoms = _ranges(self.atom_offsets[positions], sizes)
        member = np.repeat(np.arange(len(positions)), sizes)
        if self.bonds:
            counts = self.edge_offsets[positions + 1] - self.edge_offsets[positions]
            edges = _ranges(self.edge_offsets[positions], counts)
            shift = np.repeat(_offsets(sizes)[:-1], counts)
            edge_index = torch.from_numpy(self.edge_index[:, edges] + shift)
            edge_attr = torch.from_numpy(self.edge_attr[edges])
        else:
            edge_index = torch.zeros(2, 0, dtype=torch.long)
            edge_attr = torch.zeros(0, self.bond_dim)
        idx = torch.from_numpy(positions)
        per = {k: v[idx] for k, v in (per_molecule or {}).items()}
        return GraphBatch(
            torch.from_numpy(self.x[atoms]),
            edge_index,
            edge_attr,
            torch.from_numpy(member),
            len(positions),
            per,
        )

    def concat(self, other: PackedGraphs) -> PackedGraphs:
        """These molecules followed by `other`'s (e.g. a transfer set after the dataset)."""
        a_off = np.concatenate([self.atom_offsets, other.atom_offsets[1:] + self.atom_offsets[-1]])
        out = PackedGraphs(np.concatenate([self.x, other.x]), a_off, self.bond_dim)
        if self.bonds and other.bonds:
            out.edge_index = np.concatenate([self.edge_index, other.edge_index], axis=1)
            out.edge_attr = np.concatenate([self.edge_attr, other.edge_attr])
            out.edge_offsets = np.concatenate(
                [self.edge_offsets, other.edge_offsets[1:] + self.edge_offsets[-1]]
            )
        return out


def chunks(order: np.ndarray, batch_size: int) -> list[np.ndarray]:
    """`order` cut into batches; a lone last molecule joins the previous batch (BatchNorm)."""
    out = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if len(out) > 1 and len(out[-1]) == 1:
        lone = out.pop()  # popped first: `out[-2] = …(out.pop())` would assign to the wrong item
        out[-1] = np.concatenate([out[-1], lone])
    return out
