"""Backup files of an embedded database: consistent online copies, their names, and checks.

Copies go through SQLite's backup API in one step, which reads one snapshot of the
database (WAL lets other desks keep writing meanwhile) and includes what still sits in
the -wal file; a plain file copy would miss that and could catch a write half-done.
A copy is checked (quick_check) and only then renamed into place, so a backup file that
exists is whole. Restoring writes a checked file back through the same API into the live
database, so connections still open see either all of the old data or all of the new.

Nothing here opens the live database, its -wal or its -shm with Python's open(): the
checks ask SQLite (sqlite_files), because closing any descriptor of the file drops this
process's SQLite locks and lets another process delete the WAL under it (the rule is
spelt out in persistence/engine.py). Backups are private files (0600 in 0700 folders).
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from montu_desktop.config import paths
from montu_desktop.config.private_files import (
    create_private_file,
    private_app_folder,
    private_folder,
)
from montu_desktop.domain.errors import MontuError
from montu_desktop.persistence.sqlite_files import why_unreadable

KINDS = ("daily", "manual", "before-upgrade", "before-restore")
SUFFIX = ".sqlite3"
_STAMP = "%Y%m%d-%H%M%S"
_MONTU_TABLES = {"alembic_version", "clinic", "doctor", "patient", "appointment"}


class BackupFileError(MontuError):
    """A copy could not be written or a file is not a usable Montu backup (reason in words)."""


class SourceUnreadable(BackupFileError):
    """The database to copy is missing or cannot be read whole."""


class TargetUnwritable(BackupFileError):
    """The copy cannot be written where it was asked for."""


@dataclass(frozen=True, slots=True)
class BackupFile:
    """One backup on disk: where, when it was taken (UTC), why, and how big."""

    path: Path
    taken_at: datetime
    kind: str
    size: int


@dataclass(frozen=True, slots=True)
class FileCheck:
    """What a file turned out to be: its schema revision when it is a whole Montu database."""

    revision: str


def backup_folder() -> Path:
    """The backup folder (private; made on first use)."""
    return private_app_folder(paths.data_dir() / "backups")


def backup_path(database: Path, kind: str, when: datetime, folder: Path | None = None) -> Path:
    """A new file name in the backup folder: `<database name>-<UTC stamp>-<kind>.sqlite3`."""
    folder = folder or backup_folder()
    base = f"{database.stem}-{when.astimezone(UTC).strftime(_STAMP)}"
    candidate = folder / f"{base}-{kind}{SUFFIX}"
    n = 1
    while candidate.exists():
        n += 1
        candidate = folder / f"{base}.{n}-{kind}{SUFFIX}"
    return candidate


def list_backups(database: Path, folder: Path | None = None) -> list[BackupFile]:
    """This database's backups in the backup folder, newest first."""
    folder = folder or backup_folder()
    pattern = re.compile(
        rf"^{re.escape(database.stem)}-(\d{{8}}-\d{{6}})(?:\.\d+)?-({'|'.join(KINDS)})"
        rf"{re.escape(SUFFIX)}$"
    )
    found = []
    if folder.is_dir():
        for path in folder.iterdir():
            match = pattern.match(path.name)
            if not match:
                continue
            try:
                size = path.stat().st_size
            except OSError:
                continue
            taken = datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC)
            found.append(BackupFile(path, taken, match.group(2), size))
    return sorted(found, key=lambda b: (b.taken_at, b.path.name), reverse=True)


def copy_online(source: Path, target: Path) -> int:
    """Write a consistent, checked copy of the database `source` to `target`; its size."""
    if not source.is_file():
        raise SourceUnreadable(f"there is no database at {source}")
    why = why_unreadable(source)  # through SQLite: `source` is open in this process
    if source.stat().st_size == 0 or (why is not None and "not a database" in why):
        raise SourceUnreadable(f"the database {source} cannot be read: it is not a database file")
    try:
        private_folder(target.parent)
    except OSError as exc:
        raise TargetUnwritable(f"cannot create the folder {target.parent}: {_why(exc)}") from None
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        create_private_file(partial)  # 0600 before SQLite writes a byte (and its journal too)
        _backup(source, partial)
        os.replace(partial, target)
    except OSError as exc:
        raise TargetUnwritable(f"cannot write {target}: {_why(exc)}") from None
    finally:
        with contextlib.suppress(OSError):
            partial.unlink()
    return target.stat().st_size


