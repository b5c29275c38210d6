"""The week grid's fast busy-time read gives exactly what the general one gives, on both databases."""

from __future__ import annotations

from datetime import timedelta

from montu_desktop.domain.clinic_time import local_day_bounds, to_local
from montu_desktop.domain.model import busy_by_doctor, week_start
from montu_desktop.persistence import repositories as repo
from montu_desktop.services.booking import cancel_appointment
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.demo_data import ZONE, create_demo_clinic


def test_busy_pairs_match_busy_times_across_a_week(ctx: ServiceContext) -> None:
    create_demo_clinic(ctx, doctors=4, weeks=2, history_weeks=1, seed=3)
    cancel_appointment(ctx, 1)  # a cancelled appointment must not count on either path
    monday = week_start(to_local(ctx.clock(), ZONE).date())
    for week in (monday - timedelta(weeks=1), monday, monday + timedelta(weeks=1)):
        start = local_day_bounds(week, ZONE)[0]
        end = local_day_bounds(week + timedelta(days=6), ZONE)[1]
        with ctx.database.session() as session:
            fast = repo.busy_pairs_by_doctor(session.connection(), start, end)
            general = dict(busy_by_doctor(repo.busy_times(session, start, end)))
        assert fast == general
        assert sum(len(pairs) for pairs in fast.values()) > 20
