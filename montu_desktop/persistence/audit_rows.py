"""The audit trail's statements: the managers' filtered reading, the names its sentences use,
the chain's head and its walk (the hash links themselves are checked in `security.py`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import column, select, table, text
from sqlalchemy.orm import Session

from montu_desktop.persistence import admin_tables as at
from montu_desktop.persistence import scheduling_tables as st
from montu_desktop.persistence import tables as t
from montu_desktop.persistence.security import ChainBreak, chain_breaks

# The outbox of messages belongs to the notifications layer (above this one): its two
# columns are named here instead of importing its mapped class.
_notification = table("notification", column("id"), column("patient_id"))

HEAD_SQL = (
    "SELECT chain_seq, row_hash FROM audit_entry WHERE chain_seq IS NOT NULL"
    " ORDER BY chain_seq DESC LIMIT 1"
)


@dataclass(frozen=True, slots=True)
class AuditRow:
    at: datetime
    actor: str
    action: str
    subject: str
    details: dict[str, object]


def entries(
    session: Session,
    *,
    actor: str | None,
    action_prefix: str | None,
    since: datetime | None,
    before: datetime | None,
    limit: int,
) -> list[AuditRow]:
    """Newest first; without an action prefix the database's own "row.…" entries are left out."""
    e = at.AuditEntry
    query = select(e).order_by(e.at.desc(), e.id.desc()).limit(limit)
    if actor is not None:
        query = query.where(e.actor == actor)
    if action_prefix is not None:
        query = query.where(e.action.startswith(action_prefix))
    else:
        query = query.where(e.action.not_like("row.%"))
    if since is not None:
        query = query.where(e.at >= since)
    if before is not None:
        query = query.where(e.at < before)
    return [
        AuditRow(r.at, r.actor, r.action, r.subject, dict(r.details))
        for r in session.scalars(query)
    ]


def staff_names(session: Session) -> dict[str, str]:
    """username → display name."""
    return dict(
        session.execute(select(at.StaffAccount.username, at.StaffAccount.display_name))
        .tuples()
        .all()
    )


def doctor_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(t.Doctor.id, t.Doctor.name)).tuples().all())


def type_names(session: Session) -> dict[int, str]:
    return {
        row.id: row.name
        for row in session.execute(select(t.AppointmentType.id, t.AppointmentType.name))
    }


@dataclass(frozen=True, slots=True)
class Owner:
    """Whose record (or appointment, waitlist entry, message) a numbered subject is."""

    id: int
    patient_id: int
    doctor_id: int | None
    given_name: str
    family_name: str


def appointment_owners(session: Session, ids: Iterable[int]) -> list[Owner]:
    a, p = t.Appointment, t.Patient
    rows = session.execute(
        select(a.id, a.patient_id, a.doctor_id, p.given_name, p.family_name)
        .join(p, p.id == a.patient_id)
        .where(a.id.in_(list(ids)))
    ).all()
    return [Owner(r.id, r.patient_id, r.doctor_id, r.given_name, r.family_name) for r in rows]


def owners(session: Session, kind: str, ids: Iterable[int]) -> list[Owner]:
    """`kind` is "patient", "waitlist" or "notification"."""
    p = t.Patient
    wanted = list(ids)
    if kind == "patient":
        query = select(p.id, p.id.label("patient_id"), p.given_name, p.family_name).where(
            p.id.in_(wanted)
        )
    else:
        kept = st.WaitlistEntry.__table__ if kind == "waitlist" else _notification
        query = (
            select(kept.c.id, kept.c.patient_id, p.given_name, p.family_name)
            .join(p, p.id == kept.c.patient_id)
            .where(kept.c.id.in_(wanted))
        )
    return [
        Owner(r.id, r.patient_id, None, r.given_name, r.family_name) for r in session.execute(query)
    ]


def head(session: Session) -> tuple[int, str]:
    """(entries, newest hash) of the chain as the database holds it; (0, "") when empty."""
    row = session.execute(text(HEAD_SQL)).first()
    return (0, "") if row is None else (int(row[0]), str(row[1] or ""))


def copy_head(path: Path) -> tuple[int, str] | None:
    """The head in an SQLite backup copy (read-only, as an unchanging file); None if unreadable."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?immutable=1", uri=True)
    except sqlite3.Error:
        return None
    try:
        row = conn.execute(HEAD_SQL).fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return (0, "") if row is None else (int(row[0]), str(row[1] or ""))


def hash_at(session: Session, seq: int) -> str | None:
    return session.execute(
        text("SELECT row_hash FROM audit_entry WHERE chain_seq = :s"), {"s": seq}
    ).scalar()


def walk_chain(session: Session) -> Iterator[ChainBreak | tuple[int, str]]:
    """The chain checked in order (see `security.chain_breaks`)."""
    return chain_breaks(session.connection())
