"""The reads behind the attendance report and the CSV exports: a few set-based queries each.

The report's appointments are counted by the database (grouped by doctor, type, status,
cancel reason and channel), so a year of a busy clinic comes back as a few hundred rows;
the exports stream rows straight from one query each.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from montu_desktop.persistence import tables as t
from montu_desktop.persistence.online_tables import OnlineBooking
from montu_desktop.persistence.repositories import _epoch_column


@dataclass(frozen=True, slots=True)
class AttendanceGroup:
    """Appointments starting in the range that share doctor, type, status, reason and channel."""

    doctor_id: int
    type_id: int
    status: str
    cancel_reason: str | None
    online: bool
    count: int
    seconds: int
    """Their lengths added up."""
    work_in: bool = False
    """Squeezed in over a booked time (counted apart: their minutes are not rostered time)."""


def attendance_groups(session: Session, start: datetime, end: datetime) -> list[AttendanceGroup]:
    """Every appointment whose start is in [start, end), whatever its status, counted in groups."""
    a, o = t.Appointment, OnlineBooking
    online = o.appointment_id.is_not(None)
    work_in = a.work_in_reason.is_not(None)
    length = func.sum(_epoch_column(session, a.end_at) - _epoch_column(session, a.start_at))
    query = (
        select(
            a.doctor_id, a.type_id, a.status, a.cancel_reason, online, work_in, func.count(), length
        )
        .outerjoin(o, o.appointment_id == a.id)
        .where(a.start_at >= start, a.start_at < end)
        .group_by(a.doctor_id, a.type_id, a.status, a.cancel_reason, online, work_in)
    )
    return [
        AttendanceGroup(d, k, s, r, bool(on), int(n), int(seconds or 0), bool(w))
        for d, k, s, r, on, w, n, seconds in session.execute(query)
    ]


@dataclass(frozen=True, slots=True)
class PatientRow:
    id: int
    given_name: str
    family_name: str
    date_of_birth: date | None
    phone: str | None
    email: str | None
    sms_reminders: bool
    email_reminders: bool
    reminders_opt_out: bool


def patient_rows(session: Session) -> Iterator[PatientRow]:
    """Every live patient (records merged into another are left out), by id."""
    p = t.Patient
    query = (
        select(
            p.id,
            p.given_name,
            p.family_name,
            p.date_of_birth,
            p.phone,
            p.email,
            p.sms_reminders,
            p.email_reminders,
            p.reminders_opt_out,
        )
        .where(p.merged_into_id.is_(None))
        .order_by(p.id)
    )
    for row in session.execute(query.execution_options(yield_per=2000)):
        yield PatientRow(*row)


@dataclass(frozen=True, slots=True)
class AppointmentRow:
    id: int
    patient_id: int
    given_name: str
    family_name: str
    date_of_birth: date | None
    doctor_name: str
    type_name: str
    start: datetime
    end: datetime
    status: str
    note: str | None
    cancel_reason: str | None


def appointment_rows(session: Session, start: datetime, end: datetime) -> Iterator[AppointmentRow]:
    """Every appointment whose start is in [start, end), any status, by start then id."""
    a, p, d, k = t.Appointment, t.Patient, t.Doctor, t.AppointmentType
    query = (
        select(
            a.id,
            a.patient_id,
            p.given_name,
            p.family_name,
            p.date_of_birth,
            d.name,
            k.name,
            a.start_at,
            a.end_at,
            a.status,
            a.note,
            a.cancel_reason,
        )
        .join(p, p.id == a.patient_id)
        .join(d, d.id == a.doctor_id)
        .join(k, k.id == a.type_id)
        .where(a.start_at >= start, a.start_at < end)
        .order_by(a.start_at, a.id)
    )
    for row in session.execute(query.execution_options(yield_per=2000)):
        yield AppointmentRow(*row)
