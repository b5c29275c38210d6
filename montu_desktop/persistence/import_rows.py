"""The statements an import runs beyond the patients' and bookings' own: finding the file's
patients and appointments already stored, what a history row would overlap, inserting an
appointment from another system's history, and the database's refusal of one row in words.

On PostgreSQL the staff logins' appointment guard (revision 0008: a change carries its
outbox event, a live appointment lies in its doctor's rostered time) is checked at commit;
after each row the import asks for that check at once, so a refusal names its line. No
savepoints: the guard recognises the transaction's own rows by their xmin, and a row
written in a savepoint carries the savepoint's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from montu_desktop.persistence import tables as t
from montu_desktop.persistence.conflicts import translate_write_errors

_GUARDS = ("montu_appointment_outbox", "montu_outbox_matches")
"""The deferred constraint triggers on appointments and their events (PostgreSQL only)."""


class RefusedByDatabase(Exception):
    """The database's own rules refused one row (its first line of explanation in `reason`)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class NamedPatient:
    id: int
    given_name: str
    family_name: str


def patients_born(session: Session, born: date) -> list[NamedPatient]:
    """Live (not merged) patients born on `born`, oldest record first."""
    p = t.Patient
    query = (
        select(p.id, p.given_name, p.family_name)
        .where(p.date_of_birth == born, p.merged_into_id.is_(None))
        .order_by(p.id)
    )
    return [NamedPatient(*row) for row in session.execute(query)]


def patient_standing(session: Session, patient_id: int) -> tuple[bool, int | None]:
    """(exists, the record it was merged into or None)."""
    found = session.execute(
        select(t.Patient.merged_into_id).where(t.Patient.id == patient_id)
    ).first()
    return (False, None) if found is None else (True, found[0])


def appointment_there(session: Session, patient_id: int, doctor_id: int, start: datetime) -> bool:
    """Whether the patient already has an appointment (any status) with the doctor at `start`."""
    a = t.Appointment
    query = select(a.id).where(
        a.patient_id == patient_id, a.doctor_id == doctor_id, a.start_at == start
    )
    return session.execute(query.limit(1)).first() is not None


def overlapping(
    session: Session, doctor_id: int, patient_id: int, start: datetime, end: datetime
) -> str | None:
    """'doctor' or 'patient' when that one has a live appointment overlapping [start, end)."""
    a = t.Appointment
    query = (
        select(a.doctor_id == doctor_id)
        .where(
            a.status != "cancelled",
            a.start_at < end,
            a.end_at > start,
            (a.doctor_id == doctor_id) | (a.patient_id == patient_id),
        )
        .limit(1)
    )
    found = session.execute(query).first()
    return None if found is None else ("doctor" if found[0] else "patient")


def add_history_appointment(
    session: Session,
    *,
    doctor_id: int,
    patient_id: int,
    type_id: int,
    start: datetime,
    end: datetime,
    status: str,
    note: str | None,
    cancel_reason: str | None,
    actor: str,
    now: datetime,
) -> int:
    """Insert an appointment as another system recorded it (any status); its id.

    The no-overlap guard still refuses a live one that overlaps (OverlapRefused, through
    the row's savepoint)."""
    result = session.connection().execute(
        t.Appointment.__table__.insert(),
        {
            "doctor_id": doctor_id,
            "patient_id": patient_id,
            "type_id": type_id,
            "start_at": start,
            "end_at": end,
            "status": status,
            "note": note,
            "cancel_reason": cancel_reason,
            "created_by": actor,
            "created_at": now,
            "updated_at": now,
        },
    )
    return int(result.inserted_primary_key[0])


def deferred_guards(session: Session) -> tuple[str, ...]:
    """The appointment guards this database checks at commit (none on SQLite)."""
    if session.get_bind().dialect.name != "postgresql":
        return ()
    found = session.execute(
        text("SELECT conname FROM pg_catalog.pg_constraint WHERE conname = ANY(:names)"),
        {"names": list(_GUARDS)},
    ).scalars()
    return tuple(sorted(set(found)))


@contextlib.contextmanager
def one_row(session: Session, guards: tuple[str, ...] = ()) -> Iterator[None]:
    """Around one row's writes: the overlap guard's refusal leaves as OverlapRefused, and
    with `guards` (deferred_guards) they are checked before the row is done, their refusal
    leaving as RefusedByDatabase. After either the transaction can only be rolled back."""
    names = ", ".join(guards)
    try:
        with translate_write_errors():
            yield
            if guards:
                session.execute(text(f"SET CONSTRAINTS {names} IMMEDIATE"))
                session.execute(text(f"SET CONSTRAINTS {names} DEFERRED"))
    except DBAPIError as exc:
        code = getattr(exc.orig, "sqlstate", None) or ""
        if code == "42501" or code.startswith("P0"):  # a trigger said no
            first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise RefusedByDatabase(first) from exc
        raise
