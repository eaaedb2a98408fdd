"""Explanations without an LLM: RDKit's facts and a user's own file."""

import pandas as pd
import pyarrow as pa
import pytest

from gallon.chem import parse_smiles
from gallon.config import load_config
from gallon.errors import ConfigError, InputError
from gallon.explain.offline import RDKIT_SOURCE, DescribeBatch, describe, file_rows, file_source
from gallon.explain.stage import explain_molecules

ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"


def test_rdkit_description_states_checkable_facts():
    text = describe(parse_smiles(ASPIRIN)[0])
    assert "aromatic carboxylic acids" in text and "esters" in text
    assert "1 rings (sizes 6; 1 aromatic)" in text and "no charged atoms" in text
    assert "molecular weight 180.2" in text and "0 rule-of-five violations" in text
    salt = describe(parse_smiles("C[N+](C)(C)C.[Cl-]")[0])
    assert "2 charged atoms (net charge +0)" in salt and "no rings" in salt


def test_rdkit_batch_reports_an_unparseable_molecule_as_an_error():
    out = DescribeBatch()({"key": ["a", "b"], "smiles": ["CCO", "C1CC"]})
    assert out["explanation"][0].startswith("Functional groups") and out["error"][0] is None
    assert out["explanation"][1] is None and "cannot parse" in out["error"][1]


def test_file_rows_join_on_canonical_smiles_and_name_misses(tmp_path):
    path = tmp_path / "mine.jsonl"
    pd.DataFrame(
        {
            "smiles": ["OCC", "c1ccccc1"],
            "explanation": ["ethanol is polar", "benzene"],
            "model": ["gpt-x", None],
        }
    ).to_json(path, orient="records", lines=True)
    out = file_rows({"k1": "CCO", "k2": "CCN", "k3": "c1ccccc1"}, path)
    assert out["explanation"] == ["ethanol is polar", None, "benzene"]
    assert out["model"] == ["gpt-x", None, None]
    assert out["error"][1] == f"no explanation for this molecule in {path}"


def test_a_file_without_the_columns_is_refused(tmp_path):
    path = tmp_path / "bad.csv"
    pd.DataFrame({"smi": ["CCO"], "text": ["x"]}).to_csv(path, index=False)
    with pytest.raises(InputError, match="lacks the column"):
        file_rows({"k": "CCO"}, path)
    with pytest.raises(ConfigError, match="explain.file"):
        load_config([], ["explain.backend=file"])
    with pytest.raises(ConfigError, match="does not exist"):
        file_source(tmp_path / "nope.csv")


def test_file_backend_feeds_the_cache_and_the_errors_table(tmp_path):
    path = tmp_path / "mine.csv"
    pd.DataFrame({"smiles": ["OCC"], "explanation": ["ethanol is polar"]}).to_csv(path, index=False)
    cfg = load_config(
        [], ["explain.backend=file", f"explain.file={path}", f"explain.cache_dir={tmp_path / 'c'}"]
    ).explain
    molecules = pa.table({"row": [0, 1], "smiles": ["CCO", "CCN"]})
    table, errors, stats = explain_molecules(molecules, "mine", ["y"], "regression", cfg)
    assert table.column("explanation").to_pylist() == ["ethanol is polar", None]
    assert errors.column("row").to_pylist() == [1] and stats.source.startswith("file:mine.csv@")
    again, _, stats2 = explain_molecules(molecules, "mine", ["y"], "regression", cfg)
    assert stats2.cached == 1 and again.column("explanation")[0].as_py() == "ethanol is polar"
    assert RDKIT_SOURCE not in stats.source
