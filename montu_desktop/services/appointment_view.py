"""One appointment as every door shows it: who (patient and doctor, by name), what type,
when, its status and note, and its flags (confirmed by SMS, part of a series, booked
online). The desk's notices and questions and the CLI's JSON are made from this one shape.

`view_in` reads it inside the caller's unit of work (a use case returns it with what it
changed); `view_of` reads it for an appointment a use case has just returned.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from montu_desktop.domain.booking import DoctorChoice
from montu_desktop.domain.errors import NotFound
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.persistence.appointment_views import appointment_view_row
from montu_desktop.services.booking import BookedAppointment
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.day_book import DayBookEntry
from montu_desktop.services.patients import PatientAppointment, PatientRecord
from montu_desktop.services.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class AppointmentView:
    """An appointment with the names it is spoken of by (times are UTC instants)."""

    id: int
    patient_id: int
    patient_name: str
    """'Ava Singh': given name then family name, as a notice says it."""
    doctor_id: int
    doctor_name: str
    type_name: str
    start: datetime
    end: datetime
    status: AppointmentStatus = AppointmentStatus.BOOKED
    note: str | None = None
    cancel_reason: str | None = None
    confirmed_at: datetime | None = None
    """The patient confirmed it by replying Y to an SMS."""
    arrived_at: datetime | None = None
    called_in_at: datetime | None = None
    consultation_at: datetime | None = None
    completed_at: datetime | None = None
    left_at: datetime | None = None
    series_id: int | None = None
    """The series it is a visit of, if any."""
    booked_online: bool = False
    work_in_reason: str | None = None
    """Why it was squeezed in over a booked time (None: an ordinary appointment)."""
    choice: DoctorChoice | None = None
    """Why this doctor, when a booking or a move just chose one (never stored)."""


def view_in(uow: UnitOfWork, appointment_id: int) -> AppointmentView:
    """The appointment's view, read in the caller's unit of work (its own changes included)."""
    row = appointment_view_row(uow.session, appointment_id)
    if row is None:
        raise NotFound("appointment", f"no appointment with id {appointment_id}")
    return AppointmentView(
        id=row.id,
        patient_id=row.patient_id,
        patient_name=f"{row.given_name} {row.family_name}",
        doctor_id=row.doctor_id,
        doctor_name=row.doctor_name,
        type_name=row.type_name,
        start=row.start_at,
        end=row.end_at,
        status=AppointmentStatus(row.status),
        note=row.note,
        cancel_reason=row.cancel_reason,
        confirmed_at=row.confirmed_at,
        arrived_at=row.arrived_at,
        called_in_at=row.called_in_at,
        consultation_at=row.consultation_at,
        completed_at=row.completed_at,
        left_at=row.left_at,
        series_id=row.series_id,
        booked_online=row.online_id is not None,
        work_in_reason=row.work_in_reason,
    )


def appointment_view(ctx: ServiceContext, appointment_id: int) -> AppointmentView:
    """The appointment's view as stored now (one read)."""
    with UnitOfWork(ctx) as uow:
        return view_in(uow, appointment_id)


def view_of(ctx: ServiceContext, done: BookedAppointment) -> AppointmentView:
    """The view of an appointment a use case just booked, moved, cancelled, marked or noted,
    with the doctor choice it made."""
    return replace(appointment_view(ctx, done.id), choice=done.choice)


def from_day_book(entry: DayBookEntry, doctor_name: str) -> AppointmentView:
    """The view of a day book entry (as shown; nothing is read)."""
    return AppointmentView(
        id=entry.id,
        patient_id=entry.patient_id,
        patient_name=entry.patient_name,
        doctor_id=entry.doctor_id,
        doctor_name=doctor_name,
        type_name=entry.type_name,
        start=entry.start,
        end=entry.end,
        status=entry.status,
        note=entry.note,
        confirmed_at=entry.confirmed_at,
        work_in_reason=entry.work_in_reason,
    )


def from_patient_record(record: PatientRecord, item: PatientAppointment) -> AppointmentView:
    """The view of one of the appointments a patient record lists (nothing is read)."""
    details = record.details
    return AppointmentView(
        id=item.id,
        patient_id=record.id,
        patient_name=f"{details.given_name} {details.family_name}",
        doctor_id=item.doctor_id,
        doctor_name=item.doctor_name,
        type_name=item.type_name,
        start=item.start,
        end=item.end,
        status=item.status,
        note=item.note,
        cancel_reason=item.cancel_reason,
        confirmed_at=item.confirmed_at,
        arrived_at=item.arrived_at,
        completed_at=item.completed_at,
    )
