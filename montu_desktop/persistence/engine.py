"""Opens the clinic database (embedded SQLite file or PostgreSQL server) and hands out sessions.

SQLite gets WAL, foreign keys and a busy timeout, and every writing transaction starts
with BEGIN IMMEDIATE so that writers queue for the lock up front instead of failing
half-way. A bare `postgresql://` URL is read as psycopg 3.

A PostgreSQL desk that vanishes (pulled cable, sleeping PC) must not hold its locks for
good: every server connection has TCP keepalives on both ends and a user timeout on the
client, and the server ends a transaction left idle longer than
`idle_in_transaction_session_timeout`. Booking transactions also wait for a lock only
`lock_timeout` long (see booking_rows). Both are seconds, set by
MONTU_PG_IDLE_TRANSACTION_SECONDS and MONTU_PG_LOCK_TIMEOUT_SECONDS or per Database.

THE RULE FOR SQLITE FILES: nothing opens the database file, its -wal or its -shm except
through SQLite while a connection may be open in this process — no open(), read_bytes(),
shutil.copy*() or header checks. POSIX locks belong to the process and the file, so closing
*any* descriptor of the file drops every lock SQLite holds on it here; another process
closing its last connection then believes it is alone, checkpoints and deletes the -wal
and -shm, and this process's next writes go to an unlinked WAL: rows lost, the file ends
"malformed" (issue 23; /work/shared/repro/sqlite_lock_release.py shows it in plain
sqlite3). Ask SQLite instead (persistence/sqlite_files: a read-only connection and
PRAGMA schema_version / quick_check), copy with its backup API (backup_files), and do
any raw-byte work strictly before the first connection or in another process. stat(),
chmod() and os.open(O_CREAT | O_EXCL) on a missing file open nothing and are fine.

The file is private (0600; SQLite gives its -wal and -shm the database file's mode): every
new connection tightens the file and its companions with chmod before anything is written.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import random
import select
import sqlite3
import time
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from montu_desktop.domain.errors import DatabaseUnavailable
from montu_desktop.persistence.in_use import InUseMarker
from montu_desktop.persistence.security import sqlite_sha256
from montu_desktop.persistence.sqlite_files import tighten_database
from montu_desktop.persistence.wal_checkpoints import WalCheckpointer

SQLITE_BUSY_TIMEOUT_SECONDS = 30
SQLITE_AUTOCHECKPOINT_PAGES = 10_000
"""A commit that takes the WAL past this many pages checkpoints inline: only a safety net,
since a background thread checkpoints soon after this process's commits (wal_checkpoints)."""
_WRITE_POLL_SECONDS = (0.0005, 0.002)
_WRITE_OPTION = "montu_write"

PG_IDLE_TRANSACTION_SECONDS = 30.0
PG_LOCK_TIMEOUT_SECONDS = 5.0
PG_PING_AFTER_IDLE_SECONDS = 2.0
"""A pooled connection idle longer than this is pinged before use (see _ping_when_idle)."""
PG_KEEPALIVE = {"idle": 10, "interval": 5, "count": 3}
"""Seconds of silence before the first probe, between probes, and probes lost before giving up."""
LOCK_NOT_AVAILABLE, QUERY_CANCELED = "55P03", "57014"


def _seconds_from_env(name: str, default: float, low: float = 0.5, high: float = 3600) -> float:
    """A bounded number of seconds from the environment; a bad value keeps the default."""
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return min(max(value, low), high) if value == value else default


def postgres_connect_args() -> dict[str, object]:
    """libpq settings for every server connection: a bounded connect and TCP keepalives.

    tcp_user_timeout covers what keepalives cannot: a request sent (a COMMIT) and never
    acknowledged because the link died, which otherwise waits for the kernel's retries
    (about 15 minutes).
    """
    silence = PG_KEEPALIVE["idle"] + PG_KEEPALIVE["interval"] * PG_KEEPALIVE["count"]
    return {
        "connect_timeout": 5,
        "application_name": "montu-desktop",
        "keepalives": 1,
        "keepalives_idle": PG_KEEPALIVE["idle"],
        "keepalives_interval": PG_KEEPALIVE["interval"],
        "keepalives_count": PG_KEEPALIVE["count"],
        "tcp_user_timeout": silence * 1000,
    }


