"""The series service's statements: a booked series recorded, its later occurrences found,
and appointments cancelled together; rows come back as values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.persistence import scheduling_tables as st
from montu_desktop.persistence import tables as t


@dataclass(frozen=True, slots=True)
class AppointmentLine:
    """An appointment as stored (times UTC, the type by id)."""

    id: int
    doctor_id: int
    patient_id: int
    type_id: int
    start: datetime
    end: datetime
    status: str


def _line(row: t.Appointment) -> AppointmentLine:
    return AppointmentLine(
        row.id, row.doctor_id, row.patient_id, row.type_id, row.start_at, row.end_at, row.status
    )


def add_series(
    session: Session, rule: str, actor: str, now: datetime, appointment_ids: Sequence[int]
) -> int:
    """Record a series over the appointments (in this order, from position 1); its id."""
    series = st.AppointmentSeries(rule=rule, created_by=actor, created_at=now)
    session.add(series)
    session.flush()
    for position, appointment_id in enumerate(appointment_ids, start=1):
        session.add(
            st.SeriesOccurrence(
                appointment_id=appointment_id, series_id=series.id, position=position
            )
        )
    session.flush()
    return series.id


def following(session: Session, appointment_id: int) -> list[int]:
    """This appointment and the later booked ones of its series, in order ([] when it is
    not part of a series)."""
    link = session.get(st.SeriesOccurrence, appointment_id)
    if link is None:
        return []
    o, a = st.SeriesOccurrence, t.Appointment
    later = session.scalars(
        select(o.appointment_id)
        .join(a, a.id == o.appointment_id)
        .where(
            o.series_id == link.series_id,
            o.position > link.position,
            a.status == AppointmentStatus.BOOKED.value,
        )
        .order_by(o.position)
    )
    return [appointment_id, *later]


def appointment(session: Session, appointment_id: int) -> AppointmentLine | None:
    """The appointment, or None when there is none."""
    row = session.get(t.Appointment, appointment_id)
    return None if row is None else _line(row)


def cancel(session: Session, appointment_id: int, now: datetime) -> AppointmentLine:
    """Mark the appointment cancelled; the row as it now is."""
    row = session.get(t.Appointment, appointment_id)
    assert row is not None, "the service read it first"
    row.status = AppointmentStatus.CANCELLED.value
    row.updated_at = now
    session.flush()
    return _line(row)
