from pathlib import Path

from gallon.config.reference import render, rows
from gallon.config.schema import Config

DOC = Path(__file__).resolve().parents[3] / "docs" / "configuration.md"


def test_docs_configuration_is_generated_from_the_dataclasses():
    assert DOC.read_text() == render(), (
        "run: python -m gallon.config.reference > docs/configuration.md"
    )


def test_every_key_is_documented():
    cfg = Config()
    missing = [key for key, _, _, text in rows(Config, cfg) if not text and key.count(".") > 0]
    assert not missing, f"keys without a docstring in gallon/config/: {missing}"
