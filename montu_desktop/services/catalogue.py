"""Read-only lists for people and scripts: doctors and appointment types."""

from __future__ import annotations

from montu_desktop.domain.model import AppointmentType, Doctor
from montu_desktop.services import reference
from montu_desktop.services.context import ServiceContext


def list_doctors(ctx: ServiceContext) -> list[Doctor]:
    return reference.doctors(ctx)


def list_types(ctx: ServiceContext) -> list[AppointmentType]:
    return reference.appointment_types(ctx)
