"""The waitlist's statements: entries added, listed, removed, and closed by a booking;
rows come back as values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from montu_desktop.persistence import scheduling_tables as st
from montu_desktop.persistence import tables as t
from montu_desktop.persistence.recall_rows import bookable_doctor_name


@dataclass(frozen=True, slots=True)
class EntryLine:
    """An entry with its patient's name and its type's name, as the desk lists it."""

    id: int
    patient_id: int
    patient_name: str
    type_name: str
    doctor_id: int | None
    from_day: date | None
    until_day: date | None
    part: str
    note: str
    created_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class EntryState:
    """What closing an entry needs to know of it."""

    id: int
    patient_id: int
    type_id: int
    doctor_id: int | None
    closed_at: datetime | None


def _state(row: st.WaitlistEntry) -> EntryState:
    return EntryState(row.id, row.patient_id, row.type_id, row.doctor_id, row.closed_at)


def add(
    session: Session,
    *,
    patient_id: int,
    type_id: int,
    doctor_id: int | None,
    from_day: date | None,
    until_day: date | None,
    part: str,
    note: str,
    actor: str,
    now: datetime,
) -> int:
    """Insert an open entry; returns its id."""
    row = st.WaitlistEntry(
        patient_id=patient_id,
        type_id=type_id,
        doctor_id=doctor_id,
        from_day=from_day,
        until_day=until_day,
        part=part,
        note=note,
        created_by=actor,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row.id


def listed(session: Session, *, include_closed: bool = False) -> list[EntryLine]:
    """Open entries (or all), oldest first."""
    e, p, k = st.WaitlistEntry, t.Patient, t.AppointmentType
    query = (
        select(e, p.given_name + " " + p.family_name, k.name)
        .join(p, p.id == e.patient_id)
        .join(k, k.id == e.type_id)
        .order_by(e.created_at, e.id)
    )
    if not include_closed:
        query = query.where(e.closed_at.is_(None))
    return [
        EntryLine(
            r.id,
            r.patient_id,
            name,
            type_name,
            r.doctor_id,
            r.from_day,
            r.until_day,
            r.part,
            r.note,
            r.created_at,
            r.closed_at,
        )
        for r, name, type_name in session.execute(query)
    ]


def get(session: Session, entry_id: int, *, lock: bool = False) -> EntryState | None:
    """The entry (locked for this transaction when `lock`), or None when there is none."""
    row = session.get(st.WaitlistEntry, entry_id, with_for_update=True if lock else None)
    return None if row is None else _state(row)


def close(
    session: Session, entry_id: int, now: datetime, appointment_id: int | None = None
) -> None:
    """Close the entry, with the booking that answered it (None: removed by the desk)."""
    row = session.get(st.WaitlistEntry, entry_id)
    assert row is not None, "the service read it first"
    row.closed_at = now
    if appointment_id is not None:
        row.appointment_id = appointment_id
    session.flush()


__all__ = ["EntryLine", "EntryState", "add", "bookable_doctor_name", "close", "get", "listed"]
