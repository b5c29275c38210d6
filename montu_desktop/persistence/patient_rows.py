"""The patient service's statements: patient records read and written, their appointments
listed, and a merge's moves; rows come back as PatientRow values, never ORM entities."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Integer, column, func, or_, select, table, update
from sqlalchemy.orm import Session

from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.persistence import repositories as repo
from montu_desktop.persistence import tables as t

# The notifications package sits above persistence: its table is named here, not imported.
_NOTIFICATION = table(
    "notification", column("patient_id", Integer()), column("updated_at", t.UTCDateTime())
)


@dataclass(frozen=True, slots=True)
class PatientRow:
    """A stored patient as the service sees it."""

    id: int
    details: PatientDetails
    merged_into: int | None
    online_unchecked: bool = False


@dataclass(frozen=True, slots=True)
class AppointmentLine:
    """One of a patient's appointments, as stored (times UTC, the type by id)."""

    patient_id: int
    id: int
    start: datetime
    end: datetime
    doctor_id: int
    doctor_name: str
    type_id: int
    status: str
    note: str | None
    cancel_reason: str | None
    arrived_at: datetime | None
    completed_at: datetime | None
    confirmed_at: datetime | None


def _details(row: t.Patient) -> PatientDetails:
    return PatientDetails(
        row.given_name,
        row.family_name,
        row.date_of_birth,
        row.phone,
        row.email,
        row.sms_reminders,
        row.email_reminders,
        row.reminders_opt_out,
        address=row.address,
        medicare_number=row.medicare_number,
        medicare_irn=row.medicare_irn,
        dva_number=row.dva_number,
        emergency_name=row.emergency_name,
        emergency_phone=row.emergency_phone,
        alerts=tuple(f for f in (row.alerts or "").split(",") if f),
        alert_note=row.alert_note,
    )


def _value(row: t.Patient) -> PatientRow:
    return PatientRow(row.id, _details(row), row.merged_into_id, bool(row.online_unchecked))


def _apply(row: t.Patient, details: PatientDetails) -> None:
    row.given_name, row.family_name = details.given_name, details.family_name
    row.date_of_birth, row.phone, row.email = details.date_of_birth, details.phone, details.email
    row.sms_reminders, row.email_reminders = details.sms_reminders, details.email_reminders
    row.reminders_opt_out = details.reminders_opt_out
    row.address, row.dva_number = details.address, details.dva_number
    row.medicare_number, row.medicare_irn = details.medicare_number, details.medicare_irn
    row.emergency_name, row.emergency_phone = details.emergency_name, details.emergency_phone
    row.alerts = ",".join(details.alerts) or None
    row.alert_note = details.alert_note


def get(session: Session, patient_id: int) -> PatientRow | None:
    """The patient with this id (retired or not), or None."""
    row = session.get(t.Patient, patient_id)
    return None if row is None else _value(row)


def add(
    session: Session, details: PatientDetails, now: datetime, *, online: bool = False
) -> PatientRow:
    """Insert a patient (`online`: booked online and not yet checked) and give it its id."""
    row = t.Patient(created_at=now, updated_at=now)
    _apply(row, details)
    if online:
        row.booked_online = row.online_unchecked = True
    session.add(row)
    session.flush()
    return _value(row)


def update_details(
    session: Session, patient_id: int, details: PatientDetails, now: datetime
) -> PatientRow:
    """Store every detail of an existing patient."""
    row = session.get(t.Patient, patient_id)
    assert row is not None, "the service read the patient first"
    _apply(row, details)
    row.updated_at = now
    session.flush()
    return _value(row)


def live_matching_any(
    session: Session,
    *,
    birth: date | None,
    phone: str | None,
    email_key: str | None,
    exclude: int | None = None,
) -> list[PatientRow]:
    """Live records with this date of birth, or this phone, or this (lower-cased) email,
    oldest first (what the duplicate rule then looks at)."""
    p = t.Patient
    wanted: list[ColumnElement[bool]] = []
    if birth is not None:
        wanted.append(p.date_of_birth == birth)
    if phone:
        wanted.append(p.phone == phone)
    if email_key:
        wanted.append(func.lower(p.email) == email_key)
    if not wanted:
        return []
    query = select(p).where(or_(*wanted), p.merged_into_id.is_(None)).order_by(p.id)
    if exclude is not None:
        query = query.where(p.id != exclude)
    return [_value(r) for r in session.scalars(query)]


def live_born_with_contact(
    session: Session, birth: date, *, phone: str | None, email_key: str | None
) -> list[PatientRow]:
    """Live records born on `birth` with this phone or this (lower-cased) email, oldest first."""
    p = t.Patient
    contact: list[ColumnElement[bool]] = []
    if phone:
        contact.append(p.phone == phone)
    if email_key:
        contact.append(func.lower(p.email) == email_key)
    if not contact:
        return []
    query = (
        select(p)
        .where(p.date_of_birth == birth, or_(*contact), p.merged_into_id.is_(None))
        .order_by(p.id)
    )
    return [_value(r) for r in session.scalars(query)]


