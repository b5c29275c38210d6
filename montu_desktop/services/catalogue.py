"""Read-only lists for people and scripts: doctors and appointment types."""

from __future__ import annotations

from montu_desktop.domain.model import AppointmentType, Doctor
from montu_desktop.persistence import core_rows
from montu_desktop.services import reference
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.unit_of_work import UnitOfWork


def list_doctors(ctx: ServiceContext) -> list[Doctor]:
    return reference.doctors(ctx)


def list_types(ctx: ServiceContext) -> list[AppointmentType]:
    return reference.appointment_types(ctx)


def types_by_use(ctx: ServiceContext) -> list[AppointmentType]:
    """The types as the desk offers them: the most booked first (cancellations not counted);
    types booked equally often, the shortest first (a new clinic: the usual short visit)."""
    with UnitOfWork(ctx) as uow:
        counts = core_rows.type_use_counts(uow.session)
    return sorted(
        list_types(ctx), key=lambda k: (-counts.get(k.id, 0), k.length_minutes, k.name.casefold())
    )
