"""Hears other desks' changes in a background thread and announces them through the context.

On PostgreSQL a dedicated connection LISTENs on the channel that migration 0004's triggers
notify; on SQLite (or when LISTEN is unavailable, e.g. behind a pooler) the feed polls a
cheap fingerprint of the tables instead. Either way it calls `ctx.changed(what)` with
"appointments", "patients" or "reference" (which also drops the reference cache), from
the feed's own thread: a Qt listener must hop to the GUI thread itself (a queued signal).

A notification sent while this desk was cut off is lost, so after any outage the feed
announces every kind once: the screens reload and nothing stays stale.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable, Hashable

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    Integer,
    String,
    Time,
    cast,
    func,
    select,
)

from montu_desktop.domain.errors import DatabaseUnavailable
from montu_desktop.persistence import tables as t
from montu_desktop.persistence.engine import postgres_connect_args
from montu_desktop.services.context import ServiceContext

log = logging.getLogger(__name__)

CHANNEL = "montu_changes"
KINDS = ("appointments", "patients", "reference")


class FeedState(enum.StrEnum):
    STARTING = "starting"
    LISTENING = "listening"
    POLLING = "polling"
    OFFLINE = "offline"
    STOPPED = "stopped"


class ChangeFeed:
    """One desk's ear for changes made anywhere: start it once, stop it at shutdown."""

    def __init__(
        self,
        ctx: ServiceContext,
        *,
        listen: bool = True,
        poll_seconds: float = 1.0,
        retry_seconds: float = 1.0,
        heartbeat_seconds: float = 5.0,
        batch_seconds: float = 0.1,
    ) -> None:
        self._ctx = ctx
        self._listen_wanted = listen and not ctx.database.is_sqlite
        self._poll_seconds = poll_seconds
        self._retry_seconds = retry_seconds
        self._heartbeat_seconds = heartbeat_seconds
        self._batch_seconds = batch_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._state = FeedState.STOPPED
        self._ever_connected = False
        self.on_state: list[Callable[[FeedState], None]] = []
        """Called (from the feed's thread) whenever the state changes."""

    @property
    def state(self) -> FeedState:
        return self._state

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._set_state(FeedState.STARTING)
        self._thread = threading.Thread(target=self._run, name="montu-change-feed", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._set_state(FeedState.STOPPED)

    def __enter__(self) -> ChangeFeed:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self._listen_wanted:
                self._poll()
                continue
            try:
                self._listen()
            except _ListenRefused as exc:
                log.warning("LISTEN is not available (%s); polling for changes instead", exc)
                self._listen_wanted = False
            except (_psycopg().OperationalError, OSError) as exc:
                log.info("change feed lost the database: %s", str(exc).splitlines()[:1])
                self._set_state(FeedState.OFFLINE)
                self._stop.wait(self._retry_seconds)
            except Exception:
                log.exception("change feed failed; retrying")
                self._set_state(FeedState.OFFLINE)
                self._stop.wait(self._retry_seconds)

    def _connected(self, state: FeedState) -> None:
        """Now (re)connected: after an outage, tell everyone to reload everything."""
        resync = self._ever_connected and self._state is FeedState.OFFLINE
        self._ever_connected = True
        self._set_state(state)
        if resync:
            self._announce(set(KINDS))

    def _listen(self) -> None:
        psycopg = _psycopg()
        with psycopg.connect(**_connect_params(self._ctx), autocommit=True) as conn:
            try:
                conn.execute(f"LISTEN {CHANNEL}")
            except psycopg.OperationalError:
                raise
            except psycopg.Error as exc:
                raise _ListenRefused(str(exc)) from exc
            self._connected(FeedState.LISTENING)
            last_beat = time.monotonic()
            while not self._stop.is_set():
                heard = {n.payload for n in conn.notifies(timeout=self._batch_seconds)}
                if heard:
                    self._announce(heard)
                if time.monotonic() - last_beat >= self._heartbeat_seconds:
                    # A silent channel says nothing about the link: ask the server.
                    conn.execute("SELECT 1")
                    last_beat = time.monotonic()

    def _poll(self) -> None:
        previous: dict[str, Hashable] | None = None
        while not self._stop.is_set():
            try:
                current = fingerprint(self._ctx)
            except DatabaseUnavailable:
                self._set_state(FeedState.OFFLINE)
                previous = None
            else:
                if self._state is not FeedState.POLLING:
                    self._connected(FeedState.POLLING)
                if previous is not None:
                    self._announce({k for k in KINDS if current[k] != previous[k]})
                previous = current
            self._stop.wait(self._poll_seconds)

    def _announce(self, kinds: set[str]) -> None:
        for what in sorted(kinds & set(KINDS)):
            try:
                self._ctx.changed(what)
            except Exception:
                log.exception("a change listener failed for %s", what)

    def _set_state(self, state: FeedState) -> None:
        if state is self._state:
            return
        self._state = state
        for listener in list(self.on_state):
            try:
                listener(state)
            except Exception:
                log.exception("a feed state listener failed")


class _ListenRefused(Exception):
    """The server answered but would not LISTEN (e.g. a transaction-mode pooler)."""


def _connect_params(ctx: ServiceContext) -> dict[str, object]:
    """The psycopg connection settings of the app's own engine, with keepalives for a long wait."""
    engine = ctx.database.engine
    args, params = engine.dialect.create_connect_args(engine.url)
    if args:
        params = {"conninfo": args[0], **params}
    params.update(postgres_connect_args())  # keepalives and a bounded connect, as every desk link
    params["application_name"] = "montu-desktop-live"
    return params


def fingerprint(ctx: ServiceContext) -> dict[str, Hashable]:
    """A cheap summary per kind that changes whenever that kind's rows change (for polling)."""
    sqlite = ctx.database.is_sqlite
    with ctx.database.session() as session:
        summary = {
            kind: tuple(
                tuple(session.execute(select(*_summary(table, sqlite))).one()) for table in tables
            )
            for kind, tables in _WATCHED.items()
        }
    return summary  # type: ignore[return-value]


_WATCHED: dict[str, tuple[type[t.Base], ...]] = {
    "appointments": (t.Appointment, t.OutboxEvent),
    "patients": (t.Patient,),
    "reference": (
        t.Clinic,
        t.OpeningHours,
        t.Closure,
        t.ClinicSchedule,
        t.Doctor,
        t.RosterTemplate,
        t.DoctorSchedule,
        t.AppointmentType,
        t.Setting,
    ),
}


def _summary(table: type[t.Base], sqlite: bool) -> list[ColumnElement[object]]:
    """Row count plus a checksum of each row's numbers, times and text lengths, weighted by row.

    Counting rows and taking the largest id is not enough: SQLite reuses ids, and a roster
    edit can change times while the count stays the same.
    """
    columns = list(table.__table__.columns)
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
        return func.coalesce(column % 1000003, 0)
    return func.coalesce(func.length(cast(column, String)), 0)


def _psycopg():  # type: ignore[no-untyped-def]
    """psycopg, imported on first use: on SQLite the feed polls and never needs it."""
    import psycopg

    return psycopg
