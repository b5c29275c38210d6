"""Doctors: add, rename, deactivate, remove (soft: history keeps its doctor)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from montu_desktop.domain.errors import InvalidRequest, NotFound
from montu_desktop.domain.model import Doctor
from montu_desktop.persistence import admin_rows
from montu_desktop.persistence import repositories as repo
from montu_desktop.services.admin.changes import ChangeOutcome, run_change
from montu_desktop.services.context import ServiceContext, require_manager
from montu_desktop.services.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def list_doctors(ctx: ServiceContext, *, include_removed: bool = False) -> list[Doctor]:
    with UnitOfWork(ctx) as uow:
        return repo.doctors(uow.session, include_removed=include_removed)


def _check_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidRequest("name", "is required")
    if len(name) > 200:
        raise InvalidRequest("name", "must be at most 200 characters")
    return name


def _doctor(session: Session, doctor_id: int) -> Doctor:
    row = admin_rows.live_doctor(session, doctor_id)
    if row is None:
        raise NotFound("doctor", f"no doctor with id {doctor_id}")
    return row


def add_doctor(ctx: ServiceContext, name: str) -> int:
    require_manager(ctx, "add doctors")
    name = _check_name(name)
    with UnitOfWork(ctx, write=True) as uow:
        doctor_id = admin_rows.add_doctor(uow.session, name, ctx.clock())
        uow.audit("settings.doctor.added", name, doctor_id=doctor_id)
        uow.touches("reference")
        uow.commit()
        return doctor_id


def rename_doctor(ctx: ServiceContext, doctor_id: int, name: str) -> None:
    require_manager(ctx, "rename doctors")
    name = _check_name(name)
    with UnitOfWork(ctx, write=True) as uow:
        old = _doctor(uow.session, doctor_id).name
        admin_rows.rename_doctor(uow.session, doctor_id, name, ctx.clock())
        uow.audit("settings.doctor.renamed", name, doctor_id=doctor_id, was=old)
        uow.touches("reference")
        uow.commit()


def set_doctor_active(
    ctx: ServiceContext,
    doctor_id: int,
    active: bool,
    *,
    confirm: bool = True,
    reassign: bool = False,
) -> ChangeOutcome:
    """Take a doctor off (or back on) the books; their future bookings are listed first."""
    require_manager(ctx, "change doctors")

    def mutate(session: Session) -> None:
        _doctor(session, doctor_id)
        admin_rows.set_doctor_active(session, doctor_id, active, ctx.clock())

    return run_change(
        ctx,
        mutate,
        action="settings.doctor.activated" if active else "settings.doctor.deactivated",
        subject=f"doctor {doctor_id}",
        confirm=confirm,
        reassign=reassign,
    )


def remove_doctor(
    ctx: ServiceContext, doctor_id: int, *, confirm: bool = True, reassign: bool = False
) -> ChangeOutcome:
    """Remove a doctor (soft delete); their future bookings are listed so they can be moved."""
    require_manager(ctx, "remove doctors")

    def mutate(session: Session) -> None:
        _doctor(session, doctor_id)
        admin_rows.remove_doctor(session, doctor_id, ctx.clock())

    return run_change(
        ctx,
        mutate,
        action="settings.doctor.removed",
        subject=f"doctor {doctor_id}",
        confirm=confirm,
        reassign=reassign,
    )
