"""The on-disk layout of a search index: create or open it, refuse other formats, detect a held write lock.

Layout of an index directory::

    <path>/meta.json   {"format": "harvester-search-index", "schema_version": N, "tantivy": "0.27.0"}
    <path>/tantivy/    the tantivy index (tantivy keeps its own meta.json and lock files in there)
"""

from __future__ import annotations

import json
import os
import shutil
from importlib.metadata import version
from pathlib import Path
from typing import Any

import tantivy

from harvester.index.errors import IndexFormatError, IndexLockedError
from harvester.index.schema import SCHEMA_VERSION, build_schema

FORMAT_NAME = "harvester-search-index"
META_FILE = "meta.json"
TANTIVY_DIR = "tantivy"
TANTIVY_VERSION = version("tantivy")
#: tantivy's own meta.json, replaced by every commit
COMMIT_FILE = "meta.json"
#: tantivy's lock file, held (flock) by the one IndexWriter of a directory
WRITER_LOCK_FILE = ".tantivy-writer.lock"
REINDEX_HINT = "run `harvester reindex` to rebuild the search index"


def open_or_create(path: Path) -> tantivy.Index:
    """Open the index at ``path``, creating it when the directory holds none; refuse other formats."""
    index_dir = path / TANTIVY_DIR
    meta = read_format_meta(path)
    if meta is None and not _has_files(index_dir):
        if (path / META_FILE).exists():
            raise IndexFormatError(f"{path}: unreadable {META_FILE}; {REINDEX_HINT}")
        index_dir.mkdir(parents=True, exist_ok=True)
        index = tantivy.Index(build_schema(), path=str(index_dir), reuse=False)
        write_format_meta(path)
        return index
    check_format(path, meta)
    return tantivy.Index.open(str(index_dir))


def wipe(path: Path) -> None:
    """Delete the index at ``path`` (only meta.json and tantivy/); refused while a writer holds it."""
    check_not_locked(path)
    (path / META_FILE).unlink(missing_ok=True)
    shutil.rmtree(path / TANTIVY_DIR, ignore_errors=True)


def check_format(path: Path, meta: dict[str, Any] | None) -> None:
    """Raise IndexFormatError unless ``meta`` and the tantivy files are what this version writes."""
    problem = None
    if meta is None or meta.get("format") != FORMAT_NAME:
        problem = "not a harvester search index (no format marker)"
    elif meta.get("schema_version") != SCHEMA_VERSION:
        problem = f"index schema version {meta.get('schema_version')}, this harvester needs {SCHEMA_VERSION}"
    elif not tantivy.Index.exists(str(path / TANTIVY_DIR)):
        problem = "the tantivy index is missing"
    elif not tantivy.Index.is_compatible(str(path / TANTIVY_DIR)):
        problem = f"the tantivy index format is not readable by tantivy {TANTIVY_VERSION}"
    if problem:
        raise IndexFormatError(f"{path}: {problem}; {REINDEX_HINT}")


def format_meta() -> dict[str, Any]:
    """The content of <path>/meta.json written with a new index."""
    return {"format": FORMAT_NAME, "schema_version": SCHEMA_VERSION, "tantivy": TANTIVY_VERSION}


def read_format_meta(path: Path) -> dict[str, Any] | None:
    """The parsed <path>/meta.json, or None when it is missing or unreadable."""
    try:
        data = json.loads((path / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_format_meta(path: Path) -> None:
    """Write <path>/meta.json atomically."""
    temporary = path / f".{META_FILE}.tmp"
    temporary.write_text(json.dumps(format_meta(), indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path / META_FILE)


def commit_stamp(path: Path) -> tuple[int, int, int]:
    """Identity of tantivy's meta.json: it changes with every commit, from any process."""
    try:
        info = (path / TANTIVY_DIR / COMMIT_FILE).stat()
    except OSError:
        return (0, 0, 0)
    return (info.st_ino, info.st_mtime_ns, info.st_size)


def check_not_locked(path: Path) -> None:
    """Raise IndexLockedError when an IndexWriter, in any process, holds the index at ``path``."""
    try:
        import fcntl
    except ImportError:  # not POSIX: tantivy's own lock still stops a second writer
        return
    try:
        descriptor = os.open(path / TANTIVY_DIR / WRITER_LOCK_FILE, os.O_RDWR)
    except FileNotFoundError:
        return
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(descriptor, fcntl.LOCK_UN)
    except BlockingIOError as error:
        raise IndexLockedError(f"{path}: a writer is using the index") from error
    finally:
        os.close(descriptor)


def _has_files(directory: Path) -> bool:
    return directory.is_dir() and any(directory.iterdir())
