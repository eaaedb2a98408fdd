"""The bundled MoleculeNet datasets (gzipped CSVs in gallon/data/moleculenet, see SOURCES.md)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

Metric = Literal["roc_auc", "rmse"]

METRIC_FOR_TASK: dict[str, Metric] = {"classification": "roc_auc", "regression": "rmse"}


@dataclass(frozen=True)
class DatasetSpec:
    """Where a dataset's molecules and labels are and how it is scored."""

    name: str
    file: str
    smiles_column: str
    targets: tuple[str, ...]
    task: Literal["classification", "regression"]

    @property
    def metric(self) -> Metric:
        return METRIC_FOR_TASK[self.task]

    @property
    def path(self) -> Path:
        return Path(str(resources.files("gallon.data") / "moleculenet" / self.file))


SIDER_TASKS = (
    "Hepatobiliary disorders",
    "Metabolism and nutrition disorders",
    "Product issues",
    "Eye disorders",
    "Investigations",
    "Musculoskeletal and connective tissue disorders",
    "Gastrointestinal disorders",
    "Social circumstances",
    "Immune system disorders",
    "Reproductive system and breast disorders",
    "Neoplasms benign, malignant and unspecified (incl cysts and polyps)",
    "General disorders and administration site conditions",
    "Endocrine disorders",
    "Surgical and medical procedures",
    "Vascular disorders",
    "Blood and lymphatic system disorders",
    "Skin and subcutaneous tissue disorders",
    "Congenital, familial and genetic disorders",
    "Infections and infestations",
    "Respiratory, thoracic and mediastinal disorders",
    "Psychiatric disorders",
    "Renal and urinary disorders",
    "Pregnancy, puerperium and perinatal conditions",
    "Ear and labyrinth disorders",
    "Cardiac disorders",
    "Nervous system disorders",
    "Injury, poisoning and procedural complications",
)
TOX21_TASKS = (
    "NR-AR",
    "NR-AR-LBD",
    "NR-AhR",
    "NR-Aromatase",
    "NR-ER",
    "NR-ER-LBD",
    "NR-PPAR-gamma",
    "SR-ARE",
    "SR-ATAD5",
    "SR-HSE",
    "SR-MMP",
    "SR-p53",
)

DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec("bbbp", "bbbp.csv.gz", "smiles", ("p_np",), "classification"),
        DatasetSpec("bace", "bace.csv.gz", "smiles", ("Class",), "classification"),
        DatasetSpec(
            "clintox", "clintox.csv.gz", "smiles", ("FDA_APPROVED", "CT_TOX"), "classification"
        ),
        DatasetSpec("hiv", "hiv.csv.gz", "smiles", ("HIV_active",), "classification"),
        DatasetSpec("sider", "sider.csv.gz", "smiles", SIDER_TASKS, "classification"),
        DatasetSpec("tox21", "tox21.csv.gz", "smiles", TOX21_TASKS, "classification"),
        DatasetSpec(
            "esol",
            "esol.csv.gz",
            "smiles",
            ("measured log solubility in mols per litre",),
            "regression",
        ),
        DatasetSpec("freesolv", "freesolv.csv.gz", "smiles", ("expt",), "regression"),
        DatasetSpec("lipophilicity", "lipophilicity.csv.gz", "smiles", ("exp",), "regression"),
    )
}
ALIASES = {"lipo": "lipophilicity", "delaney": "esol", "sampl": "freesolv"}


def find_dataset(name: str) -> DatasetSpec | None:
    """The bundled dataset called `name` (case-insensitive, common aliases), else None."""
    key = name.lower()
    return DATASETS.get(ALIASES.get(key, key))
