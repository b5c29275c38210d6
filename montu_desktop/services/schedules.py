"""Generates the dated clinic days and doctor schedules up to the booking horizon.

The planning itself (opening hours, closures, roster templates, leave and extra sessions)
lives in services/admin/planning.py; this is the one-call entry the CLI and demo data use.
"""

from __future__ import annotations

from datetime import date, timedelta

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.services.admin import planning
from montu_desktop.services.context import ServiceContext, require_manager
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
    """Rebuild clinic days and roster blocks for [first, last]; returns the days written."""
    require_manager(ctx, "regenerate schedules")
    default_first, default_last = schedule_range(ctx)
    first, last = first or default_first, last or default_last
    with UnitOfWork(ctx, write=True) as uow:
        planning.write_schedules(uow.session, planning.load_inputs(uow.session), first, last)
        uow.touches("reference")
        uow.commit()
    return (last - first).days + 1
