"""Models by registry name: GNN teachers (dmpnn, gcn, gin, gine) and the atom-MLP student."""

from gallon.models import dmpnn, gnn, student  # noqa: F401  (registers the models)
from gallon.models.registry import MODELS, build_model, count_parameters, register

__all__ = ["MODELS", "build_model", "count_parameters", "register"]
