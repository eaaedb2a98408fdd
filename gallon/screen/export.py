"""Export graph-free students to ONNX, one file per seed, usable without gallon, torch or Ray.

Each `<member>.onnx` (`seed_0.onnx`, ... or `model.onnx` for a single model folder) maps

    x      (atoms, F) float32  atom features of a batch of molecules, molecule after molecule
    sizes  (molecules,) int64  atoms per molecule, in the order of x's rows

to `predictions` (molecules, T) float32 in target units: probabilities for classification,
de-standardised values for regression. Run it with onnxruntime:
`InferenceSession("seed_0.onnx").run(None, {"x": x, "sizes": sizes})`.

The network does not featurise. `featurizer.json` (copied beside the models) is the exact spec
of x, and gallon's featurizer reproduces it with RDKit and numpy only (no torch, no Ray):
`GraphFeaturizer.from_spec(spec).atoms.many(mols)`; `export.json` says so, with the inputs,
outputs, targets and members. Mean and spread over seeds are the user's to take (screening takes
them the same way: mean, and the sample standard deviation).
"""

from __future__ import annotations

import contextlib
import io
import logging
import shutil
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gallon.artifacts import FEATURIZER, Predictor
from gallon.errors import InputError
from gallon.io import write_json
from gallon.models.ensemble import members_of
from gallon.screen.output import MANIFEST

OPSET = 18


class _ExportableStudent(nn.Module):
    """(x (N, F), sizes (B,)) → (B, T) predictions in target units (as `to_predictions`)."""

    def __init__(self, member: Predictor) -> None:
        super().__init__()
        self.model = member.model.eval()
        self.classification = member.task == "classification"
        mean, std = member.hparams.get("y_mean") or [0.0], member.hparams.get("y_std") or [1.0]
        self.register_buffer("y_mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("y_std", torch.tensor(std, dtype=torch.float32))

    def forward(self, x: torch.Tensor, sizes: torch.Tensor) -> torch.Tensor:
        n = sizes.shape[0]
        batch = torch.repeat_interleave(torch.arange(n), sizes)
        # sizes are the atom counts: ONNX has no bincount, which pooling would use otherwise;
        # an ensemble predicts its members' mean raw output, as its forward pass does
        outs = [m.readout(m.atom_states(x), batch, n, sizes)[0] for m in members_of(self.model)]
        out = torch.stack(outs).mean(0)
        if self.classification:
            return torch.sigmoid(out)
        return out * self.y_std + self.y_mean


@contextlib.contextmanager
def _quiet():
    """The exporter reports each of its passes on stdout and in logs (and warns that torchvision
    is absent): chatter, not results. Errors still raise."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)
        try:
            yield
        finally:
            logging.disable(logging.NOTSET)


def _example(member: Predictor) -> tuple[torch.Tensor, torch.Tensor]:
    """Trace inputs: two molecules of 3 and 2 atoms (environment ids 0, valid for any table)."""
    return torch.zeros(5, member.featurizer.atom_dim), torch.tensor([3, 2])


def check_exportable(members: list[Predictor]) -> list[str]:
    """The file stems the members will be written under; raises before anything is written."""
    try:
        import onnxscript  # noqa: F401  (torch.onnx's exporter needs it)
    except ImportError:
        raise InputError(
            "ONNX export needs onnx and onnxscript: pip install 'gallon[export]'."
        ) from None
    if any(m.model.uses_bonds for m in members):
        raise InputError("only graph-free students (atom_mlp) can be exported; GNNs need bonds.")
    names = ["model"] if len(members) == 1 else [m.path.name for m in members]
    if len(set(names)) != len(names):
        raise InputError("the models to export have the same folder name; export them one by one.")
    return names


def export_onnx(members: list[Predictor], dest: Path) -> list[Path]:
    """Write one ONNX model per member, featurizer.json and export.json into `dest`."""
    names = check_exportable(members)
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for member, name in zip(members, names):
        path = dest / f"{name}.onnx"
        atoms, molecules = torch.export.Dim("atoms", min=1), torch.export.Dim("molecules", min=1)
        with _quiet():
            program = torch.onnx.export(
                _ExportableStudent(member),
                _example(member),
                input_names=["x", "sizes"],
                output_names=["predictions"],
                dynamic_shapes={"x": {0: atoms}, "sizes": {0: molecules}},
                opset_version=OPSET,
                dynamo=True,
                verbose=False,
            )
        program.save(str(path))
        written.append(path)
    shutil.copy2(members[0].path / FEATURIZER, dest / FEATURIZER)
    write_json(_manifest(members, written), dest / MANIFEST)
    return written


def _manifest(members: list[Predictor], written: list[Path]) -> dict[str, Any]:
    first = members[0]
    return {
        "format": f"ONNX, opset {OPSET}",
        "task": first.task,
        "targets": first.targets,
        "models": [
            {"file": p.name, "trained_as": str(m.path), "seed": m.hparams.get("seed")}
            for m, p in zip(members, written)
        ],
        "inputs": {
            "x": "float32 (atoms, F): atom features, molecule after molecule",
            "sizes": "int64 (molecules,): atoms per molecule (RDKit GetNumAtoms, implicit H)",
        },
        "outputs": {
            "predictions": "float32 (molecules, targets): "
            + ("probabilities" if first.task == "classification" else "values in target units")
        },
        "featurize": (
            "from gallon.features.graphs import GraphFeaturizer; "
            "f = GraphFeaturizer.from_spec(json.load(open('featurizer.json'))); "
            "x = f.atoms.many(mols)  # mols: RDKit molecules parsed as gallon.chem.parse_smiles"
        ),
        "atom_dim": first.featurizer.atom_dim,
    }
