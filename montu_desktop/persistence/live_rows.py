"""The change feed's statements: a cheap fingerprint of the watched tables (for polling),
the server process of a committing session, and a LISTEN link to the server's channel.

The LISTEN link is a plain psycopg connection of its own (a pooled SQLAlchemy connection
would be handed back and lose its registration); a lost link surfaces as `ListenLost`, a
server that will not LISTEN (a transaction-mode pooler) as `ListenRefused`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable, Iterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    Integer,
    String,
    Table,
    Time,
    cast,
    func,
    select,
)

from montu_desktop.domain.op_changes import ChangeKind
from montu_desktop.persistence import scheduling_tables as _scheduling  # noqa: F401 (its tables)
from montu_desktop.persistence import tables as t
from montu_desktop.persistence.engine import postgres_connect_args
from montu_desktop.persistence.watched import WATCHED_TABLES

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from montu_desktop.persistence.engine import Database


class ListenLost(Exception):
    """The LISTEN link to the server failed or could not be made."""


class ListenRefused(Exception):
    """The server answered but would not LISTEN (e.g. a transaction-mode pooler)."""


def fingerprint(database: Database, kinds: set[ChangeKind]) -> dict[ChangeKind, Hashable]:
    """Per kind, a summary that changes whenever that kind's rows change."""
    with database.session() as session:
        return {
            kind: tuple(
                tuple(session.execute(select(*_summary(table, database.is_sqlite))).one())
                for name, table in _TABLES.items()
                if WATCHED_TABLES[name] is kind
            )
            for kind in kinds
        }


_TABLES: dict[str, Table] = {name: t.Base.metadata.tables[name] for name in WATCHED_TABLES}


class DataVersion:
    """SQLite's `PRAGMA data_version` on a connection of the poller's own: it changes whenever
    any other connection (of this process or another) commits, so while it stands still no
    fingerprint can have changed and the poll need not read the tables."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._connection: Any = None

    def read(self) -> int | None:
        """The current version, or None when it cannot be read (the caller then fingerprints)."""
        try:
            if self._connection is None:
                self._connection = self._database.engine.raw_connection()
            # The driver's own transactions are off (engine.py): this reads outside any
            # transaction and pins no snapshot.
            cursor = self._connection.cursor()
            try:
                cursor.execute("PRAGMA data_version")
                return int(cursor.fetchone()[0])
            finally:
                cursor.close()
        except Exception:
            self.close()
            return None

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None


def _summary(table: Table, sqlite: bool) -> list[ColumnElement[object]]:
    """Row count plus a checksum of each row's numbers, times and text lengths, weighted by row.

    Counting rows and taking the largest id is not enough: SQLite reuses ids, and a roster
    edit can change times while the count stays the same.
    """
    columns = list(table.columns)
    key = columns[0]
    weight = (
        (func.length(cast(key, String)) + 1)
        if not isinstance(key.type, Integer)
        else (key % 997 + 1)
    )
    parts = [_as_number(column, sqlite) for column in columns]
    row_sum = parts[0]
    for part in parts[1:]:
        row_sum = row_sum + part
    return [func.count(), func.sum((row_sum % 1000003) * weight)]


def _as_number(column: ColumnElement[object], sqlite: bool) -> ColumnElement[object]:
    kind = column.type
    if isinstance(kind, DateTime | Date | Time):
        seconds = (
            cast(func.strftime("%s", column), BigInteger)
            if sqlite
            else cast(func.extract("epoch", column), BigInteger)
        )
        return func.coalesce(seconds % 1000003, 0)
    if isinstance(kind, Boolean):
        return func.coalesce(cast(column, Integer), 0)
    if isinstance(kind, Integer):
        # As BIGINT: the modulus would otherwise be sent as the column's own type (a smallint
        # column such as the Medicare IRN made PostgreSQL refuse 1000003 as out of range).
        return func.coalesce(cast(column, BigInteger) % 1000003, 0)
    return func.coalesce(func.length(cast(column, String)), 0)


def backend_pid(session: Session) -> int:
    """The server process the session's transaction runs on (its notifications carry it)."""
    return int(session.connection().connection.dbapi_connection.info.backend_pid)  # type: ignore[union-attr]


class ListenLink:
    """A connection registered on one channel: the notifications heard, and a heartbeat."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def heard(self, timeout: float) -> list[tuple[int, str]]:
        """(server process id, payload) of each notification within `timeout` seconds."""
        return [(n.pid, n.payload) for n in self._conn.notifies(timeout=timeout)]

    def ping(self) -> None:
        """Ask the server something: a silent channel says nothing about the link."""
        self._conn.execute("SELECT 1")


@contextlib.contextmanager
def listening(database: Database, channel: str, application_name: str) -> Iterator[ListenLink]:
    """A LISTEN link to `channel` with the app's connection settings and keepalives."""
    psycopg = _psycopg()
    try:
        with psycopg.connect(
            **_connect_params(database, application_name), autocommit=True
        ) as conn:
            try:
                conn.execute(f"LISTEN {channel}")
            except psycopg.OperationalError:
                raise
            except psycopg.Error as exc:
                raise ListenRefused(str(exc)) from exc
            yield ListenLink(conn)
    except psycopg.OperationalError as exc:
        raise ListenLost(str(exc)) from exc


def _connect_params(database: Database, application_name: str) -> dict[str, object]:
    """The psycopg connection settings of the app's own engine, with keepalives for a long wait."""
    engine = database.engine
    args, params = engine.dialect.create_connect_args(engine.url)
    if args:
        params = {"conninfo": args[0], **params}
    params.update(postgres_connect_args())  # keepalives and a bounded connect, as every desk link
    params["application_name"] = application_name
    return params


def _psycopg():  # type: ignore[no-untyped-def]
    """psycopg, imported on first use: on SQLite the feed polls and never needs it."""
    import psycopg

    return psycopg
