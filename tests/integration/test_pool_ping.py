"""The PostgreSQL pool pings a connection only when it has been idle or the server has
closed it: a busy desk saves a round trip a booking, and a restart is still invisible."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from montu_desktop.persistence import engine as engine_module
from montu_desktop.persistence.engine import Database

pytestmark = pytest.mark.postgres


@pytest.fixture
def pings(pg_server_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Database, list]]:  # type: ignore[type-arg]
    monkeypatch.setattr(engine_module, "PG_PING_AFTER_IDLE_SECONDS", 0.3)
    database = Database(pg_server_url, pool_size=1)
    heard: list[float] = []
    dialect = database.engine.dialect
    real_ping = dialect.do_ping

    def counted(dbapi_connection):  # type: ignore[no-untyped-def]
        heard.append(time.monotonic())
        return real_ping(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counted)
    yield database, heard
    database.dispose()


def backend_pid(database: Database) -> int:
    with database.reading() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_in_steady_use_is_not_pinged_and_one_left_idle_is(pings) -> None:  # type: ignore[no-untyped-def]
    database, heard = pings
    first = backend_pid(database)
    for _ in range(20):
        assert backend_pid(database) == first
    assert heard == []
    time.sleep(0.4)
    assert backend_pid(database) == first
    assert len(heard) == 1


def test_a_connection_the_server_ended_is_replaced_without_an_error(
    pings,  # type: ignore[no-untyped-def]
    pg_db: Database,
) -> None:
    database, heard = pings
    ended = backend_pid(database)
    with pg_db.engine.connect() as admin:
        assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": ended}).scalar()
    time.sleep(0.05)  # the server's goodbye reaches the socket; still well within the idle time

    replaced = backend_pid(database)  # no error: the closed socket is noticed and replaced

    assert replaced != ended
    assert len(heard) == 1
