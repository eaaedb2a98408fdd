"""Exceptions that end a run with one clear sentence, and the schema of the errors table.

A `GallonError` is a user-facing failure (bad config, bad input file): the entry scripts print its
message and exit with code 2, never a traceback. Bad *rows* are not exceptions: they become rows of
the errors table (`ERROR_COLUMNS`) and the batch goes on.
"""

from __future__ import annotations

import pyarrow as pa

EXIT_USAGE = 2


def first_line(err: BaseException) -> str:
    """The first line of an exception's message (RDKit's and pyarrow's run on), or its type."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


class GallonError(Exception):
    """A failure the user can fix; its message is one sentence that says how."""


class ConfigError(GallonError):
    """The configuration is invalid (unknown key, wrong type, value out of range)."""


class InputError(GallonError):
    """An input file or table cannot be used (missing, unreadable, wrong columns, no data)."""


ERROR_SCHEMA = pa.schema(
    [
        pa.field("row", pa.int64()),
        pa.field("smiles", pa.string()),
        pa.field("stage", pa.string()),
        pa.field("reason", pa.string()),
    ]
)
ERROR_COLUMNS = tuple(ERROR_SCHEMA.names)


def error_rows(rows: list[int], smiles: list[str], stage: str, reasons: list[str]) -> pa.Table:
    """Build an errors table of len(rows) rows, all from one `stage`."""
    return pa.table(
        {
            "row": pa.array(rows, pa.int64()),
            "smiles": pa.array(smiles, pa.string()),
            "stage": pa.array([stage] * len(rows), pa.string()),
            "reason": pa.array(reasons, pa.string()),
        },
        schema=ERROR_SCHEMA,
    )


def empty_errors() -> pa.Table:
    return ERROR_SCHEMA.empty_table()
