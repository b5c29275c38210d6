"""DailyRollForward (what `worker` runs): rolls at once, not again the same clinic day, again
when the clinic's day begins (by the context's clock), and sleeps until that moment."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from montu_desktop.services.admin.planning import generated_until
from montu_desktop.services.admin.rollover import DailyRollForward
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.demo_data import create_demo_clinic
from tests.support.clock import FixedClock


def stamp(ctx: ServiceContext) -> date | None:
    with ctx.database.session() as session:
        return generated_until(session)


def test_rolls_at_once_then_only_when_the_clinics_day_begins(
    ctx: ServiceContext, clock: FixedClock
) -> None:
    # The clock: Monday 23 November 2026, 07:00 in Melbourne; the horizon is 12 weeks.
    create_demo_clinic(ctx, doctors=2, weeks=1, patients=3, fill=0.0)
    heard: list[tuple[date, date] | None] = []
    daily = DailyRollForward(ctx, on_rolled=heard.append)
    assert daily.roll_if_due() and heard == [None]  # the demo clinic is up to date
    clock.advance(hours=16, minutes=59)  # 23:59 the same day
    assert daily.roll_if_due() and heard == [None]  # not asked again the same day
    assert daily._seconds_to_next_day() == 60.5
    clock.advance(minutes=1)  # Tuesday begins
    assert daily.roll_if_due()
    tuesday_horizon = date(2026, 11, 24) + timedelta(weeks=12)
    assert heard[1] == (tuesday_horizon, tuesday_horizon)
    assert stamp(ctx) == tuesday_horizon


def test_sleeps_until_midnight_in_the_clinic_not_in_utc(
    ctx: ServiceContext, clock: FixedClock
) -> None:
    create_demo_clinic(ctx, doctors=2, weeks=1, patients=3, fill=0.0)
    daily = DailyRollForward(ctx)
    daily.roll_if_due()
    # Saturday 3 April 2027, 23:00 in Melbourne (AEDT, +11) is 12:00 UTC: the clinic's day
    # begins in an hour (the daylight-saving change comes later, at 03:00), UTC's in twelve.
    clock.now = datetime(2027, 4, 3, 12, 0, tzinfo=UTC)
    assert daily._seconds_to_next_day() == 3600.5
