"""Questions about an SQLite file, asked through SQLite itself (the rule in persistence/engine.py).

Python's open()/close() on a database file, its -wal or its -shm drops every POSIX lock
SQLite holds on it in this process; SQLite's own connections share one set of locks per
file within a process, so asking SQLite is always safe, even while the app has the
database open.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from montu_desktop.config.private_files import create_private_file, tighten

COMPANIONS = ("-wal", "-shm", "-journal")
"""The files SQLite keeps beside a database (`<name>-wal` …)."""


def read_only_uri(path: Path) -> str:
    """A `file:` URI that opens `path` read-only and never creates it."""
    return f"{path.absolute().as_uri()}?mode=ro"


def why_unreadable(path: Path) -> str | None:
    """None when SQLite can read `path` as a database (an empty file is an empty database);
    otherwise SQLite's reason ("file is not a database", "unable to open database file" …)."""
    try:
        conn = sqlite3.connect(read_only_uri(path), uri=True, timeout=30)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        conn.execute("PRAGMA schema_version").fetchone()
    except sqlite3.Error as exc:
        return str(exc)
    finally:
        conn.close()
    return None


def is_database(path: Path) -> bool:
    """True for a file SQLite reads as a database (empty files included)."""
    return path.is_file() and why_unreadable(path) is None


def make_private(path: Path) -> None:
    """Before the first connection creates it: the database file exists, empty, mode 0600
    (SQLite gives its -wal and -shm the database's mode). An existing file and its
    companions are tightened with chmod, which opens nothing."""
    if path.parent.is_dir():
        create_private_file(path)
    tighten_database(path)


def tighten_database(path: Path) -> None:
    """chmod 0600 the database file and whichever of its companions exist."""
    tighten(path)
    for suffix in COMPANIONS:
        tighten(Path(f"{path}{suffix}"))
