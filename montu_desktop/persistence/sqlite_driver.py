"""A booking's statements on SQLite, run on the session's own driver connection.

Through SQLAlchemy each statement cost the desk ~20 µs of Python (execution context,
bind and result processing, events) against ~1 µs on the driver, and a booking runs
about eight, inside the file's write lock. Here they run on the very connection and
transaction the session holds, with `:name` parameters; sqlite3 keeps each statement
prepared per connection (keyed by its text), so they are parsed once.

Values go in as SQLAlchemy would store them (an instant as naive UTC text, a day as ISO
text, JSON as json.dumps), and a driver error comes back as SQLAlchemy's own exception,
so persistence/conflicts and engine.translate_connection_errors read it as before.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from montu_desktop.persistence.tables import as_utc


def connection_of(session: Session, *, autoflush: bool = False) -> sqlite3.Connection | None:
    """The sqlite3 connection of the session's transaction (begun now if need be), or None
    when the session is not on SQLite.

    `autoflush`: first write the session's pending ORM changes, as Session.execute would
    (unless inside no_autoflush), so that rows keep the order they had through it.
    """
    if session.get_bind().dialect.name != "sqlite":
        return None
    if autoflush and session.autoflush:
        session.flush()
    return session.connection().connection.driver_connection  # type: ignore[return-value]


def run(
    connection: sqlite3.Connection,
    sql: str,
    params: Mapping[str, Any] | Sequence[Any] = (),
) -> sqlite3.Cursor:
    """Execute one statement; a driver error is raised as SQLAlchemy's (parameters hidden,
    as the engine's hide_parameters does)."""
    try:
        return connection.execute(sql, params)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(sql, None, exc, sqlite3.Error, hide_parameters=True) from exc


def instant(value: datetime | None) -> str | None:
    """An aware instant as stored (tables.UTCDateTime on SQLite: naive UTC text)."""
    if value is None:
        return None
    return as_utc(value).replace(tzinfo=None).isoformat(" ", "microseconds")


def read_instant(value: str | None) -> datetime | None:
    """A stored instant back as an aware UTC datetime."""
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def day(value: date) -> str:
    return value.isoformat()


def stored(params: Mapping[str, object]) -> dict[str, object]:
    """Named parameters as SQLite stores them: instants as UTC text, days as ISO text."""
    return {
        name: instant(value)
        if isinstance(value, datetime)
        else day(value)
        if isinstance(value, date)
        else value
        for name, value in params.items()
    }


def as_json(value: object) -> str:
    """JSON as SQLAlchemy's JSON type writes it on SQLite (json.dumps, default separators)."""
    return json.dumps(value)
