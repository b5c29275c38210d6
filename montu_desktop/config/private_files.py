"""Patient files are private: 0600 files in 0700 folders, whatever the umask.

Everything Montu Desktop writes that can hold patient details or how to reach them — the
embedded database (SQLite then gives its -wal and -shm the database file's mode), backups
(also the copies before a restore or an upgrade, and pg_dump files), the logs and the
settings files — is created through these helpers, and files left with wider modes by
an older version are tightened when their folder is first used.

On Windows the modes mean little (the user's profile folders are private already); the
calls are harmless there.

Never open() a live SQLite file here: tightening uses chmod, which opens nothing (see
persistence/engine.py for why that matters).
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700
_tightened: set[Path] = set()
_trees: set[Path] = set()


def private_folder(path: Path) -> Path:
    """`path`, created with any missing parents as 0700 folders whatever the umask. Folders
    that already exist are left as they are (a shared drive, a USB stick: not ours)."""
    missing = []
    here = path
    while not here.exists():
        missing.append(here)
        if here.parent == here:
            break
        here = here.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            folder.mkdir(mode=FOLDER_MODE)
        _chmod(folder, FOLDER_MODE)
    return path


def private_app_folder(path: Path) -> Path:
    """One of the app's own folders: created or made 0700, and once per process every file
    directly in it tightened to 0600 (files an older version left readable by others)."""
    private_folder(path)
    if path not in _tightened:
        _tightened.add(path)
        tighten(path, FOLDER_MODE)
        tighten_files_in(path)
    return path


def tighten_tree(folder: Path) -> None:
    """`folder`, the folders in it (0700) and every file in them (0600): one of the app's
    own folders (a few dozen files: the database, its backups, the logs, the settings)."""
    if folder in _trees:
        return
    _trees.add(folder)
    tighten(folder, FOLDER_MODE)
    for here, subfolders, _files in os.walk(folder):
        tighten_files_in(Path(here))
        for name in subfolders:
            tighten(Path(here) / name, FOLDER_MODE)


def tighten_files_in(folder: Path) -> None:
    """chmod 0600 every regular file directly in `folder` whose mode lets others in."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            with contextlib.suppress(OSError):
                if entry.is_file(follow_symlinks=False):
                    tighten(Path(entry.path))


def tighten(path: Path, mode: int = FILE_MODE) -> None:
    """Take away the group's and others' rights on an existing file (nothing when it is
    missing or not ours to change)."""
    try:
        current = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return
    if current & 0o077:
        _chmod(path, current & mode)


def create_private_file(path: Path) -> bool:
    """Create `path` empty with mode 0600 unless it exists; True when this call created it."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    try:
        _fchmod(fd)
    finally:
        os.close(fd)
    return True


def write_private_text(path: Path, text: str) -> None:
    """Replace `path` with `text` (UTF-8) as a 0600 file, all or nothing."""
    private_folder(path.parent)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            _fchmod(handle.fileno())
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    finally:
        with contextlib.suppress(OSError):
            partial.unlink()


def open_private_append(path: Path, encoding: str = "utf-8", errors: str | None = None):  # type: ignore[no-untyped-def]
    """A text file opened for appending, created 0600 (existing ones tightened)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    _fchmod(fd)
    return os.fdopen(fd, "a", encoding=encoding, errors=errors)


def _fchmod(fd: int) -> None:
    if hasattr(os, "fchmod"):
        with contextlib.suppress(OSError):
            os.fchmod(fd, FILE_MODE)


def _chmod(path: Path, mode: int) -> None:
    with contextlib.suppress(OSError):
        os.chmod(path, mode)
