"""Shared test set-up: private user folders, an in-memory keyring, offscreen Qt, and databases.

PostgreSQL tests use the server on 127.0.0.1:5432 (override with MONTU_TEST_PG_URL). When it
cannot be reached they skip locally with the reason, and fail when CI=true.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["PYTHON_KEYRING_BACKEND"] = "tests.support.memory_keyring.MemoryKeyring"

from sqlalchemy import create_engine, text

from montu_desktop.config import clock as product_clock
from montu_desktop.persistence import migrate
from montu_desktop.persistence.engine import Database, sqlite_url
from montu_desktop.services.context import ServiceContext
from tests.support.clock import FixedClock

# The suite never runs at the real date or time of day: every process it starts (this one, the
# CLI, `serve`, `worker`, the app) shares one product clock that reads SUITE_MOMENT now and runs
# on. MONTU_TEST_NOW chooses another moment (tests/README.md lists the edges worth a run).
SUITE_MOMENT = datetime.fromisoformat(
    os.environ.get("MONTU_TEST_NOW") or "2027-03-10T10:00:00+11:00"
)
if not os.environ.get(product_clock.ENV):
    os.environ[product_clock.ENV] = product_clock.pinned(SUITE_MOMENT)

PG_ADMIN_URL = os.environ.get(
    "MONTU_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(autouse=True)
def _private_user_folders(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = tmp_path_factory.mktemp("home")
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(base / var.lower()))
    monkeypatch.delenv("MONTU_DATABASE_URL", raising=False)


@pytest.fixture(autouse=True)
def _memory_keyring() -> None:
    """Every test starts with an empty in-memory keyring (keyring caches its backend per process)."""
    import keyring

    from tests.support.memory_keyring import MemoryKeyring

    MemoryKeyring._store.clear()
    keyring.set_keyring(MemoryKeyring())


@pytest.fixture
def clock() -> FixedClock:
    """Monday 23 November 2026, 07:00 in Melbourne (before the demo clinic opens)."""
    return FixedClock(datetime(2026, 11, 22, 20, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def _migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite database migrated by the product's own upgrade, once per session (worker)."""
    folder = tmp_path_factory.mktemp("migrated")
    path = folder / "clinic.sqlite3"
    with pytest.MonkeyPatch.context() as patch:  # as private as the tests' own user folders
        for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
            patch.setenv(var, str(folder / var.lower()))
        patch.delenv("MONTU_DATABASE_URL", raising=False)
        db = Database(sqlite_url(path))
        migrate.upgrade(db)
        db.dispose()
    return path


def _sqlite(path: Path, migrated: Path) -> Database:
    """A fresh database at `path` holding the migrated schema: a page-for-page copy of the
    session's migrated file through SQLite's backup API (migrating each one took most of a
    second of a 500-test share of the suite; the copy is the same schema and rows)."""
    source = sqlite3.connect(migrated)
    try:
        target = sqlite3.connect(path)
        try:
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()
    return Database(sqlite_url(path))


@pytest.fixture
def sqlite_db(tmp_path: Path, _migrated_sqlite: Path) -> Iterator[Database]:
    db = _sqlite(tmp_path / "clinic.sqlite3", _migrated_sqlite)
    yield db
    db.dispose()


def _pg_unreachable(reason: str) -> None:
    message = f"PostgreSQL at {PG_ADMIN_URL} is unreachable: {reason}"
    if IN_CI:
        pytest.fail(message + " (CI=true: PostgreSQL tests must run)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A fresh database on the PostgreSQL server for this test session, dropped afterwards."""
    name = f"montu_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        _pg_unreachable(str(exc).splitlines()[0])
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    db = Database(url)
    migrate.upgrade(db)
    db.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


_RESTART_OWNED_SEQUENCES = text(
    """
    SELECT setval(seq.seqrelid, seq.seqstart, false)
    FROM pg_sequence seq
    JOIN pg_depend dep ON dep.classid = 'pg_class'::regclass AND dep.objid = seq.seqrelid
        AND dep.deptype IN ('a', 'i')
    JOIN pg_class owner ON owner.oid = dep.refobjid
    JOIN pg_namespace ns ON ns.oid = owner.relnamespace
    WHERE ns.nspname = 'public' AND owner.relkind = 'r' AND owner.relname <> 'alembic_version'
    """
)
"""Every sequence a public table's column owns (serial or identity): RESTART IDENTITY's set."""


@pytest.fixture
def pg_db(pg_server_url: str) -> Iterator[Database]:
    """The session's PostgreSQL database, emptied before each test."""
    db = Database(pg_server_url)
    with db.engine.begin() as conn:
        tables = [
            r[0]
            for r in conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                )
            )
        ]
        if tables:
            # The audit table refuses changes through a trigger; the superuser's replica
            # mode skips triggers (foreign keys' included) for this clean-up only (that
            # transaction). DELETE and restarting the tables' own sequences leave what
            # TRUNCATE ... RESTART IDENTITY did, in a fraction of the time on tables this
            # small (TRUNCATE makes new files for every table and index: ~0.2 s a test).
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))
            conn.execute(_RESTART_OWNED_SEQUENCES)
    yield db
    db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_db(request: pytest.FixtureRequest) -> Database:
    """Each test using it runs once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue("sqlite_db" if request.param == "sqlite" else "pg_db")


@pytest.fixture
def ctx(any_db: Database, clock: FixedClock) -> ServiceContext:
    import random

    return ServiceContext(any_db, clock=clock, rng=random.Random(7), actor="test")


@pytest.fixture
def sqlite_ctx(sqlite_db: Database, clock: FixedClock) -> ServiceContext:
    import random

    return ServiceContext(sqlite_db, clock=clock, rng=random.Random(7), actor="test")


@pytest.fixture
def sqlite_db_factory(tmp_path: Path, _migrated_sqlite: Path) -> Iterator[object]:
    """Makes fresh migrated SQLite databases (one per hypothesis example)."""
    made: list[Database] = []

    def make() -> Database:
        made.append(_sqlite(tmp_path / f"clinic{len(made)}.sqlite3", _migrated_sqlite))
        return made[-1]

    yield make
    for db in made:
        db.dispose()


_tests_since_full_collection = [0]


@pytest.fixture(autouse=True)
def _collect_garbage_after_qt_turned_it_off() -> Iterator[None]:
    """Once a Qt test ran in this process, automatic collection is off (it may only run on the
    GUI thread: ui/operations.py); database tests that follow collect here, on this thread."""
    import gc

    yield
    if gc.isenabled():
        return
    _tests_since_full_collection[0] += 1
    if _tests_since_full_collection[0] >= 25:
        _tests_since_full_collection[0] = 0
        gc.collect()
    else:
        gc.collect(1)
