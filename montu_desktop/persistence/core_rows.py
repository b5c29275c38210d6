"""The core services' statements: type use counts, skipped types, held time, closures, the
appointment a move starts from, the login a command acts as, and database URLs.

Each function runs in the session (or on the database) it is given and returns plain values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import func, select, text
from sqlalchemy.engine import URL, make_url

from montu_desktop.domain.holds import HeldRule
from montu_desktop.domain.model import AppointmentStatus, epoch
from montu_desktop.persistence import scheduling_tables as st
from montu_desktop.persistence import tables as t
from montu_desktop.persistence.security import server_role

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def type_use_counts(session: Session) -> dict[int, int]:
    """Type id → how many of its appointments are not cancelled."""
    a = t.Appointment
    return dict(
        session.execute(
            select(a.type_id, func.count())
            .where(a.status != AppointmentStatus.CANCELLED.value)
            .group_by(a.type_id)
        )
        .tuples()
        .all()
    )


def skipped_type_pairs(session: Session) -> list[tuple[int, int]]:
    """(doctor id, type id) for every type a doctor does not perform."""
    found = session.execute(select(st.DoctorTypeSkipped.doctor_id, st.DoctorTypeSkipped.type_id))
    return [(doctor_id, type_id) for doctor_id, type_id in found]


def held_rules(session: Session) -> tuple[HeldRule, ...]:
    """Every doctor's held time, in the order it was entered."""
    return tuple(
        HeldRule(r.id, r.doctor_id, r.weekday, r.starts, r.ends)
        for r in session.scalars(select(st.HeldTime).order_by(st.HeldTime.id))
    )


def setting_value(session: Session, key: str) -> str | None:
    """The stored value of one clinic setting, or None when it was never set."""
    stored = session.get(t.Setting, key)
    return stored.value if stored else None


def closure_reasons(session: Session, first: date, last: date) -> dict[date, str]:
    """Closure day → its reason, between first and last inclusive."""
    found = session.execute(
        select(t.Closure.day, t.Closure.reason).where(t.Closure.day.between(first, last))
    )
    return {day: reason for day, reason in found}


@dataclass(frozen=True, slots=True)
class AppointmentAt:
    """Where an appointment stands now: its type, doctor, patient, status and start."""

    id: int
    type_id: int
    doctor_id: int
    patient_id: int
    status: str
    start_epoch: int


def appointment_at(session: Session, appointment_id: int) -> AppointmentAt | None:
    """The appointment's type, doctor, patient, status and start, or None if there is none."""
    row = session.get(t.Appointment, appointment_id)
    if row is None:
        return None
    return AppointmentAt(
        row.id, row.type_id, row.doctor_id, row.patient_id, row.status, epoch(row.start_at)
    )


def login_acting_as(session: Session) -> tuple[str | None, str | None]:
    """On PostgreSQL: the staff role of the connected login ('manager', 'receptionist' or
    None for IT and the owner) and, when it has one, the login's name."""
    conn = session.connection()
    role = server_role(conn)
    if role is None:
        return None, None
    return role, str(conn.execute(text("SELECT current_user")).scalar_one())


def server_url(
    *,
    username: str,
    password: str | None,
    host: str,
    port: int,
    database: str,
    query: dict[str, str],
) -> URL:
    """A psycopg 3 PostgreSQL URL from its parts."""
    return URL.create(
        "postgresql+psycopg",
        username=username,
        password=password,
        host=host,
        port=port,
        database=database,
        query=query,
    )


def parse_url(saved: str) -> URL:
    """A saved database URL read back."""
    return make_url(saved)
