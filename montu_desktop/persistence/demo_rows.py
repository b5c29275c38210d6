"""The demo clinic's statements: an empty database checked, then the clinic, its hours,
holidays, types, doctors, roster templates, patients and appointments written in bulk.

Every function writes in the session it is given (the demo's one transaction).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import func, insert, select

from montu_desktop.persistence import tables as t

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def has_clinic(session: Session) -> bool:
    return session.scalars(select(t.Clinic.id)).first() is not None


def add_clinic(
    session: Session,
    *,
    name: str,
    timezone: str,
    region: str,
    subdivision: str,
    address: str,
    phone: str,
    slot_minutes: int,
    horizon_weeks: int,
    min_notice_minutes: int,
) -> None:
    session.add(
        t.Clinic(
            name=name,
            timezone=timezone,
            region=region,
            subdivision=subdivision,
            address=address,
            phone=phone,
            slot_minutes=slot_minutes,
            horizon_weeks=horizon_weeks,
            min_notice_minutes=min_notice_minutes,
        )
    )


def add_opening_hours(session: Session, weekday: int, opens: time, closes: time) -> None:
    session.add(t.OpeningHours(weekday=weekday, opens=opens, closes=closes))


def add_closures(session: Session, closures: Iterable[tuple[date, str]]) -> None:
    for day, reason in closures:
        session.add(t.Closure(day=day, reason=reason))


def add_type(session: Session, name: str, length_minutes: int, colour: str) -> None:
    session.add(t.AppointmentType(name=name, length_minutes=length_minutes, colour=colour))


def add_doctor(session: Session, name: str, now: datetime) -> int:
    """A new active doctor's id."""
    doctor = t.Doctor(name=name, active=True, created_at=now, updated_at=now)
    session.add(doctor)
    session.flush()
    return doctor.id


def add_roster_templates(
    session: Session,
    doctor_id: int,
    weekdays: Iterable[int],
    blocks: Sequence[tuple[time, time]],
    valid_from: date,
) -> None:
    """The doctor's regular blocks on each of the weekdays, valid from `valid_from`."""
    for weekday in weekdays:
        for starts, ends in blocks:
            session.add(
                t.RosterTemplate(
                    doctor_id=doctor_id,
                    weekday=weekday,
                    starts=starts,
                    ends=ends,
                    valid_from=valid_from,
                )
            )


def flush(session: Session) -> None:
    session.flush()


def add_patients(
    session: Session, rows: Sequence[Mapping[str, object]]
) -> list[tuple[int, str, str]]:
    """Insert the patients in one statement: (id, given name, family name) of each, by id."""
    before = session.scalar(select(func.max(t.Patient.id))) or 0
    session.execute(insert(t.Patient), list(rows))
    added = session.execute(
        select(t.Patient.id, t.Patient.given_name, t.Patient.family_name)
        .where(t.Patient.id > before)
        .order_by(t.Patient.id)
    ).all()
    return [(i, given, family) for i, given, family in added]


def type_lengths(session: Session) -> list[tuple[int, int]]:
    """(type id, length in minutes) of every appointment type."""
    found = session.execute(select(t.AppointmentType.id, t.AppointmentType.length_minutes))
    return [(type_id, minutes) for type_id, minutes in found]


def schedule_blocks(
    session: Session, first: date, last: date
) -> list[tuple[int, datetime, datetime]]:
    """(doctor id, start, end) of every rostered block between first and last, by start."""
    found = session.execute(
        select(t.DoctorSchedule.doctor_id, t.DoctorSchedule.start_at, t.DoctorSchedule.end_at)
        .where(t.DoctorSchedule.day.between(first, last))
        .order_by(t.DoctorSchedule.start_at)
    ).all()
    return [(doctor_id, start_at, end_at) for doctor_id, start_at, end_at in found]


def add_appointments(session: Session, rows: Sequence[Mapping[str, object]]) -> None:
    """Insert the appointments in statements of 5000 rows."""
    for chunk in range(0, len(rows), 5000):
        session.execute(insert(t.Appointment), list(rows[chunk : chunk + 5000]))
