"""Screening never deletes a user's files: --output is new, empty, or gallon's own output."""

import os

import pytest

from gallon.errors import InputError
from gallon.screen.output import prepare_output


def test_a_new_or_empty_folder_is_used(tmp_path):
    assert prepare_output(tmp_path / "new", False, []) == (tmp_path / "new").resolve()
    (tmp_path / "empty").mkdir()
    assert prepare_output(tmp_path / "empty", False, []).is_dir()


def test_a_previous_screening_output_is_replaced(tmp_path):
    old = tmp_path / "preds"
    old.mkdir()
    (old / "_summary.json").write_text("{}")
    (old / "part-0.parquet").write_bytes(b"x")
    prepare_output(old, False, [])
    assert not old.exists()


def test_a_folder_with_other_files_is_refused_without_overwrite(tmp_path):
    mine = tmp_path / "results"
    mine.mkdir()
    (mine / "thesis.docx").write_text("years of work")
    with pytest.raises(InputError, match="not a screening output"):
        prepare_output(mine, False, [])
    assert (mine / "thesis.docx").exists()
    prepare_output(mine, True, [])  # asked for explicitly
    assert not mine.exists()


def test_the_working_folder_and_the_inputs_survive_even_overwrite(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "library.csv").write_text("smiles\nCCO\n")
    for output in (".", str(tmp_path.parent)):
        with pytest.raises(InputError, match="working folder"):
            prepare_output(output, True, [])
    data = tmp_path / "data"
    data.mkdir()
    (data / "library.csv").write_text("smiles\nCCO\n")
    with pytest.raises(InputError, match="holds"):
        prepare_output(data, True, [data / "library.csv"])
    assert os.path.exists(data / "library.csv") and os.path.exists(tmp_path / "library.csv")


def test_a_previous_export_is_replaced_but_not_with_a_user_file_in_it(tmp_path):
    old = tmp_path / "export"
    old.mkdir()
    for name in ("export.json", "featurizer.json", "seed_0.onnx", "seed_1.onnx"):
        (old / name).write_text("x")
    prepare_output(old, False, [])
    assert not old.exists()
    old.mkdir()
    (old / "export.json").write_text("{}")
    (old / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not a screening output"):
        prepare_output(old, False, [])
    assert (old / "notes.txt").exists()
