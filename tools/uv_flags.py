"""Print the `uv pip install` flags that make uv install from where this machine's pip would.

uv reads no pip configuration, so `make setup` hands it pip's own settings (`pip config list`:
the config files and the PIP_* environment variables, the latter winning as in pip): index URLs,
find-links folders, constraint files and the CA bundle. `--index-strategy unsafe-best-match`
is pip's behaviour of taking the best version across all indexes (uv's default stops at the
first index that has the package). With no pip configuration this prints only that flag, and
uv uses PyPI as pip would.

Usage: python tools/uv_flags.py   (standard library only: runs before anything is installed)
"""

from __future__ import annotations

import shlex
import subprocess
import sys

# pip's precedence: global < user < site config files < environment variables
SCOPES = {"global": 0, "user": 1, "site": 2, ":env:": 3}
FLAGS = {  # pip setting → uv flag; values may list several, separated by whitespace
    "index-url": "--index-url",
    "extra-index-url": "--extra-index-url",
    "find-links": "--find-links",
    "constraint": "--constraint",
    "cert": "--cert",
}


def pip_settings(listing: str) -> dict[str, str]:
    """`pip config list` lines (scope.name='value') → {name: value of the strongest scope}."""
    best: dict[str, tuple[int, str]] = {}
    for line in listing.splitlines():
        key, sep, value = line.partition("=")
        scope, _, name = key.rpartition(".")
        if not sep or name not in FLAGS:
            continue
        rank = SCOPES.get(scope, 0)
        if name not in best or rank >= best[name][0]:
            best[name] = (rank, value.strip().strip("'\""))
    return {name: value for name, (_, value) in best.items()}


def uv_flags(settings: dict[str, str]) -> list[str]:
    flags = ["--index-strategy", "unsafe-best-match"]
    for name, value in settings.items():
        for item in value.split():
            flags += [FLAGS[name], item]
    return flags


def main() -> None:
    listing = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True
    ).stdout
    print(shlex.join(uv_flags(pip_settings(listing))))


if __name__ == "__main__":
    main()
