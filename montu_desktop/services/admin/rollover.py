"""Rolls the generated schedules forward to the booking horizon: nightly, and at start if missed.

The job is plain Python (no Qt); the app adds it to its APScheduler BackgroundScheduler with
`schedule_nightly` and calls `roll_forward` once at start, which catches up a missed night.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from apscheduler.schedulers.base import BaseScheduler

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import MontuError
from montu_desktop.persistence import repositories as repo
from montu_desktop.services.admin.clinic import sync_holiday_closures
from montu_desktop.services.admin.planning import generated_until, load_inputs, write_schedules
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
JOB_ID = "montu.roll_schedules_forward"


def roll_forward(ctx: ServiceContext) -> tuple[date, date] | None:
    """Generate the days between the last generated one and today + horizon; None if up to date.

    Days already generated are left alone, so a second desk doing the same is harmless.
    """
    with UnitOfWork(ctx, write=True) as uow:
        session = uow.session
        if repo.clinic_row(session) is None:
            return None
        inputs = load_inputs(session)
        today = to_local(ctx.clock(), inputs.policy.timezone).date()
        target = today + timedelta(weeks=inputs.policy.horizon_weeks)
        done = generated_until(session)
        first = today if done is None or done < today else done + timedelta(days=1)
        if first > target:
            return None
        # The horizon may now reach a new year: close on that year's public holidays first.
        row = repo.clinic_row(session)
        assert row is not None
        sync_holiday_closures(
            session, None, row.subdivision or "", range(first.year, target.year + 1)
        )
        inputs = load_inputs(session)
        write_schedules(session, inputs, first, target)
        uow.audit("schedules.rolled_forward", f"{first.isoformat()}..{target.isoformat()}")
        uow.touches("reference")
        uow.commit()
    log.info("schedules generated from %s to %s", first, target)
    return first, target


def _nightly(ctx: ServiceContext) -> None:
    try:
        roll_forward(ctx)
    except MontuError as exc:
        # The database may be down at 02:00; the next start or night catches up.
        log.warning("nightly schedule roll-forward skipped: %s", exc)


def schedule_nightly(scheduler: BaseScheduler, ctx: ServiceContext, timezone: str) -> None:
    """Add (or replace) the 02:00 clinic-time roll-forward job on `scheduler`."""
    scheduler.add_job(
        _nightly,
        "cron",
        hour=2,
        minute=0,
        timezone=timezone,
        args=[ctx],
        id=JOB_ID,
        replace_existing=True,
        coalesce=True,
        misfire_grace_time=6 * 3600,
    )
