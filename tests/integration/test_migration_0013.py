"""Migration 0013 (online bookings in one transaction) is reversible and keeps the triggers."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from montu_desktop.persistence import migrate


def _alembic(db, target: str, *, up: bool) -> None:  # type: ignore[no-untyped-def]
    config = migrate._config()
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        (command.upgrade if up else command.downgrade)(config, target)


def _columns(db, table: str) -> set[str]:  # type: ignore[no-untyped-def]
    return {c["name"] for c in inspect(db.engine).get_columns(table)}


def _triggers(db) -> list[str]:  # type: ignore[no-untyped-def]
    sql = (
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        if db.is_sqlite
        else "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    )
    with db.engine.connect() as conn:
        return sorted(r[0] for r in conn.execute(text(sql)))


def test_0013_adds_its_columns_and_goes_back(any_db) -> None:
    triggers = _triggers(any_db)
    assert triggers
    assert "online_unchecked" in _columns(any_db, "patient")
    assert "claimed_by" in _columns(any_db, "api_request")
    _alembic(any_db, "0011", up=False)
    assert "online_unchecked" not in _columns(any_db, "patient")
    assert "claimed_by" not in _columns(any_db, "api_request")
    _alembic(any_db, "heads", up=True)
    assert "online_unchecked" in _columns(any_db, "patient")
    assert migrate.schema_state(any_db) is migrate.SchemaState.CURRENT
    assert _triggers(any_db) == triggers
