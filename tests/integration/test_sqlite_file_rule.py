"""The rule of persistence/engine.py, watched at every door: while this process has the
database open, nothing opens the database file, its -wal or its -shm except SQLite.

Python-level opens are recorded (open(), io.open, os.open that returned a descriptor) during
start-up checks, the automatic backup, `db backup`, the before-upgrade copy and a restore;
none may name the live file. SQLite's own opens happen in C and are not recorded.
"""

from __future__ import annotations

import builtins
import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command as alembic_command

from montu_desktop.persistence import migrate
from montu_desktop.persistence.engine import Database, sqlite_url
from montu_desktop.services import backups
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.runtime import open_database
from tests.integration.test_backups import cli
from tests.support.clinic import new_patients, tiny_clinic


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every path this process opens from Python from now on (resolved)."""
    seen: list[str] = []
    real_open, real_os_open = builtins.open, os.open

    def record(file: object) -> None:
        if isinstance(file, (str, bytes, os.PathLike)):
            seen.append(str(Path(os.fsdecode(file)).resolve()))

    def watched_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        handle = real_open(file, *args, **kwargs)
        record(file)
        return handle

    def watched_os_open(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        fd = real_os_open(path, *args, **kwargs)
        record(path)
        return fd

    monkeypatch.setattr(builtins, "open", watched_open)
    monkeypatch.setattr(io, "open", watched_open)
    monkeypatch.setattr(os, "open", watched_os_open)
    yield seen


def _live(path: Path) -> set[str]:
    resolved = path.resolve()
    return {str(resolved), f"{resolved}-wal", f"{resolved}-shm", f"{resolved}-journal"}


def test_no_door_opens_the_live_file_from_python(tmp_path: Path, opened: list[str]) -> None:
    path = tmp_path / "clinic.sqlite3"
    db = open_database(sqlite_url(path).render_as_string())  # creates it: 0600, before SQLite
    try:
        ctx = ServiceContext(db)
        tiny_clinic(ctx, doctors=1)
        new_patients(ctx, 2)
        opened.clear()  # creating the empty file before the first connection is allowed

        again = open_database(sqlite_url(path).render_as_string())  # start-up checks
        again.dispose()
        assert backups.back_up_if_due(ctx) is not None
        saved = backups.back_up(db, tmp_path / "saved.sqlite3").path
        url = db.url.render_as_string()
        assert cli("db", "backup", str(tmp_path / "cli.sqlite3"), "--database", url).returncode == 0
        refused = cli("db", "backup", str(path) + "-wal", "--database", url)
        assert refused.returncode == 3 and "is the database itself" in refused.stderr
        os.link(path, tmp_path / "alias.sqlite3")
        with pytest.raises(backups.InvalidRequest, match="is the database itself"):
            backups.back_up(db, tmp_path / "alias.sqlite3")
        with db.engine.connect() as held:  # a connection stays open through the restore
            held.exec_driver_sql("SELECT count(*) FROM patient").scalar_one()
            held.commit()
            backups.restore(db, saved)
    finally:
        db.dispose()
    assert not _live(path) & set(opened), sorted(_live(path) & set(opened))
    assert opened  # the watch works: backups, logs and the restore's staging were opened


def test_the_copy_before_an_upgrade_leaves_the_live_file_to_sqlite(
    tmp_path: Path, opened: list[str]
) -> None:
    path = tmp_path / "old.sqlite3"
    db = Database(sqlite_url(path))
    try:
        config = migrate._config()
        with db.engine.begin() as conn:
            config.attributes["connection"] = conn
            alembic_command.upgrade(config, "0005")
        opened.clear()
        assert migrate.upgrade(db) is migrate.SchemaState.BEHIND
    finally:
        db.dispose()
    assert [b.kind for b in backups.list_backups(db)] == ["before-upgrade"]
    assert not _live(path) & set(opened), sorted(_live(path) & set(opened))
