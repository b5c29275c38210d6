"""Appointment types: add, edit (a length change previews the bookings it strands), retire."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from montu_desktop.domain.errors import InvalidRequest, NotFound
from montu_desktop.domain.model import AppointmentStatus, AppointmentType
from montu_desktop.domain.settings_rules import check_type
from montu_desktop.persistence import repositories as repo
from montu_desktop.persistence import tables as t
from montu_desktop.persistence.conflicts import OverlapRefused, savepoint
from montu_desktop.services.admin.changes import ChangeOutcome, run_change
from montu_desktop.services.context import ServiceContext, require_manager
from montu_desktop.services.unit_of_work import UnitOfWork


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
    query = select(t.AppointmentType.id).where(
        func.lower(t.AppointmentType.name) == name.casefold()
    )
    if type_id is not None:
        query = query.where(t.AppointmentType.id != type_id)
    if session.scalars(query).first() is not None:
        raise InvalidRequest("name", f"there is already a type called {name!r}")


def add_type(ctx: ServiceContext, name: str, length_minutes: int, colour: str) -> int:
    require_manager(ctx, "add appointment types")
    with UnitOfWork(ctx, write=True) as uow:
        session = uow.session
        name, colour = check_type(name, length_minutes, colour, _slot(session))
        _refuse_duplicate(session, name, None)
        row = t.AppointmentType(name=name, length_minutes=length_minutes, colour=colour)
        session.add(row)
        session.flush()
        uow.audit("settings.type.added", name, length_minutes=length_minutes)
        uow.touches("reference")
        uow.commit()
        return row.id


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
        row = uow.session.get(t.AppointmentType, type_id)
        if row is None:
            raise NotFound("type", f"no appointment type with id {type_id}")
        name, colour = check_type(name, length_minutes, colour, _slot(uow.session))
        _refuse_duplicate(uow.session, name, type_id)
        old_length = row.length_minutes
    resized = {type_id: length_minutes} if length_minutes != old_length else {}

    def mutate(session: Session) -> None:
        row = session.get(t.AppointmentType, type_id)
        assert row is not None
        row.name, row.length_minutes, row.colour, row.active = name, length_minutes, colour, active

    def resize(session: Session, stuck: set[int]) -> list[int]:
        """Lengthen future bookings of the type, each only if it still fits."""
        if not resized:
            return []
        left = []
        a = t.Appointment
        for booking in session.scalars(
            select(a).where(
                a.type_id == type_id,
                a.start_at >= ctx.clock(),
                a.status == AppointmentStatus.BOOKED.value,
            )
        ):
            if booking.id in stuck:
                continue
            try:
                with savepoint(session):
                    booking.end_at = booking.start_at + timedelta(minutes=length_minutes)
                    booking.updated_at = ctx.clock()
            except OverlapRefused:
                # It would run into a booking that stays where it is: keep its length, list it.
                session.refresh(booking)
                left.append(booking.id)
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
        row = session.get(t.AppointmentType, type_id)
        if row is None:
            raise NotFound("type", f"no appointment type with id {type_id}")
        used = session.scalar(
            select(func.count()).select_from(t.Appointment).where(t.Appointment.type_id == type_id)
        )
        if used:
            raise InvalidRequest(
                "type", f"{row.name} is used by {used} appointment(s); deactivate it instead"
            )
        session.delete(row)
        uow.audit("settings.type.deleted", row.name)
        uow.touches("reference")
        uow.commit()
