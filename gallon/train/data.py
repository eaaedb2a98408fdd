"""Graphs for training and inference, built from the stage outputs (no Ray here).

`load_graph_set` joins the features table, the labels (molecules.parquet), the split and any
teacher outputs on `row`, standardises regression targets and teacher representations with
train statistics, and returns PyG `Data` objects with attributes:
x (n, F), edge_index (2, E), edge_attr (E, Fb), y (1, T) scaled, row (1,),
t_<teacher>_out (1, T), t_<teacher>_h (1, D).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import torch
from torch_geometric.data import Batch, Data

from gallon.errors import InputError
from gallon.features.graphs import FEATURE_COLUMNS, graph_arrays
from gallon.io import read_table

logger = logging.getLogger(__name__)

PREDICTION_COLUMNS = ("row", "split", "output", "prediction", "embedding")


@dataclass
class GraphSet:
    graphs: list[Data]
    rows: np.ndarray  # (N,) data row of each graph
    y: np.ndarray  # (N, T) labels in target units, NaN = missing
    index: dict[str, np.ndarray]  # split name → positions into graphs
    y_mean: np.ndarray | None = None  # regression scaler (train statistics)
    y_std: np.ndarray | None = None
    teacher_dims: dict[str, int] = field(default_factory=dict)


def _list_column(table: pa.Table, name: str) -> np.ndarray:
    col = table.column(name).combine_chunks()
    width = len(col[0]) if len(col) else 0
    return col.flatten().to_numpy(zero_copy_only=False).reshape(len(col), width)


def _positions(rows: np.ndarray, wanted: list[int]) -> np.ndarray:
    lookup = {int(r): i for i, r in enumerate(rows)}
    return np.asarray([lookup[r] for r in wanted if r in lookup], dtype=np.int64)


def load_graph_set(
    features_path: str,
    molecules_path: str,
    splits: dict[str, list[int]],
    atom_dim: int,
    bond_dim: int,
    task: str,
    teachers: dict[str, str] | None = None,
) -> GraphSet:
    feats = read_table(features_path, FEATURE_COLUMNS)
    feats = feats.sort_by("row")
    mols = read_table(molecules_path, ("row", "y")).sort_by("row")
    rows = feats.column("row").to_numpy()
    label_rows = mols.column("row").to_numpy()
    labels = _list_column(mols, "y")[np.searchsorted(label_rows, rows)]
    index = {name: _positions(rows, ids) for name, ids in splits.items() if name != "meta"}
    gs = GraphSet([], rows, labels, index)
    y_scaled = labels
    if task == "regression":
        train = labels[index["train"]]
        gs.y_mean, gs.y_std = np.nanmean(train, 0), np.nanstd(train, 0)
        gs.y_std = np.where(gs.y_std > 0, gs.y_std, 1.0)
        y_scaled = (labels - gs.y_mean) / gs.y_std
    extras: dict[str, np.ndarray] = {}
    for name, path in (teachers or {}).items():
        table = read_table(path, ("row", "output", "embedding")).sort_by("row")
        t_rows = table.column("row").to_numpy()
        missing = np.setdiff1d(rows, t_rows)
        if len(missing):
            raise InputError(
                f"teacher outputs {path} lack {len(missing)} molecules, e.g. row {missing[0]}."
            )
        pos = np.searchsorted(t_rows, rows)
        emb = _list_column(table, "embedding")[pos].astype(np.float32)
        mu, sd = emb[index["train"]].mean(0), emb[index["train"]].std(0)
        extras[f"t_{name}_out"] = _list_column(table, "output")[pos].astype(np.float32)
        extras[f"t_{name}_h"] = (emb - mu) / np.where(sd > 1e-6, sd, 1.0)
        gs.teacher_dims[name] = emb.shape[1]
    gs.graphs = graphs_from_arrays(graph_arrays(feats, atom_dim, bond_dim))
    y_tensor = torch.tensor(y_scaled, dtype=torch.float32)
    extra_tensors = {key: torch.from_numpy(values) for key, values in extras.items()}
    for i, data in enumerate(gs.graphs):
        data.y = y_tensor[i : i + 1]
        data.row = torch.tensor([int(rows[i])])
        for key, values in extra_tensors.items():
            data[key] = values[i : i + 1]
    return gs


def graphs_from_arrays(arrays: list[tuple[np.ndarray, ...]]) -> list[Data]:
    """(x, edge_index, edge_attr) numpy triples → PyG Data objects (tensors share memory)."""
    return [
        Data(x=torch.from_numpy(x), edge_index=torch.from_numpy(ei), edge_attr=torch.from_numpy(ea))
        for x, ei, ea in arrays
    ]


def batches(graphs: list[Data], order: np.ndarray, batch_size: int):
    """Yield PyG batches over `order`; a lone last graph joins the previous batch (BatchNorm)."""
    chunks = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if len(chunks) > 1 and len(chunks[-1]) == 1:
        chunks[-2] = np.concatenate([chunks[-2], chunks.pop()])
    for chunk in chunks:
        yield Batch.from_data_list([graphs[i] for i in chunk])
