"""The appointment card a patient takes home: the clinic, who, when, with whom and what for.

The card is built here once for every door (day book, patient record): it never carries the
appointment's note nor the patient's record (Medicare, alerts and the like).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import InvalidRequest, NotFound
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.persistence import tables as t
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import appointment_types, clinic_policy
from montu_desktop.services.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class AppointmentCard:
    """What an appointment card says (times clinic-local)."""

    clinic_name: str
    clinic_address: str
    clinic_phone: str
    patient_name: str
    start: datetime
    end: datetime
    doctor_name: str
    type_name: str


def appointment_card(ctx: ServiceContext, appointment_id: int) -> AppointmentCard:
    """The card for a live appointment; refused (field "appointment") for a cancelled one."""
    zone = clinic_policy(ctx).timezone
    kinds = {k.id: k.name for k in appointment_types(ctx)}
    a, p, d = t.Appointment, t.Patient, t.Doctor
    with UnitOfWork(ctx) as uow:
        row = uow.session.execute(
            select(a.start_at, a.end_at, a.type_id, a.status, p.given_name, p.family_name, d.name)
            .join(p, p.id == a.patient_id)
            .join(d, d.id == a.doctor_id)
            .where(a.id == appointment_id)
        ).first()
        clinic = uow.session.execute(
            select(t.Clinic.name, t.Clinic.address, t.Clinic.phone).limit(1)
        ).first()
    if row is None:
        raise NotFound("appointment", f"no appointment with id {appointment_id}")
    if row.status == AppointmentStatus.CANCELLED.value:
        raise InvalidRequest("appointment", "is cancelled: there is no card to give")
    name, address, phone = clinic or ("", "", "")
    return AppointmentCard(
        clinic_name=name,
        clinic_address=address,
        clinic_phone=phone,
        patient_name=f"{row.given_name} {row.family_name}",
        start=to_local(row.start_at, zone),
        end=to_local(row.end_at, zone),
        doctor_name=row[6],
        type_name=kinds.get(row.type_id, "Appointment"),
    )
