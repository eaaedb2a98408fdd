"""Graphs for training and inference, built from the stage outputs (no Ray here).

`load_graph_set` joins the features table, the labels (molecules.parquet), the split and any
teacher outputs on `row`, standardises regression targets and teacher representations with
train statistics, and keeps everything as whole-set tensors:
x (atoms, F), per-molecule y (N, T) scaled, row (N,), t_<teacher>_out (N, T), t_<teacher>_h
(N, D), t_<teacher>_mask (N, 1) (1 where the teacher's output teaches the molecule) and
t_<teacher>_hmask (N, 1) (the same for its representation). A teacher in `partial` (the LM
teacher with `lm.subset`) scored only a sample of the training molecules: both masks are 0 on
the rest, and the loss averages its term over the molecules it scored.

Optional transfer molecules (unlabelled: y is NaN) are appended after the dataset's molecules as
the split `transfer`; their teacher outputs come from the teachers' scores of the transfer set,
and representation terms are masked out for them (screening returns outputs, not embeddings).
For regression, `transfer.trust == "label_range"` masks a teacher's output where it leaves the
training labels' range (the teacher extrapolates there), and molecules no teacher may teach on
are left out of the `transfer` split.

Molecules are held as one `gallon.batches.PackedGraphs` (atoms and edges as whole-set arrays);
a batch is a gather from it, the same path inference takes. Models that ignore bonds get
batches without edges.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import torch

from gallon.batches import PackedGraphs, chunks
from gallon.errors import InputError
from gallon.features.graphs import FEATURE_COLUMNS
from gallon.io import read_table
from gallon.train.spec import TransferData

logger = logging.getLogger(__name__)

PREDICTION_COLUMNS = ("row", "split", "output", "prediction", "embedding")
TRANSFER_COLUMNS = ("row", "output")  # a teacher's raw outputs on the transfer molecules


@dataclass
class GraphSet:
    packed: PackedGraphs  # every molecule's atoms (and edges, for graph networks)
    per_molecule: dict[str, torch.Tensor]  # y, row, t_* tensors, (N, ...)
    rows: np.ndarray  # (N,) data row of each molecule (transfer molecules: -1 - transfer row)
    y: np.ndarray  # (N, T) labels in target units, NaN = missing
    index: dict[str, np.ndarray]  # split name → positions
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


def _join(table_rows: np.ndarray, rows: np.ndarray, what: str) -> np.ndarray:
    """Positions in `table_rows` (sorted) of every row in `rows`; raises naming a missing one."""
    pos = np.searchsorted(table_rows, rows)
    found = (pos < len(table_rows)) & (table_rows[np.minimum(pos, len(table_rows) - 1)] == rows)
    if not found.all():
        missing = rows[~found]
        raise InputError(f"{what} lack {len(missing)} molecules, e.g. row {missing[0]}.")
    return pos


def teacher_targets(
    path: str, rows: np.ndarray, train: np.ndarray, partial: bool = False
) -> dict[str, np.ndarray]:
    """A teacher's predictions file joined to `rows`: raw outputs (N, T), its pooled
    representation z-scored with the statistics of the `train` positions it scored (N, D), and
    `known` (N,), 1 where it scored the molecule. A teacher must score every row unless
    `partial` (the LM teacher on its `lm.subset` sample): there, the rest get zeros, known 0."""
    table = read_table(path, ("row", "output", "embedding")).sort_by("row")
    table_rows = table.column("row").to_numpy()
    if partial:
        pos = np.minimum(np.searchsorted(table_rows, rows), max(len(table_rows) - 1, 0))
        known = (table_rows[pos] == rows) if len(table_rows) else np.zeros(len(rows), bool)
    else:
        pos, known = _join(table_rows, rows, f"teacher outputs {path}"), np.ones(len(rows), bool)
    fit = train[known[train]]
    if len(fit) == 0:
        raise InputError(f"teacher outputs {path} score none of the training molecules.")
    emb = _list_column(table, "embedding")[pos].astype(np.float32)
    out = _list_column(table, "output")[pos].astype(np.float32)
    mu, sd = emb[fit].mean(0), emb[fit].std(0)
    h = (emb - mu) / np.where(sd > 1e-6, sd, 1.0)
    out[~known], h[~known] = 0.0, 0.0
    return {"out": out, "h": h, "known": known.astype(np.float32)}


def within_label_range(outputs: np.ndarray, train_labels: np.ndarray) -> np.ndarray:
    """(N,) float mask: 1 where every task's output (N, T) lies within the [min, max] of the
    training labels (M, T, NaN = missing) of that task, else 0."""
    lo, hi = np.nanmin(train_labels, 0), np.nanmax(train_labels, 0)
    return ((outputs >= lo) & (outputs <= hi)).all(1).astype(np.float32)


def load_graph_set(
    features_path: str,
    molecules_path: str,
    splits: dict[str, list[int]],
    atom_dim: int,
    bond_dim: int,
    task: str,
    teachers: dict[str, str] | None = None,
    transfer: TransferData | None = None,
    bonds: bool = True,
    partial: tuple[str, ...] = (),
) -> GraphSet:
    """The dataset's molecules (+ the `transfer` molecules, scored by `transfer.teachers`).
    Teachers named in `partial` may have scored only some molecules; elsewhere they are masked."""
    feats = read_table(features_path, FEATURE_COLUMNS).sort_by("row")
    mols = read_table(molecules_path, ("row", "y")).sort_by("row")
    rows = feats.column("row").to_numpy()
    labels = _list_column(mols, "y")[_join(mols.column("row").to_numpy(), rows, "labels")]
    index = {name: _positions(rows, ids) for name, ids in splits.items() if name != "meta"}
    n_own, n_tasks = len(rows), labels.shape[1]
    tables = [feats]
    if transfer:
        extra = read_table(transfer.features, FEATURE_COLUMNS).sort_by("row")
        tables.append(extra)
        t_rows = extra.column("row").to_numpy()
        index["transfer"] = np.arange(n_own, n_own + len(t_rows))
        labels = np.concatenate([labels, np.full((len(t_rows), n_tasks), np.nan)])
        rows = np.concatenate([rows, -1 - t_rows])
    y_mean = y_std = None
    y_scaled = labels
    if task == "regression":
        train = labels[index["train"]]
        y_mean, y_std = np.nanmean(train, 0), np.nanstd(train, 0)
        y_std = np.where(y_std > 0, y_std, 1.0)
        y_scaled = (labels - y_mean) / y_std
    per = {"y": torch.tensor(y_scaled, dtype=torch.float32), "row": torch.tensor(rows)}
    dims = {}
    for name, path in (teachers or {}).items():
        got = teacher_targets(path, rows[:n_own], index["train"], name in partial)
        out, h = got["out"], got["h"]
        mask = np.ones((len(rows), 1), np.float32)  # the teacher's output is known
        mask[:n_own, 0] = got["known"]
        hmask = mask.copy()  # its representation is known
        if transfer:
            scored = transfer.teachers.get(name)
            t_out = np.zeros((len(rows) - n_own, n_tasks), np.float32)
            if scored:
                table = read_table(scored, TRANSFER_COLUMNS).sort_by("row")
                pos = _join(table.column("row").to_numpy(), -1 - rows[n_own:], scored)
                t_out = _list_column(table, "output")[pos].astype(np.float32)
                if task == "regression" and transfer.trust == "label_range":
                    mask[n_own:, 0] = within_label_range(t_out, y_scaled[index["train"]])
            else:
                mask[n_own:] = 0.0
            out = np.concatenate([out, t_out])
            h = np.concatenate([h, np.zeros((len(rows) - n_own, h.shape[1]), np.float32)])
            hmask[n_own:] = 0.0
        per[f"t_{name}_out"] = torch.from_numpy(out)
        per[f"t_{name}_h"] = torch.from_numpy(h)
        per[f"t_{name}_mask"] = torch.from_numpy(mask)
        per[f"t_{name}_hmask"] = torch.from_numpy(hmask)
        dims[name] = h.shape[1]
    if transfer and teachers:
        # a transfer molecule no teacher may teach on only costs time: leave it out
        taught = np.zeros(len(rows) - n_own, bool)
        for name in teachers:
            taught |= per[f"t_{name}_mask"][n_own:, 0].numpy() > 0
        if not taught.all():
            logger.info(
                "transfer set: %d of %d molecules teach (teacher outputs within the training "
                "labels' range)",
                taught.sum(),
                len(taught),
            )
        index["transfer"] = index["transfer"][taught]
    table = pa.concat_tables(tables)
    try:
        packed = PackedGraphs.from_table(table, atom_dim, bond_dim, bonds)
    except InputError:
        raise InputError(
            f"features of {features_path} (and the transfer set, if any) do not all have "
            f"{atom_dim} columns: they were made by different featurizers."
        ) from None
    gs = GraphSet(packed, per, rows, labels, index, y_mean, y_std)
    gs.teacher_dims = dims
    return gs


def set_batches(gs: GraphSet, order: np.ndarray, batch_size: int):
    """Batches of a GraphSet over positions `order`, with its per-molecule tensors attached."""
    for chunk in chunks(np.asarray(order, dtype=np.int64), batch_size):
        yield gs.packed.gather(chunk, gs.per_molecule)
