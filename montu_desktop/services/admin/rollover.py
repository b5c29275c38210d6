"""Rolls the generated schedules forward to the booking horizon: nightly, and at start if missed.

The job is plain Python (no Qt); the app adds it to its APScheduler BackgroundScheduler with
`schedule_nightly` and calls `roll_forward` once at start, which catches up a missed night.
`montu-desktop worker` (the server's always-on process) runs `DailyRollForward`: at start,
then each time the clinic's day begins, by the product clock.

Once per day across every process: `roll_forward` first takes one lock (PostgreSQL: an
advisory lock held to commit; SQLite: the write lock), then reads how far schedules are
generated. A second process starting at the same moment waits, then finds the days done.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date, time, timedelta

from apscheduler.schedulers.base import BaseScheduler

from montu_desktop.domain.clinic_time import local_instant, to_local
from montu_desktop.domain.errors import MontuError, NoSchedule
from montu_desktop.persistence import admin_rows
from montu_desktop.persistence import repositories as repo
from montu_desktop.services.admin.clinic import sync_holiday_closures
from montu_desktop.services.admin.planning import generated_until, load_inputs, write_schedules
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import clinic_policy
from montu_desktop.services.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
JOB_ID = "montu.roll_schedules_forward"
LOCK_ROLL_FORWARD = 724135
"""PostgreSQL advisory lock: one roll-forward at a time across every process."""
LOCK_WAIT = "120s"
"""How long a second roll-forward waits for the first (PostgreSQL's lock_timeout)."""


def roll_forward(ctx: ServiceContext) -> tuple[date, date] | None:
    """Generate the days between the last generated one and today + horizon; None if up to date.

    Days already generated are left alone; a second process doing the same at the same
    moment waits for the first's commit (the lock) and then finds nothing to do.
    """
    with UnitOfWork(ctx, write=True) as uow:
        session = uow.session
        if not ctx.database.is_sqlite:
            admin_rows.hold_transaction_lock(session, LOCK_ROLL_FORWARD, LOCK_WAIT)
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


class DailyRollForward:
    """Rolls forward now, then each time the clinic's day begins, on its own thread.

    The day is read from the product clock (`ctx.clock`), so a rehearsal with MONTU_NOW
    rolls at that clock's midnight. A roll that fails (the server is down) is tried again
    after `retry_seconds`. `on_rolled` hears each outcome (None: already up to date).
    """

    def __init__(
        self,
        ctx: ServiceContext,
        *,
        on_rolled: Callable[[tuple[date, date] | None], None] | None = None,
        retry_seconds: float = 300.0,
        longest_sleep: float = 300.0,
    ) -> None:
        self.ctx = ctx
        self.on_rolled = on_rolled
        self.retry_seconds = retry_seconds
        self.longest_sleep = longest_sleep
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="roll-forward", daemon=True)
        self._rolled_on: date | None = None
        self._zone = "UTC"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(30)

    def _today(self) -> date:
        return to_local(self.ctx.clock(), self._zone).date()

    def roll_if_due(self) -> bool:
        """Roll forward unless done today by this process; False when it failed."""
        if self._rolled_on is not None and self._today() == self._rolled_on:
            return True
        try:
            self.ctx.cache.invalidate()  # the time zone or horizon may have changed
            self._zone = clinic_policy(self.ctx).timezone
            today = self._today()
            outcome = roll_forward(self.ctx)
        except NoSchedule:
            log.info("no clinic is set up yet: schedules are rolled forward once it is")
            return False
        except Exception as exc:
            # Logged by type and message (no patient data here); the next try catches up.
            log.warning("schedule roll-forward failed (%s: %s)", type(exc).__name__, exc)
            return False
        self._rolled_on = today
        if self.on_rolled is not None:
            self.on_rolled(outcome)
        return True

    def _seconds_to_next_day(self) -> float:
        now = self.ctx.clock()
        tomorrow = to_local(now, self._zone).date() + timedelta(days=1)
        begins = local_instant(tomorrow, time(0, 0), self._zone)
        return max((begins - now).total_seconds(), 0.0) + 0.5

    def _run(self) -> None:
        while not self._stop.is_set():
            ok = self.roll_if_due()
            wait = self._seconds_to_next_day() if ok else self.retry_seconds
            self._stop.wait(min(wait, self.longest_sleep))
