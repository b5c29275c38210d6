"""Generates the dated clinic days and doctor schedules from opening hours and roster templates."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.model import RosterTemplate, WeeklyHours
from montu_desktop.domain.schedule import plan_clinic_days, plan_roster
from montu_desktop.persistence import repositories as repo
from montu_desktop.persistence import tables as t
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import clinic_policy
from montu_desktop.services.unit_of_work import UnitOfWork


def schedule_range(ctx: ServiceContext) -> tuple[date, date]:
    """From the Monday of this week to the end of the booking horizon."""
    policy = clinic_policy(ctx)
    today = to_local(ctx.clock(), policy.timezone).date()
    first = today - timedelta(days=today.weekday())
    return first, today + timedelta(weeks=policy.horizon_weeks)


def regenerate_schedules(
    ctx: ServiceContext, first: date | None = None, last: date | None = None
) -> int:
    """Rebuild clinic days and template roster blocks for [first, last]; returns days written."""
    policy = clinic_policy(ctx)
    default_first, default_last = schedule_range(ctx)
    first, last = first or default_first, last or default_last
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    with UnitOfWork(ctx, write=True) as uow:
        session = uow.session
        hours = [
            WeeklyHours(r.weekday, r.opens, r.closes)
            for r in session.scalars(select(t.OpeningHours))
        ]
        closures = set(
            session.scalars(select(t.Closure.day).where(t.Closure.day.between(first, last)))
        )
        templates = [
            RosterTemplate(r.doctor_id, r.weekday, r.starts, r.ends, r.valid_from, r.valid_until)
            for r in session.scalars(select(t.RosterTemplate))
        ]
        clinic_days = plan_clinic_days(hours, closures, days, policy.timezone)
        blocks = plan_roster(templates, clinic_days, policy.timezone)
        repo.replace_schedules(session, first, last, clinic_days, blocks)
        uow.touches("reference")
        uow.commit()
    return len(days)
