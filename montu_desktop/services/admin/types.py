"""Appointment types: add, edit (a length change previews the bookings it strands), retire."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from montu_desktop.domain.errors import InvalidRequest, NotFound
from montu_desktop.domain.model import AppointmentStatus, AppointmentType
from montu_desktop.domain.settings_rules import check_type
from montu_desktop.persistence import admin_rows
from montu_desktop.persistence import repositories as repo
from montu_desktop.services.admin.changes import ChangeOutcome, run_change
from montu_desktop.services.context import ServiceContext, require_manager
from montu_desktop.services.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def list_types(ctx: ServiceContext) -> list[AppointmentType]:
    """Every type, offered or not, fresh from the database."""
    with UnitOfWork(ctx) as uow:
        return repo.appointment_types(uow.session)


def _slot(session: Session) -> int:
    policy = repo.policy(session)
    if policy is None:
        raise InvalidRequest("clinic", "set up the clinic before its appointment types")
    return policy.slot_minutes


def _refuse_duplicate(session: Session, name: str, type_id: int | None) -> None:
    if admin_rows.type_name_taken(session, name, type_id):
        raise InvalidRequest("name", f"there is already a type called {name!r}")


def add_type(ctx: ServiceContext, name: str, length_minutes: int, colour: str) -> int:
    require_manager(ctx, "add appointment types")
    with UnitOfWork(ctx, write=True) as uow:
        session = uow.session
        name, colour = check_type(name, length_minutes, colour, _slot(session))
        _refuse_duplicate(session, name, None)
        type_id = admin_rows.add_type(session, name, length_minutes, colour)
        uow.audit("settings.type.added", name, length_minutes=length_minutes)
        uow.touches("reference")
        uow.commit()
        return type_id


def edit_type(
    ctx: ServiceContext,
    type_id: int,
    name: str,
    length_minutes: int,
    colour: str,
    active: bool,
    *,
    confirm: bool = True,
    reassign: bool = False,
) -> ChangeOutcome:
    """Change a type; future bookings of it take the new length where they still fit.

    Bookings that would no longer fit keep their old times and are listed to be moved.
    """
    require_manager(ctx, "change appointment types")
    with UnitOfWork(ctx) as uow:
        kind = admin_rows.appointment_type(uow.session, type_id)
        if kind is None:
            raise NotFound("type", f"no appointment type with id {type_id}")
        name, colour = check_type(name, length_minutes, colour, _slot(uow.session))
        _refuse_duplicate(uow.session, name, type_id)
        old_length = kind.length_minutes
    resized = {type_id: length_minutes} if length_minutes != old_length else {}

    def mutate(session: Session) -> None:
        admin_rows.update_type(session, type_id, name, length_minutes, colour, active)

    def resize(session: Session, stuck: set[int]) -> list[int]:
        """Lengthen future bookings of the type, each only if it still fits."""
        if not resized:
            return []
        left = []
        booked = admin_rows.appointment_starts(
            session, type_id, AppointmentStatus.BOOKED.value, ctx.clock()
        )
        for booking_id, start in booked:
            if booking_id in stuck:
                continue
            end = start + timedelta(minutes=length_minutes)
            if not admin_rows.try_end_at(session, booking_id, end, ctx.clock()):
                # It would run into a booking that stays where it is: keep its length, list it.
                left.append(booking_id)
        return left

    return run_change(
        ctx,
        mutate,
        action="settings.type.changed",
        subject=name,
        confirm=confirm,
        reassign=reassign,
        details={"length_minutes": length_minutes, "active": active},
        on_confirm=resize,
        new_lengths=resized,
    )


def delete_type(ctx: ServiceContext, type_id: int) -> None:
    """Delete a type nobody has ever booked; a type in use can only be deactivated."""
    require_manager(ctx, "remove appointment types")
    with UnitOfWork(ctx, write=True) as uow:
        session = uow.session
        kind = admin_rows.appointment_type(session, type_id)
        if kind is None:
            raise NotFound("type", f"no appointment type with id {type_id}")
        used = admin_rows.type_uses(session, type_id)
        if used:
            raise InvalidRequest(
                "type", f"{kind.name} is used by {used} appointment(s); deactivate it instead"
            )
        admin_rows.delete_type(session, type_id)
        uow.audit("settings.type.deleted", kind.name)
        uow.touches("reference")
        uow.commit()