def normalise_url(url: str | URL) -> URL:
    """The SQLAlchemy URL to use: PostgreSQL always through psycopg 3."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def sqlite_url(path: Path) -> URL:
    return URL.create("sqlite+pysqlite", database=str(path))


class Database:
    """One clinic database: its engine, a read session factory and a write session factory."""

    def __init__(
        self,
        url: str | URL,
        *,
        pool_size: int = 5,
        idle_transaction_seconds: float | None = None,
        lock_timeout_seconds: float | None = None,
    ) -> None:
        self.url = normalise_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self.idle_transaction_seconds = idle_transaction_seconds or _seconds_from_env(
            "MONTU_PG_IDLE_TRANSACTION_SECONDS", PG_IDLE_TRANSACTION_SECONDS
        )
        self.lock_timeout_seconds = lock_timeout_seconds or _seconds_from_env(
            "MONTU_PG_LOCK_TIMEOUT_SECONDS", PG_LOCK_TIMEOUT_SECONDS
        )
        self.actor = _os_user()
        """Who the SQLite audit triggers name (the signed-in staff member, or the OS user)."""
        path = self.sqlite_path
        self.checkpoints = WalCheckpointer(path) if path is not None else None
        if self.is_sqlite:
            self.engine = create_engine(
                self.url,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
                hide_parameters=True,
            )
            _configure_sqlite(self.engine, self)
        else:
            self.engine = create_engine(
                self.url,
                pool_size=pool_size,
                # Error messages then never carry patient details or notes into a log.
                hide_parameters=True,
                connect_args=postgres_connect_args(),
            )
            _configure_postgres(self.engine, self.idle_transaction_seconds)
            _ping_when_idle(self.engine, PG_PING_AFTER_IDLE_SECONDS)
        self.in_use: InUseMarker | None = None
        self.mark_in_use()
        self._writer = self.engine.execution_options(**{_WRITE_OPTION: True})
        self._read_sessions = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(bind=self._writer, expire_on_commit=False)

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite or not self.url.database or self.url.database == ":memory:":
            return None
        return Path(self.url.database)

    def mark_in_use(self) -> None:
        """Tell a restore on this PC that this process has the embedded file open (until
        dispose). Nothing is marked when the file's folder does not exist (yet)."""
        path = self.sqlite_path
        if self.in_use is None and path is not None and path.parent.is_dir():
            self.in_use = InUseMarker.hold(path)

    def describe(self) -> str:
        """Where the data lives, for people: a file path or server/database (never a password)."""
        if self.is_sqlite:
            return f"embedded file {self.url.database}"
        port = f":{self.url.port}" if self.url.port else ""
        return f"server {self.url.host}{port}/{self.url.database}"

    @contextlib.contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session whose transaction rolls back unless the caller commits it."""
        factory = self._write_sessions if write else self._read_sessions
        with translate_connection_errors(), factory() as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextlib.contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for one read (no session: the week grid's hot path), rolled back."""
        with translate_connection_errors(), self.engine.connect() as connection:
            try:
                yield connection
            finally:
                connection.rollback()

    def ping(self) -> None:
        """Raise DatabaseUnavailable unless a trivial query succeeds."""
        with translate_connection_errors(), self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        if self.checkpoints is not None:
            self.checkpoints.stop()
        self.engine.dispose()
        if self.in_use is not None:
            self.in_use.release()
            self.in_use = None


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


_acting: ContextVar[str | None] = ContextVar("montu_acting", default=None)
"""Whom SQLite's audit triggers name in this unit of work. A context variable, not an
attribute of the shared database object: two API requests writing at once on two threads
each name their own key (the trigger's function runs on the thread executing the write)."""


@contextlib.contextmanager
def acting_as(actor: str) -> Iterator[None]:
    """Within the block, SQLite's audit triggers on this thread (or task) name `actor`."""
    token = _acting.set(actor)
    try:
        yield
    finally:
        _acting.reset(token)


def _configure_sqlite(engine: Engine, database: Database) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        path = database.sqlite_path
        if path is not None:  # before WAL mode makes the -wal and -shm (they take its mode)
            tighten_database(path)
        # The audit triggers call these (SQLite has no sha256 and no notion of a login).
        dbapi_connection.create_function("montu_sha256", 1, sqlite_sha256, deterministic=True)
        dbapi_connection.create_function("montu_actor", 0, lambda: _acting.get() or database.actor)
        # The driver's own transaction handling is switched off; "begin" below decides.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
        if database.checkpoints is not None:
            cursor.execute(f"PRAGMA wal_autocheckpoint = {SQLITE_AUTOCHECKPOINT_PAGES}")
        cursor.close()

    if database.checkpoints is not None:
        checkpoints = database.checkpoints

        @event.listens_for(engine, "commit")
        def _on_commit(_conn) -> None:  # type: ignore[no-untyped-def]
            checkpoints.wrote()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        if conn.get_execution_options().get(_WRITE_OPTION, False):
            _begin_immediate(conn)
        else:
            conn.exec_driver_sql("BEGIN")


