"""The `gallon` command and its config loading (no Ray: only parsing and dispatch)."""

import importlib

import pytest

from gallon import commands
from gallon.cli import base_parser, config_from_args
from gallon.config.schema import Config


def test_help_lists_every_subcommand(capsys):
    assert commands.main(["--help"]) == 0
    text = capsys.readouterr().out
    for name in ("run", "explain", "sweep", "screen", "export", "compare"):
        assert f"  {name} " in text


def test_an_unknown_subcommand_fails_with_the_list(capsys):
    assert commands.main(["trian"]) == 2
    assert "unknown command 'trian'" in capsys.readouterr().err


@pytest.mark.parametrize("name", sorted(commands.COMMANDS))
def test_each_subcommand_has_a_job_with_flags(name, capsys):
    module, _, _ = commands.COMMANDS[name]
    assert callable(importlib.import_module(f"gallon.commands.{module}").main)
    with pytest.raises(SystemExit) as exit_:
        commands.main([name, "--help"])
    assert exit_.value.code == 0 and "usage: gallon" in capsys.readouterr().out


def test_a_config_file_merges_over_the_defaults(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("student:\n  hidden: 32\n")
    args = base_parser("x").parse_args(["--config", str(path), "--set", "gnn.layers=5"])
    cfg = config_from_args(args)
    assert cfg.student.hidden == 32 and cfg.gnn.layers == 5
    defaults = Config()
    assert cfg.student.layers == defaults.student.layers  # the rest of the section stays
    assert cfg.distill == defaults.distill and cfg.features == defaults.features
