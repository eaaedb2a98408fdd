"""The featurize stage gives the same features and errors in the driver (small inputs) and on
Ray Data actors (large inputs, or `features.in_driver_below=0`)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gallon.features.stage import featurize
from gallon.io import write_table

# charged, aromatic heterocycles, stereocentres, a salt, and two that fail (parse, valence)
SMILES = ["C[n+]1ccccc1", "c1ccc2[nH]ccc2c1", "C[C@H](N)C(=O)O", "F/C=C/Cl", "CC(=O)[O-].[Na+]",
          "C1CC", "CCO", "O=S(=O)([O-])c1ccccc1", "C(C)(C)(C)(C)C", "c1ccncc1"] * 3  # fmt: skip


@pytest.fixture(scope="module")
def local_ray():
    import ray

    started = not ray.is_initialized()  # another in-process test's Ray may still be up
    if started:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    if started:
        ray.shutdown()


@pytest.mark.parametrize("atoms", ["rich", "rich_morgan"])
def test_in_driver_and_on_ray_data_write_identical_features(local_ray, tmp_path, atoms):
    molecules = tmp_path / "molecules.parquet"
    write_table(pa.table({"row": pa.array(range(len(SMILES)), pa.int64()), "smiles": SMILES}),
                molecules)  # fmt: skip
    # batches of 4: several per path, and a last one that is not full
    here = featurize(molecules, tmp_path / "driver", atoms, 4, 2, in_driver_below=len(SMILES) + 1)
    there = featurize(molecules, tmp_path / "ray", atoms, 4, 2, in_driver_below=len(SMILES))
    assert here.spec == there.spec
    a = pq.read_table(here.path).sort_by("row")
    b = pq.read_table(there.path).sort_by("row")
    assert a.num_rows == len(SMILES) - 6 and a.equals(b)
    assert here.errors.sort_by("row").equals(there.errors.sort_by("row"))
    assert sorted(here.errors.column("row").to_pylist()) == [5, 8, 15, 18, 25, 28]
