"""Migration 0006 on an existing SQLite file: rows kept, the no-overlap triggers kept, reversible."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from montu_desktop.persistence import migrate


def _alembic(db, target: str, *, up: bool) -> None:  # type: ignore[no-untyped-def]
    config = migrate._config()
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        (command.upgrade if up else command.downgrade)(config, target)


def _triggers(db) -> list[str]:  # type: ignore[no-untyped-def]
    with db.engine.connect() as conn:
        return sorted(
            r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='trigger'"))
        )


def test_0006_adds_its_columns_to_a_filled_database_and_keeps_the_guard(sqlite_db) -> None:
    guard = _triggers(sqlite_db)
    assert {"appointment_patient_overlap_insert", "appointment_patient_retired_insert"} <= set(
        guard
    )
    _alembic(sqlite_db, "0005", up=False)
    assert [name for name in _triggers(sqlite_db) if "retired" in name] == []
    assert "note" not in {c["name"] for c in inspect(sqlite_db.engine).get_columns("appointment")}
    with sqlite_db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO patient (given_name, family_name, sms_reminders, email_reminders,"
                " reminders_opt_out, created_at, updated_at)"
                " VALUES ('Ava', 'Singh', 1, 1, 0, '2026-11-23 00:00:00', '2026-11-23 00:00:00')"
            )
        )
    _alembic(sqlite_db, "head", up=True)
    columns = {c["name"] for c in inspect(sqlite_db.engine).get_columns("appointment")}
    assert {"note", "cancel_reason", "arrived_at", "completed_at"} <= columns
    with sqlite_db.engine.connect() as conn:
        kept = conn.execute(text("SELECT family_name, merged_into_id FROM patient")).all()
    assert [tuple(r) for r in kept] == [("Singh", None)]
    assert _triggers(sqlite_db) == guard  # a batch copy of the table would have dropped them
