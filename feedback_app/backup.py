"""Consistent copies of a SQLite database, taken while the app keeps writing to it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import Engine


class BackupError(Exception):
    """The backup cannot be made; the message says why."""


def backup_sqlite(engine: Engine, target: str | Path, pages_per_step: int = 1024) -> int:
    """Copy the engine's SQLite database to ``target`` with SQLite's online backup API.

    Writers may go on meanwhile: the copy is a consistent snapshot. Returns the copy's
    size in bytes. Raises BackupError for a PostgreSQL engine (use ``pg_dump``), an
    existing target, or a copy that fails its integrity check.
    """
    if engine.dialect.name != "sqlite":
        raise BackupError("This database is PostgreSQL: back it up with pg_dump (see the README).")
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} already exists: choose a new file name.")
    source_path = engine.url.database
    if not source_path or source_path == ":memory:":
        raise BackupError("Only a SQLite database in a file can be backed up.")
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(source_path, timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy, pages=pages_per_step)
        copy.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
    finally:
        copy.close()
        source.close()
    result = integrity_check(target)
    if result != "ok":
        target.unlink(missing_ok=True)
        raise BackupError(f"The copy failed its integrity check ({result}); nothing was kept.")
    return target.stat().st_size


def integrity_check(path: str | Path) -> str:
    """SQLite's integrity check of the database file at ``path`` ("ok" when sound)."""
    connection = sqlite3.connect(path)
    try:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        connection.close()