def _configure_postgres(engine: Engine, idle_transaction_seconds: float) -> None:
    # Session settings rather than the `options` start-up parameter, which poolers such as
    # PgBouncer refuse. The server-side keepalives let the server notice a vanished desk
    # even between transactions.
    settings = {
        "idle_in_transaction_session_timeout": str(int(idle_transaction_seconds * 1000)),
        "tcp_keepalives_idle": str(PG_KEEPALIVE["idle"]),
        "tcp_keepalives_interval": str(PG_KEEPALIVE["interval"]),
        "tcp_keepalives_count": str(PG_KEEPALIVE["count"]),
    }
    statement = "SELECT " + ", ".join(f"set_config('{name}', %s, false)" for name in settings)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        with dbapi_connection.cursor() as cursor:
            cursor.execute(statement, list(settings.values()))
        dbapi_connection.commit()


def _ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Ping a pooled connection before use when it has sat idle for `idle_seconds`, or
    when the server has said something on it since (a closed socket reads as ready).

    SQLAlchemy's pool_pre_ping pings on every checkout: a round trip of a booking's four
    (measured with strace), for nothing while a desk or the API is busy. A server that
    restarts or ends the session closes the socket, which a zero-time poll sees without a
    round trip; a link that vanished silently is only likely after a pause, so that is
    when this pings as well.
    """
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
        record.info["montu_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy) -> None:  # type: ignore[no-untyped-def]
        idle_since = record.info.get("montu_idle_since")
        if idle_since is None:
            return  # just opened
        if time.monotonic() - idle_since < idle_seconds and not _has_word(dbapi_connection):
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            # The pool discards this connection and checks out (or opens) another.
            raise DisconnectionError("a pooled connection was found closed") from exc


def _has_word(dbapi_connection) -> bool:  # type: ignore[no-untyped-def]
    """True when an idle connection's socket has something to read (the server closed it,
    or sent a notice): then it is pinged. No round trip."""
    try:
        descriptor = dbapi_connection.fileno()
    except Exception:  # closed already: the ping says so
        return True
    readable, _, _ = select.select([descriptor], [], [], 0)
    return bool(readable)


def _begin_immediate(conn) -> None:  # type: ignore[no-untyped-def]
    """Take SQLite's write lock, trying again every fraction of a millisecond until the timeout.

    SQLite's own busy handler sleeps longer and longer between tries (up to 100 ms), so a desk
    that has waited a while keeps missing the moments the lock is free while the desk that
    has just written takes it again: with 8 desks booking at once one desk got a fifth of
    the mean number of tries and waited 3 s. Short, jittered polls give every waiting desk
    the same chance. The last try goes through SQLAlchemy so a time-out raises as before.
    """
    raw = conn.connection.dbapi_connection
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_SECONDS
    cursor = raw.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout = 0")
        while time.monotonic() < deadline:
            try:
                cursor.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
            time.sleep(random.uniform(*_WRITE_POLL_SECONDS))
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    finally:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.close()


def is_connection_error(exc: BaseException) -> bool:
    """True for errors that mean the server could not be reached or the link dropped."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, OperationalError):
        if getattr(exc.orig, "sqlstate", None) in (LOCK_NOT_AVAILABLE, QUERY_CANCELED):
            return False  # the server answered: it gave up waiting, the link is fine
        text = str(exc.orig).lower()
        return not any(w in text for w in ("locked", "deadlock", "serializ", "no such table"))
    return False


@contextlib.contextmanager
def translate_connection_errors() -> Iterator[None]:
    """Turn a lost or refused connection into DatabaseUnavailable (other errors pass)."""
    try:
        yield
    except DBAPIError as exc:
        if is_connection_error(exc):
            raise DatabaseUnavailable(
                f"the database cannot be reached: {_first_line(exc)}"
            ) from exc
        raise


def _first_line(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)


def overlap_refused(exc: IntegrityError) -> str | None:
    """'doctor' or 'patient' when the no-overlap guard refused the write, else None."""
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    name = getattr(diag, "constraint_name", None) or str(orig)
    for who in ("doctor", "patient"):
        if f"appointment_{who}_overlap" in name:
            return who
    return None


def retired_patient_refused(exc: IntegrityError) -> bool:
    """True when the database refused a live appointment for a merged (retired) patient."""
    return "appointment_patient_retired" in str(exc.orig)


def is_retryable(exc: DBAPIError) -> bool:
    """Deadlocks, serialisation failures and SQLite lock time-outs: run the transaction again."""
    code = getattr(exc.orig, "sqlstate", None)
    if code in ("40P01", "40001"):
        return True
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


def lock_timed_out(exc: BaseException) -> bool:
    """True when PostgreSQL gave up waiting for a lock (lock_timeout)."""
    return isinstance(exc, DBAPIError) and (
        getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE
    )
