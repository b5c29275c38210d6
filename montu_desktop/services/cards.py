"""The appointment card a patient takes home: the clinic, who, when, with whom and what for.

The card is built here once for every door (day book, patient record): it never carries the
appointment's note nor the patient's record (Medicare, alerts and the like).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import InvalidRequest, NotFound
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.persistence import message_rows
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
    with UnitOfWork(ctx) as uow:
        row = message_rows.card_row(uow.session, appointment_id)
        clinic = message_rows.clinic_contact(uow.session)
    if row is None:
        raise NotFound("appointment", f"no appointment with id {appointment_id}")
    if row.status == AppointmentStatus.CANCELLED.value:
        raise InvalidRequest("appointment", "is cancelled: there is no card to give")
    return AppointmentCard(
        clinic_name=clinic.name if clinic else "",
        clinic_address=clinic.address if clinic else "",
        clinic_phone=clinic.phone if clinic else "",
        patient_name=f"{row.given_name} {row.family_name}",
        start=to_local(row.start, zone),
        end=to_local(row.end, zone),
        doctor_name=row.doctor_name,
        type_name=kinds.get(row.type_id, "Appointment"),
    )
