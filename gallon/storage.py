"""Shared storage: a local folder or any `pyarrow.fs` URI (file://, s3://, gs://, hdfs://).

On a cluster every node must see the artifacts a worker reads (features, teacher outputs,
explanations) and a later run needs (checkpoints, caches). `Storage` is the one place that
knows whether a location is a local folder or object storage; everything else passes strings.
"""

from __future__ import annotations

import posixpath
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from gallon.errors import ConfigError


def is_uri(location: str | Path) -> bool:
    return "://" in str(location)


class Storage:
    """A folder in some filesystem; paths below it are '/'-joined strings."""

    def __init__(self, location: str | Path) -> None:
        loc = str(location)
        if is_uri(loc):
            try:
                self.fs, self.root = pafs.FileSystem.from_uri(loc)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as err:
                raise ConfigError(f"storage '{loc}' is not a usable location: {err}") from None
            self.scheme = loc.split("://", 1)[0]
        else:
            self.fs, self.root = pafs.LocalFileSystem(), str(Path(loc).expanduser().resolve())
            self.scheme = None
        self.root = self.root.rstrip("/") or "/"

    def path(self, *parts: str) -> str:
        """Path inside the filesystem (what `self.fs` takes)."""
        return posixpath.join(self.root, *parts) if parts else self.root

    def uri(self, *parts: str) -> str:
        """A location string for other tools (Ray Train/Tune storage_path, pyarrow readers)."""
        path = self.path(*parts)
        if self.scheme is None:
            return path
        return f"{self.scheme}://{path}"

    def makedirs(self, *parts: str) -> None:
        self.fs.create_dir(self.path(*parts), recursive=True)

    def exists(self, *parts: str) -> bool:
        return self.fs.get_file_info(self.path(*parts)).type != pafs.FileType.NotFound

    def list(self, *parts: str, prefix: str = "", suffix: str = "") -> list[str]:
        """Names of the files directly in the folder (sorted), filtered by prefix/suffix."""
        infos = self.fs.get_file_info(pafs.FileSelector(self.path(*parts), allow_not_found=True))
        names = (posixpath.basename(i.path) for i in infos if i.type == pafs.FileType.File)
        return sorted(n for n in names if n.startswith(prefix) and n.endswith(suffix))

    def write_table(self, table: pa.Table, *parts: str) -> str:
        """Write Parquet under a temporary name in the destination folder, then move it into
        place: readers never see a half-written file on a local or POSIX filesystem. (On an
        object store the move is a copy plus delete, so there the final object appears whole
        but not in a single step.)"""
        final = self.path(*parts)
        self.fs.create_dir(posixpath.dirname(final), recursive=True)
        tmp = posixpath.join(
            posixpath.dirname(final), f".{posixpath.basename(final)}.{uuid.uuid4().hex}.tmp"
        )
        pq.write_table(table, tmp, filesystem=self.fs, compression="zstd")
        self.fs.move(tmp, final)
        return final

    def read_table(self, *parts: str) -> pa.Table:
        return pq.read_table(self.path(*parts), filesystem=self.fs)

    def delete(self, *parts: str) -> None:
        self.fs.delete_file(self.path(*parts))

    def publish(self, local_dir: str | Path, *parts: str) -> str:
        """Copy a local folder (a run folder) into the storage, replacing files it already has."""
        dest = self.path(*parts)
        self.fs.create_dir(dest, recursive=True)
        pafs.copy_files(
            str(Path(local_dir).resolve()),
            dest,
            source_filesystem=pafs.LocalFileSystem(),
            destination_filesystem=self.fs,
        )
        return self.uri(*parts)
