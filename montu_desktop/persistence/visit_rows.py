"""One day's appointments with their patients, as the day book and the waiting room read
them, and the clinic's printed details; rows come back as values."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.persistence import tables as t


@dataclass(frozen=True, slots=True)
class DayLine:
    """An appointment of the day with its patient's name, phone, birth date and alerts (and
    why it was worked in, for a work-in)."""

    id: int
    doctor_id: int
    patient_id: int
    given_name: str
    family_name: str
    phone: str | None
    date_of_birth: date | None
    alerts: str | None
    type_id: int
    start: datetime
    end: datetime
    status: str
    note: str | None
    confirmed_at: datetime | None
    work_in_reason: str | None


@dataclass(frozen=True, slots=True)
class FlowLine:
    """An appointment of the day as the waiting room follows it through its stages."""

    id: int
    doctor_id: int
    type_id: int
    start: datetime
    status: str
    updated_at: datetime
    arrived_at: datetime | None
    called_in_at: datetime | None
    consultation_at: datetime | None
    given_name: str
    family_name: str
    phone: str | None


def day_appointments(session: Session, start: datetime, end: datetime) -> list[DayLine]:
    """Live (not cancelled) appointments starting in [start, end), by start then doctor."""
    a, p = t.Appointment, t.Patient
    rows = session.execute(
        select(
            a.id,
            a.doctor_id,
            a.patient_id,
            p.given_name,
            p.family_name,
            p.phone,
            p.date_of_birth,
            p.alerts,
            a.type_id,
            a.start_at,
            a.end_at,
            a.status,
            a.note,
            a.confirmed_at,
            a.work_in_reason,
        )
        .join(p, p.id == a.patient_id)
        .where(
            a.start_at >= start,
            a.start_at < end,
            a.status != AppointmentStatus.CANCELLED.value,
        )
        .order_by(a.start_at, a.doctor_id)
    ).all()
    return [DayLine(*r) for r in rows]


def clinic_card(session: Session) -> tuple[str, str, str] | None:
    """(name, address, phone) of the clinic, or None before it is set up."""
    row = session.execute(select(t.Clinic.name, t.Clinic.address, t.Clinic.phone)).first()
    return None if row is None else (row[0], row[1], row[2])


def flow(
    session: Session, start: datetime, end: datetime, statuses: Iterable[AppointmentStatus]
) -> list[FlowLine]:
    """Appointments starting in [start, end) in one of `statuses`, by start."""
    a, p = t.Appointment, t.Patient
    rows = session.execute(
        select(
            a.id,
            a.doctor_id,
            a.type_id,
            a.start_at,
            a.status,
            a.updated_at,
            a.arrived_at,
            a.called_in_at,
            a.consultation_at,
            p.given_name,
            p.family_name,
            p.phone,
        )
        .join(p, p.id == a.patient_id)
        .where(a.start_at >= start, a.start_at < end, a.status.in_([s.value for s in statuses]))
        .order_by(a.start_at, a.id)
    ).all()
    return [FlowLine(*r) for r in rows]
