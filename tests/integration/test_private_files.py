"""Patient files are private under the usual umask 022: the database (and its -wal/-shm),
backups, the logs and the settings are 0600 in 0700 folders, and older ones are tightened."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from montu_desktop.config import database as database_config
from montu_desktop.config import paths
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.persistence.sqlite_files import COMPANIONS
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.patients import add_patient
from montu_desktop.services.runtime import open_database

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _montu(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "montu_desktop", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )  # the child inherits this process's umask 022


def _mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


def _homes() -> tuple[Path, Path, Path]:
    """data, config and log folders, as platformdirs names them under the test's XDG homes."""
    return (
        Path(os.environ["XDG_DATA_HOME"]) / "MontuDesktop",
        Path(os.environ["XDG_CONFIG_HOME"]) / "MontuDesktop",
        Path(os.environ["XDG_STATE_HOME"]) / "MontuDesktop" / "log",
    )


@pytest.mark.slow
def test_every_file_the_product_writes_is_private_whatever_the_umask(tmp_path: Path) -> None:
    data, config, logs = _homes()
    created = _montu("db", "upgrade")  # the default database in the user data folder
    assert created.returncode == 0, created.stderr
    database = data / "montu.sqlite3"
    backed = _montu("db", "backup")
    assert backed.returncode == 0, backed.stderr
    (backup,) = (data / "backups").glob("montu-*-manual.sqlite3")
    restored = _montu("db", "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    (before_restore,) = (data / "backups").glob("montu-*-before-restore.sqlite3")

    # A database in a new folder; while it is open SQLite keeps a -wal and a -shm beside it.
    elsewhere = tmp_path / "new" / "place" / "clinic.sqlite3"
    db = open_database(f"sqlite:///{elsewhere}")
    try:
        add_patient(ServiceContext(db), PatientDetails("Ada", "Private"))
        companions = [Path(f"{elsewhere}{s}") for s in COMPANIONS[:2]]
        assert {str(f): _mode(f) for f in companions} == {str(f): "0o600" for f in companions}
    finally:
        db.dispose()

    files = [database, backup, before_restore, elsewhere, *logs.glob("montu-desktop.log*")]
    folders = [data, data / "backups", logs, elsewhere.parent, elsewhere.parent.parent]
    assert {str(f): _mode(f) for f in files} == {str(f): "0o600" for f in files}
    assert {str(f): _mode(f) for f in folders} == {str(f): "0o700" for f in folders}
    assert len(files) > 4  # the log was written

    database_config.save_database_url(database_config.check_database_url(f"sqlite:///{database}"))
    settings = config / "database.json"
    assert (_mode(settings), _mode(config)) == ("0o600", "0o700")


@pytest.mark.slow
def test_files_an_older_version_left_readable_are_tightened_on_start() -> None:
    data, config, logs = _homes()
    for folder in (data / "backups", config, logs):
        folder.mkdir(parents=True, mode=0o755)
        folder.chmod(0o755)
    database = data / "montu.sqlite3"
    old = sqlite3.connect(database)  # an old build's database, left in WAL mode by a crash
    old.execute("PRAGMA journal_mode = WAL")
    old.execute("CREATE TABLE t (x)")
    old.commit()
    leftovers = [
        data / "backups" / "montu-20270101-000000-daily.sqlite3",
        config / "database.json",
        config / "desk.json",
        logs / "montu-desktop.log",
        logs / "montu-desktop.log.1",
    ]
    for path in leftovers:
        path.write_text("{}\n", encoding="utf-8")
    wal_kept = Path(f"{database}-wal")
    files = [database, wal_kept, Path(f"{database}-shm"), *leftovers]
    for path in files:
        path.chmod(0o644)
    folders = [data, data / "backups", config, logs]
    for folder in folders:
        folder.chmod(0o755)
    saved = json.dumps({"url": f"sqlite:///{database}"})  # the saved choice: the database above
    (config / "database.json").write_text(saved, encoding="utf-8")

    done = _montu("db", "status")  # any command; the app does the same when it starts
    old.close()

    assert done.returncode in (0, 1), done.stderr
    assert {str(f): _mode(f) for f in files if f.exists()} == {
        str(f): "0o600" for f in files if f.exists()
    }
    assert {str(f): _mode(f) for f in folders} == {str(f): "0o700" for f in folders}
    assert paths.data_dir() == data
