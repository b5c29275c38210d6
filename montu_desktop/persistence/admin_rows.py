"""The manager's settings as stored: the clinic row, opening hours, closures and holidays
kept open, doctors, appointment types and who performs them, time held for urgent patients,
and the few appointment reads and writes a settings change makes.

Reads return domain values or plain tuples; every change to a row is made here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from montu_desktop.domain.holds import HeldRule
from montu_desktop.domain.model import AppointmentType, Doctor, WeeklyHours
from montu_desktop.persistence import admin_tables as at
from montu_desktop.persistence import repositories as repo
from montu_desktop.persistence import scheduling_tables as st
from montu_desktop.persistence import tables as t
from montu_desktop.persistence.conflicts import OverlapRefused, savepoint

# --------------------------------------------------------------------------- the clinic


def add_clinic(session: Session, region: str, details: Mapping[str, object]) -> None:
    session.add(t.Clinic(region=region, **details))
    session.flush()


def update_clinic(session: Session, details: Mapping[str, object]) -> None:
    row = repo.clinic_row(session)
    assert row is not None
    for name, value in details.items():
        setattr(row, name, value)


def type_lengths(session: Session) -> list[tuple[str, int]]:
    """(name, minutes) of every appointment type."""
    return [
        (name, length)
        for name, length in session.execute(
            select(t.AppointmentType.name, t.AppointmentType.length_minutes)
        )
    ]


def opening_hours(session: Session) -> tuple[WeeklyHours, ...]:
    return tuple(
        WeeklyHours(r.weekday, r.opens, r.closes)
        for r in session.scalars(select(t.OpeningHours).order_by(t.OpeningHours.weekday))
    )


def replace_opening_hours(session: Session, hours: Iterable[WeeklyHours]) -> None:
    session.execute(delete(t.OpeningHours))
    session.flush()
    session.add_all(
        t.OpeningHours(weekday=h.weekday, opens=h.opens, closes=h.closes) for h in hours
    )


def closed_days(session: Session) -> set[date]:
    return set(session.scalars(select(t.Closure.day)))


def kept_open_days(session: Session) -> set[date]:
    return set(session.scalars(select(at.HolidayKeptOpen.day)))


def add_closure(session: Session, day: date, reason: str) -> None:
    session.add(t.Closure(day=day, reason=reason))


def closures_on(session: Session, days: Iterable[date]) -> list[tuple[date, str]]:
    """(day, reason) of the closures on any of `days`."""
    return [
        (c.day, c.reason)
        for c in session.scalars(select(t.Closure).where(t.Closure.day.in_(list(days))))
    ]


def delete_closures(session: Session, days: Iterable[date]) -> None:
    for closure in session.scalars(select(t.Closure).where(t.Closure.day.in_(list(days)))):
        session.delete(closure)
    session.flush()


def closures_between(session: Session, first: date, last: date) -> list[tuple[date, str]]:
    return [
        (c.day, c.reason)
        for c in session.scalars(select(t.Closure).where(t.Closure.day.between(first, last)))
    ]


def kept_open_between(session: Session, first: date, last: date) -> list[tuple[date, str]]:
    return [
        (k.day, k.name)
        for k in session.scalars(
            select(at.HolidayKeptOpen).where(at.HolidayKeptOpen.day.between(first, last))
        )
    ]


def is_closed(session: Session, day: date) -> bool:
    return session.scalars(select(t.Closure).where(t.Closure.day == day)).first() is not None


def close_day(session: Session, day: date, reason: str) -> None:
    """Closed on `day`, no longer a holiday kept open."""
    session.execute(delete(at.HolidayKeptOpen).where(at.HolidayKeptOpen.day == day))
    session.add(t.Closure(day=day, reason=reason))


def open_day(session: Session, day: date, kept_open_holiday: str | None) -> bool:
    """Drop the closure on `day` (False if there is none); a public holiday's name is kept as
    a holiday kept open."""
    closure = session.scalars(select(t.Closure).where(t.Closure.day == day)).first()
    if closure is None:
        return False
    if kept_open_holiday is not None:
        session.add(at.HolidayKeptOpen(day=day, name=kept_open_holiday))
    session.delete(closure)
    return True


def setting(session: Session, key: str) -> str | None:
    row = session.get(t.Setting, key)
    return None if row is None else row.value


def put_setting(session: Session, key: str, value: str) -> None:
    row = session.get(t.Setting, key)
    if row is None:
        session.add(t.Setting(key=key, value=value))
    else:
        row.value = value


def hold_transaction_lock(session: Session, key: int, wait: str) -> None:
    """PostgreSQL: wait up to `wait` (e.g. "120s") for advisory lock `key`, held to commit."""
    session.execute(text(f"SET LOCAL lock_timeout = '{wait}'"))
    session.execute(text(f"SELECT pg_advisory_xact_lock({int(key)})"))


# ------------------------------------------------------------------------------ doctors


def live_doctor(session: Session, doctor_id: int) -> Doctor | None:
    """The doctor unless there is none with this id or it was removed."""
    row = session.get(t.Doctor, doctor_id)
    if row is None or row.removed_at is not None:
        return None
    return Doctor(row.id, row.name, row.active, False)


def bookable_doctor_ids(session: Session) -> frozenset[int]:
    return frozenset(
        session.scalars(
            select(t.Doctor.id).where(t.Doctor.active.is_(True), t.Doctor.removed_at.is_(None))
        )
    )


def doctor_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(t.Doctor.id, t.Doctor.name)).tuples().all())


def add_doctor(session: Session, name: str, now: datetime) -> int:
    row = t.Doctor(name=name, active=True, created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    return row.id


def _doctor_row(session: Session, doctor_id: int) -> t.Doctor:
    row = session.get(t.Doctor, doctor_id)
    assert row is not None
    return row


def rename_doctor(session: Session, doctor_id: int, name: str, now: datetime) -> None:
    row = _doctor_row(session, doctor_id)
    row.name, row.updated_at = name, now


def set_doctor_active(session: Session, doctor_id: int, active: bool, now: datetime) -> None:
    row = _doctor_row(session, doctor_id)
    row.active, row.updated_at = active, now


def remove_doctor(session: Session, doctor_id: int, now: datetime) -> None:
    row = _doctor_row(session, doctor_id)
    row.removed_at = row.updated_at = now


def skipped_types(session: Session, doctor_id: int) -> set[int]:
    """The types this doctor does not perform."""
    return set(
        session.scalars(
            select(st.DoctorTypeSkipped.type_id).where(st.DoctorTypeSkipped.doctor_id == doctor_id)
        )
    )


def skipped_pairs(session: Session) -> frozenset[tuple[int, int]]:
    """(doctor id, type id) of every type a doctor does not perform."""
    return frozenset(
        (d, k)
        for d, k in session.execute(
            select(st.DoctorTypeSkipped.doctor_id, st.DoctorTypeSkipped.type_id)
        )
    )


def replace_skipped_types(session: Session, doctor_id: int, type_ids: Iterable[int]) -> None:
    session.execute(delete(st.DoctorTypeSkipped).where(st.DoctorTypeSkipped.doctor_id == doctor_id))
    session.add_all(st.DoctorTypeSkipped(doctor_id=doctor_id, type_id=k) for k in type_ids)


# -------------------------------------------------------------------- appointment types


def type_ids(session: Session) -> set[int]:
    return set(session.scalars(select(t.AppointmentType.id)))


def type_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(t.AppointmentType.id, t.AppointmentType.name)).all())


def appointment_type(session: Session, type_id: int) -> AppointmentType | None:
    row = session.get(t.AppointmentType, type_id)
    if row is None:
        return None
    return AppointmentType(row.id, row.name, row.length_minutes, row.colour, row.active)


def type_name_taken(session: Session, name: str, besides: int | None) -> bool:
    """Another type (not `besides`) has this name, whatever its case."""
    query = select(t.AppointmentType.id).where(
        func.lower(t.AppointmentType.name) == name.casefold()
    )
    if besides is not None:
        query = query.where(t.AppointmentType.id != besides)
    return session.scalars(query).first() is not None


def add_type(session: Session, name: str, length_minutes: int, colour: str) -> int:
    row = t.AppointmentType(name=name, length_minutes=length_minutes, colour=colour)
    session.add(row)
    session.flush()
    return row.id


def update_type(
    session: Session, type_id: int, name: str, length_minutes: int, colour: str, active: bool
) -> None:
    row = session.get(t.AppointmentType, type_id)
    assert row is not None
    row.name, row.length_minutes, row.colour, row.active = name, length_minutes, colour, active


def type_uses(session: Session, type_id: int) -> int:
    """How many appointments (of any status) are of this type."""
    return (
        session.scalar(
            select(func.count()).select_from(t.Appointment).where(t.Appointment.type_id == type_id)
        )
        or 0
    )


def delete_type(session: Session, type_id: int) -> None:
    row = session.get(t.AppointmentType, type_id)
    assert row is not None
    session.delete(row)


# ------------------------------------------------------------------------- held time


def holds(session: Session) -> list[HeldRule]:
    rows = session.scalars(
        select(st.HeldTime).order_by(st.HeldTime.doctor_id, st.HeldTime.weekday, st.HeldTime.starts)
    )
    return [HeldRule(r.id, r.doctor_id, r.weekday, r.starts, r.ends) for r in rows]


def add_hold(session: Session, doctor_id: int, weekday: int, starts: time, ends: time) -> int:
    row = st.HeldTime(doctor_id=doctor_id, weekday=weekday, starts=starts, ends=ends)
    session.add(row)
    session.flush()
    return row.id


def delete_hold(session: Session, hold_id: int) -> int | None:
    """The held time's doctor, or None when there is no such held time."""
    row = session.get(st.HeldTime, hold_id)
    if row is None:
        return None
    session.delete(row)
    return row.doctor_id


