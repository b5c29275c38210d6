"""The one statement behind an appointment's view: the appointment with its patient's and
doctor's names, its type's name, and whether it is part of a series or was booked online."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from montu_desktop.persistence import tables as t
from montu_desktop.persistence.online_tables import OnlineBooking
from montu_desktop.persistence.scheduling_tables import SeriesOccurrence


def appointment_view_row(session: Session, appointment_id: int) -> Any | None:
    """The appointment's row with the names the desk and the CLI show (None: no such id)."""
    a = t.Appointment
    statement = (
        select(
            a.id,
            a.patient_id,
            a.doctor_id,
            a.start_at,
            a.end_at,
            a.status,
            a.note,
            a.cancel_reason,
            a.confirmed_at,
            a.arrived_at,
            a.called_in_at,
            a.consultation_at,
            a.completed_at,
            a.left_at,
            a.work_in_reason,
            t.Patient.given_name,
            t.Patient.family_name,
            t.Doctor.name.label("doctor_name"),
            t.AppointmentType.name.label("type_name"),
            SeriesOccurrence.series_id,
            OnlineBooking.appointment_id.label("online_id"),
        )
        .join(t.Patient, t.Patient.id == a.patient_id)
        .join(t.Doctor, t.Doctor.id == a.doctor_id)
        .join(t.AppointmentType, t.AppointmentType.id == a.type_id)
        .outerjoin(SeriesOccurrence, SeriesOccurrence.appointment_id == a.id)
        .outerjoin(OnlineBooking, OnlineBooking.appointment_id == a.id)
        .where(a.id == appointment_id)
    )
    return session.execute(statement).one_or_none()
