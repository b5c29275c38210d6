"""Marks an embedded database as open by this process, so a restore can see who still has it.

Each process that opens the file holds an exclusive OS lock on a small file of its own in
`<database>.in-use/`. The lock dies with the process (even after kill -9), so a marker
nobody holds any more is stale and is swept away by the next look. Locks are per open
file (flock on POSIX, msvcrt on Windows): a second look from the same process still sees
the first one's marker as held.

Only these marker files are opened, never the database, its -wal or its -shm (closing a
descriptor of those would drop this process's SQLite locks: the rule in engine.py); flock
locks on the markers are separate from SQLite's POSIX locks on the database.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import uuid
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)


def marker_folder(database: Path) -> Path:
    return database.with_name(database.name + ".in-use")


def _try_lock(handle: IO[str]) -> bool:
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


class InUseMarker:
    """Held from opening the database until `release()` (or the process ends)."""

    def __init__(self, database: Path) -> None:
        self.path = marker_folder(database) / f"{os.getpid()}-{uuid.uuid4().hex[:8]}.lock"
        self._handle: IO[str] | None = None

    @classmethod
    def hold(cls, database: Path) -> InUseMarker | None:
        """A held marker, or None when the folder cannot be written (then nothing is marked)."""
        marker = cls(database)
        handle = None
        for _try in range(3):  # another process may remove the empty folder in between
            try:
                marker.path.parent.mkdir(mode=0o700, exist_ok=True)
                fd = os.open(marker.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                handle = os.fdopen(fd, "w", encoding="utf-8")  # held open until release
                break
            except FileNotFoundError:
                continue
            except OSError as exc:
                log.debug("cannot mark the database as in use: %s", exc)
                return None
        if handle is None:
            return None
        if not _try_lock(handle):
            handle.close()
            return None
        handle.write(f"process {os.getpid()}\n")
        handle.flush()
        marker._handle = handle
        return marker

    def release(self) -> None:
        if self._handle is None:
            return
        handle, self._handle = self._handle, None
        with contextlib.suppress(OSError):
            handle.close()
        with contextlib.suppress(OSError):
            self.path.unlink()
        with contextlib.suppress(OSError):  # the last one out leaves no folder behind
            self.path.parent.rmdir()


def holders(database: Path, *, mine: InUseMarker | None = None) -> list[str]:
    """Who else has the database open now ('process 1234'); stale markers are removed."""
    folder = marker_folder(database)
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("*.lock")):
        if mine is not None and path == mine.path:
            continue
        try:
            handle = open(path, encoding="utf-8")  # noqa: SIM115
        except OSError:
            continue
        with handle:
            if _try_lock(handle):  # nobody holds it: its process has gone
                handle.close()
                with contextlib.suppress(OSError):
                    path.unlink()
                continue
            try:
                found.append(handle.read().strip() or "another process")
            except OSError:  # Windows: the holder's lock covers what we would read
                found.append("process " + path.name.split("-", 1)[0])
    return found
