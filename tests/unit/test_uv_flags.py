"""tools/uv_flags.py: uv gets pip's sources, the strongest scope winning as in pip."""

import importlib.util
from pathlib import Path

TOOL = Path(__file__).resolve().parents[2] / "tools" / "uv_flags.py"
spec = importlib.util.spec_from_file_location("uv_flags", TOOL)
uv_flags = importlib.util.module_from_spec(spec)
spec.loader.exec_module(uv_flags)

LISTING = """\
:env:.default-timeout='180'
:env:.find-links='/opt/wheels'
global.find-links='/elsewhere'
global.constraint='/etc/xdg/pip/constraints.txt'
global.extra-index-url='file:///a/simple file:///b/simple'
user.index-url='https://mirror.example/simple'
"""


def test_the_environment_beats_the_config_files_and_lists_become_repeated_flags():
    settings = uv_flags.pip_settings(LISTING)
    assert settings["find-links"] == "/opt/wheels" and "default-timeout" not in settings
    flags = uv_flags.uv_flags(settings)
    assert flags[:2] == ["--index-strategy", "unsafe-best-match"]
    pairs = list(zip(flags[2::2], flags[3::2], strict=True))
    assert ("--extra-index-url", "file:///a/simple") in pairs
    assert ("--extra-index-url", "file:///b/simple") in pairs
    assert ("--find-links", "/opt/wheels") in pairs and ("--find-links", "/elsewhere") not in pairs
    assert ("--constraint", "/etc/xdg/pip/constraints.txt") in pairs
    assert ("--index-url", "https://mirror.example/simple") in pairs


def test_no_pip_configuration_leaves_uv_on_its_default_index():
    assert uv_flags.uv_flags(uv_flags.pip_settings("")) == ["--index-strategy", "unsafe-best-match"]
