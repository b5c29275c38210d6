"""The two rows every use case may add beside its change: an outbox event and an audit entry."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from montu_desktop.persistence.admin_tables import AUDIT_PENDING_INSERT, AuditEntry
from montu_desktop.persistence.tables import OutboxEvent


# Written at once with Core inserts (no ORM objects to flush); they share the session's
# transaction, so they commit or roll back with the change.
def add_event(session: Session, name: str, payload: Mapping[str, object], at: datetime) -> None:
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
    is_sqlite = session.get_bind().dialect.name == "sqlite"
    session.execute(
        AuditEntry.__table__.insert() if is_sqlite else AUDIT_PENDING_INSERT,
        {"at": at, "actor": actor, "action": action, "subject": subject, "details": details},
    )