# ------------------------------------------------- appointments a settings change reads


Booked = tuple[int, int, int, datetime, datetime]
"""(appointment id, doctor id, type id, start, end)."""


def appointments_with_status(
    session: Session, status: str, since: datetime, until: datetime
) -> list[Booked]:
    """Appointments with `status` starting in [since, until), by start."""
    a = t.Appointment
    rows = session.execute(
        select(a.id, a.doctor_id, a.type_id, a.start_at, a.end_at)
        .where(a.start_at >= since, a.start_at < until, a.status == status)
        .order_by(a.start_at, a.id)
    ).all()
    return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]


def appointments(session: Session, ids: Iterable[int]) -> dict[int, Booked]:
    a = t.Appointment
    rows = session.execute(
        select(a.id, a.doctor_id, a.type_id, a.start_at, a.end_at).where(a.id.in_(list(ids)))
    ).all()
    return {r[0]: (r[0], r[1], r[2], r[3], r[4]) for r in rows}


def appointment_start(session: Session, appointment_id: int) -> datetime | None:
    row = session.get(t.Appointment, appointment_id)
    return None if row is None else row.start_at


def patient_names(session: Session, appointment_ids: Iterable[int]) -> dict[int, str]:
    """appointment id → its patient's "given family" name."""
    return dict(
        session.execute(
            select(t.Appointment.id, t.Patient.given_name + " " + t.Patient.family_name)
            .join(t.Patient, t.Patient.id == t.Appointment.patient_id)
            .where(t.Appointment.id.in_(list(appointment_ids)))
        )
        .tuples()
        .all()
    )


def give_to_doctor(
    session: Session, appointment_id: int, doctor_id: int, now: datetime
) -> t.Appointment:
    """The appointment, now the doctor's at the same time (flushed, so a clash raises here)."""
    row = session.get(t.Appointment, appointment_id)
    assert row is not None
    row.doctor_id = doctor_id
    row.updated_at = now
    session.flush()
    return row


def appointment_starts(
    session: Session, type_id: int, status: str, since: datetime
) -> list[tuple[int, datetime]]:
    """(id, start) of the appointments of this type and status starting from `since` on."""
    a = t.Appointment
    return [
        (row.id, row.start_at)
        for row in session.scalars(
            select(a).where(a.type_id == type_id, a.start_at >= since, a.status == status)
        )
    ]


def try_end_at(session: Session, appointment_id: int, end: datetime, now: datetime) -> bool:
    """End the appointment at `end` unless that runs into another booking (False: unchanged)."""
    booking = session.get(t.Appointment, appointment_id)
    assert booking is not None
    try:
        with savepoint(session):
            booking.end_at = end
            booking.updated_at = now
    except OverlapRefused:
        session.refresh(booking)
        return False
    return True