def _backup(source: Path, target: Path) -> None:
    try:
        from_db = sqlite3.connect(source, timeout=30)
    except sqlite3.Error as exc:
        raise SourceUnreadable(f"the database {source} cannot be read: {exc}") from None
    try:
        try:
            to_db = sqlite3.connect(target)
        except sqlite3.Error as exc:
            raise OSError(getattr(exc, "sqlite_errorcode", 0), str(exc)) from None
        try:
            try:
                from_db.backup(to_db)  # all pages in one step: one snapshot
            except sqlite3.DatabaseError as exc:
                if "disk" in str(exc) or "readonly" in str(exc) or "unable to open" in str(exc):
                    raise OSError(0, str(exc)) from None
                raise SourceUnreadable(f"the database {source} cannot be read: {exc}") from None
            to_db.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            verdict = to_db.execute("PRAGMA quick_check").fetchone()[0]
            if verdict != "ok":
                raise SourceUnreadable(f"the copy of {source} failed its check ({verdict})")
        finally:
            to_db.close()
    finally:
        from_db.close()


def is_database_file(path: Path) -> bool:
    """True for an SQLite file (what a backup may overwrite); False for anything else.

    Asked through SQLite: `path` may be the live database itself."""
    return path.is_file() and path.stat().st_size > 0 and why_unreadable(path) is None


def check_file(path: Path) -> FileCheck:
    """Refuse (BackupFileError) unless `path` is a whole SQLite database made by Montu.

    `path` should be a private copy (restore stages one): it is opened for writing, so
    that a file saved in WAL mode is read in full and left as one self-contained file.
    """
    if not os.access(path, os.R_OK):
        raise BackupFileError("cannot be read: permission denied")
    if path.stat().st_size == 0:
        raise BackupFileError("is not a database file")
    try:
        conn = sqlite3.connect(path)
    except sqlite3.Error as exc:
        raise BackupFileError(f"cannot be opened: {exc}") from None
    try:
        try:
            conn.execute("PRAGMA schema_version").fetchone()
        except sqlite3.DatabaseError as exc:
            if "not a database" in str(exc):
                raise BackupFileError("is not a database file") from None
            raise
        conn.execute("PRAGMA journal_mode = DELETE")
        rows = conn.execute("PRAGMA integrity_check").fetchall()
        if [r[0] for r in rows] != ["ok"]:
            first = rows[0][0] if rows else "no answer"
            raise BackupFileError(f"is damaged (integrity check: {first})")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables >= _MONTU_TABLES:
            raise BackupFileError("is not a Montu Desktop database")
        revisions = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
    except sqlite3.DatabaseError as exc:
        raise BackupFileError(f"is damaged ({exc})") from None
    finally:
        conn.close()
    if len(revisions) != 1:
        raise BackupFileError("is not a Montu Desktop database (no single schema version)")
    return FileCheck(revisions[0])


def copy_into(backup: Path, database: Path) -> None:
    """Replace the whole content of `database` (open or not) with that of the file `backup`."""
    try:
        if database.parent.is_dir():
            create_private_file(database)  # a new PC: the file is private from its first byte
        from_db = sqlite3.connect(backup)
        to_db = sqlite3.connect(database, timeout=30)
    except sqlite3.Error as exc:
        raise BackupFileError(f"cannot open {database}: {exc}") from None
    try:
        from_db.backup(to_db)
    except sqlite3.Error as exc:
        raise BackupFileError(f"cannot write {database}: {exc}") from None
    finally:
        to_db.close()
        from_db.close()


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)