def find(
    session: Session,
    words: Sequence[str],
    phone_digits: str | None,
    birth_date: date | None,
    limit: int = 50,
    *,
    joined: str | None = None,
) -> list[PatientRow]:
    """repositories.find_patients, as values."""
    found = repo.find_patients(session, words, phone_digits, birth_date, limit, joined=joined)
    return [_value(r) for r in found]


def find_by_medicare(session: Session, card: str, limit: int = 50) -> list[PatientRow]:
    """repositories.find_patients_by_medicare, as values."""
    return [_value(r) for r in repo.find_patients_by_medicare(session, card, limit)]


def replace_name_parts(session: Session, patient_id: int, parts: Iterable[str]) -> None:
    """The patient's searchable name parts become `parts` (none: not findable by name)."""
    repo.replace_name_parts(session, patient_id, parts)


def appointments(
    session: Session,
    patient_ids: Iterable[int],
    *,
    starting_from: datetime | None = None,
    starting_before: datetime | None = None,
    live_only: bool = False,
    booked_only: bool = False,
) -> list[AppointmentLine]:
    """The patients' appointments in start order: those starting in [starting_from,
    starting_before) when given, not cancelled (`live_only`) or still booked (`booked_only`)."""
    ids = list(patient_ids)
    if not ids:
        return []
    a, d = t.Appointment, t.Doctor
    where: list[ColumnElement[bool]] = [a.patient_id.in_(ids)]
    if starting_from is not None:
        where.append(a.start_at >= starting_from)
    if starting_before is not None:
        where.append(a.start_at < starting_before)
    if live_only:
        where.append(a.status != AppointmentStatus.CANCELLED.value)
    if booked_only:
        where.append(a.status == AppointmentStatus.BOOKED.value)
    rows = session.execute(
        select(
            a.patient_id,
            a.id,
            a.start_at,
            a.end_at,
            a.doctor_id,
            d.name,
            a.type_id,
            a.status,
            a.note,
            a.cancel_reason,
            a.arrived_at,
            a.completed_at,
            a.confirmed_at,
        )
        .join(d, d.id == a.doctor_id)
        .where(*where)
        .order_by(a.start_at, a.id)
    ).all()
    return [AppointmentLine(*r) for r in rows]


def message_count(session: Session, patient_id: int) -> int:
    """How many messages (sent or pending) belong to the patient."""
    query = select(func.count()).select_from(_NOTIFICATION)
    return int(session.scalar(query.where(_NOTIFICATION.c.patient_id == patient_id)) or 0)


def move_appointments_and_messages(
    session: Session, from_id: int, to_id: int, now: datetime
) -> None:
    """Every appointment and message of `from_id` becomes `to_id`'s."""
    a = t.Appointment
    session.execute(
        update(a).where(a.patient_id == from_id).values(patient_id=to_id, updated_at=now)
    )
    session.execute(
        update(_NOTIFICATION)
        .where(_NOTIFICATION.c.patient_id == from_id)
        .values(patient_id=to_id, updated_at=now)
    )


def retire(session: Session, duplicate_id: int, keep_id: int, now: datetime) -> None:
    """Mark the duplicate merged into `keep_id` (and checked); records merged into the
    duplicate earlier now point at the one kept."""
    p = t.Patient
    session.execute(
        update(p).where(p.merged_into_id == duplicate_id).values(merged_into_id=keep_id)
    )
    session.execute(
        update(p)
        .where(p.id == duplicate_id)
        .values(merged_into_id=keep_id, online_unchecked=False, updated_at=now)
    )


def unchecked_online(session: Session) -> list[PatientRow]:
    """Live records an online booking added and the desk has not checked, oldest first."""
    p = t.Patient
    query = select(p).where(p.online_unchecked.is_(True), p.merged_into_id.is_(None))
    return [_value(r) for r in session.scalars(query.order_by(p.id))]


def unchecked_online_count(session: Session) -> int:
    """How many such records there are."""
    p = t.Patient
    query = select(func.count()).where(p.online_unchecked.is_(True), p.merged_into_id.is_(None))
    return int(session.scalar(query) or 0)


def mark_checked(session: Session, patient_id: int, now: datetime) -> PatientRow:
    """The desk checked this online record: it leaves the list."""
    row = session.get(t.Patient, patient_id)
    assert row is not None, "the service read the patient first"
    row.online_unchecked = False
    row.updated_at = now
    session.flush()
    return _value(row)
