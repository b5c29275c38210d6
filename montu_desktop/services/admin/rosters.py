"""Doctors' rosters: weekly templates valid over date ranges, and one-day exceptions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import InvalidRequest, NotFound
from montu_desktop.domain.model import RosterTemplate
from montu_desktop.domain.roster_rules import (
    RosterException,
    check_exception,
    check_templates,
)
from montu_desktop.persistence import admin_rows, roster_rows
from montu_desktop.persistence import repositories as repo
from montu_desktop.services.admin.changes import ChangeOutcome, run_change
from montu_desktop.services.admin.planning import load_inputs, plan
from montu_desktop.services.context import ServiceContext, require_manager
from montu_desktop.services.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class SavedException:
    id: int
    exception: RosterException


def templates(ctx: ServiceContext, doctor_id: int) -> list[RosterTemplate]:
    with UnitOfWork(ctx) as uow:
        return [tpl for tpl in load_inputs(uow.session).templates if tpl.doctor_id == doctor_id]


def _live_doctor(session: Session, doctor_id: int) -> None:
    if admin_rows.live_doctor(session, doctor_id) is None:
        raise NotFound("doctor", f"no doctor with id {doctor_id}")


def save_templates(
    ctx: ServiceContext,
    doctor_id: int,
    blocks: Sequence[RosterTemplate],
    *,
    confirm: bool = True,
    reassign: bool = False,
) -> ChangeOutcome:
    """Replace a doctor's weekly blocks; the preview lists bookings the new roster strands."""
    require_manager(ctx, "change rosters")
    blocks = [
        RosterTemplate(doctor_id, b.weekday, b.starts, b.ends, b.valid_from, b.valid_until)
        for b in blocks
    ]

    def mutate(session: Session) -> None:
        _live_doctor(session, doctor_id)
        inputs = load_inputs(session)
        check_templates(blocks, inputs.hours, inputs.policy.slot_minutes)
        roster_rows.replace_templates(session, doctor_id, blocks)

    return run_change(
        ctx,
        mutate,
        action="settings.roster.changed",
        subject=f"doctor {doctor_id}",
        confirm=confirm,
        reassign=reassign,
        details={"blocks": len(blocks)},
    )


def exceptions(ctx: ServiceContext, doctor_id: int, since: date) -> list[SavedException]:
    with UnitOfWork(ctx) as uow:
        return [
            SavedException(exception_id, exception)
            for exception_id, exception in roster_rows.doctor_exceptions(
                uow.session, doctor_id, since
            )
        ]


def add_exception(
    ctx: ServiceContext, exception: RosterException, *, confirm: bool = True, reassign: bool = False
) -> ChangeOutcome:
    """Record leave or an extra session for one day; leave previews the bookings it strands."""
    require_manager(ctx, "change rosters")

    def mutate(session: Session) -> None:
        _live_doctor(session, exception.doctor_id)
        inputs = load_inputs(session)
        today = to_local(ctx.clock(), inputs.policy.timezone).date()
        if exception.day < today:
            raise InvalidRequest("day", "is in the past")
        days, _, _ = plan(inputs, exception.day, exception.day)
        check_exception(exception, days[0], inputs.policy.timezone)
        roster_rows.add_exception(session, replace(exception, note=exception.note.strip()[:200]))

    return run_change(
        ctx,
        mutate,
        action=f"settings.roster.{exception.kind.value}",
        subject=f"doctor {exception.doctor_id}",
        confirm=confirm,
        reassign=reassign,
        details={"day": exception.day.isoformat()},
    )


def remove_exception(
    ctx: ServiceContext, exception_id: int, *, confirm: bool = True, reassign: bool = False
) -> ChangeOutcome:
    require_manager(ctx, "change rosters")

    def mutate(session: Session) -> None:
        if not roster_rows.delete_exception(session, exception_id):
            raise NotFound("exception", f"no roster exception with id {exception_id}")

    return run_change(
        ctx,
        mutate,
        action="settings.roster.exception_removed",
        subject=f"exception {exception_id}",
        confirm=confirm,
        reassign=reassign,
    )


def doctor_names(ctx: ServiceContext) -> dict[int, str]:
    with UnitOfWork(ctx) as uow:
        return {d.id: d.name for d in repo.doctors(uow.session)}
