"""The two rows every use case may add beside its change: an outbox event and an audit entry."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from montu_desktop.persistence import sqlite_driver as driver
from montu_desktop.persistence.admin_tables import AUDIT_PENDING_INSERT
from montu_desktop.persistence.tables import OutboxEvent

_SQLITE_EVENT = "INSERT INTO outbox_event (name, payload, created_at) VALUES (?, ?, ?)"
_SQLITE_AUDIT = (
    "INSERT INTO audit_entry (at, actor, action, subject, details) VALUES (?, ?, ?, ?, ?)"
)


# Written at once with Core inserts (no ORM objects to flush), and on SQLite on the
# session's driver connection; they share the session's transaction, so they commit or
# roll back with the change.
def add_event(session: Session, name: str, payload: Mapping[str, object], at: datetime) -> None:
    sqlite = driver.connection_of(session, autoflush=True)
    if sqlite is not None:
        driver.run(sqlite, _SQLITE_EVENT, (name, driver.as_json(payload), driver.instant(at)))
        return
    session.execute(
        OutboxEvent.__table__.insert(), {"name": name, "payload": payload, "created_at": at}
    )


def add_audit(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    details: Mapping[str, object],
) -> None:
    sqlite = driver.connection_of(session, autoflush=True)
    if sqlite is not None:
        driver.run(
            sqlite,
            _SQLITE_AUDIT,
            (driver.instant(at), actor, action, subject, driver.as_json(details)),
        )
        return
    session.execute(
        AUDIT_PENDING_INSERT,
        {"at": at, "actor": actor, "action": action, "subject": subject, "details": details},
    )
